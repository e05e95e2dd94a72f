#!/usr/bin/env node
/**
 * Prints the identification accuracy tables docs/identification.md quotes: top-1 accuracy per
 * substance and signal-to-noise ratio, the verdicts, substances in no library, and the sweep of
 * the match threshold. Deterministic (seeded): the same tables on every machine.
 *
 *   npm run build && node scripts/identify-accuracy.mjs [--trials N] [--library DIR]
 */
import { parseArgs } from 'node:util';
import { accuracyTable, formatAccuracy, formatSweep, thresholdSweep } from '../dist/bench/identify.bench.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary } from '../dist/src/identify/library.js';

const { values } = parseArgs({ options: { trials: { type: 'string', default: '5' }, library: { type: 'string' } } });
const trials = Number(values.trials);
if (!Number.isInteger(trials) || trials < 1) {
  console.error('--trials takes a positive integer');
  process.exit(2);
}
const lib = loadLibrary(values.library ?? DEFAULT_LIBRARY_DIR());
if (!lib.ok) {
  console.error(`${lib.error.code}: ${lib.error.message}`);
  process.exit(2);
}
const t = accuracyTable(lib.value, trials);
console.log(`Top-1 accuracy, library ${lib.value.name} ${lib.value.version} (${lib.value.entries.length} entries), ${trials} simulated measurements per substance and SNR:\n`);
console.log(formatAccuracy(t));
const sw = thresholdSweep(lib.value);
console.log(`\nThe match threshold (mixtures on, margin ${lib.value.thresholds.margin}), ${sw.trials} measurements per substance and SNR:\n`);
console.log(formatSweep(sw));
