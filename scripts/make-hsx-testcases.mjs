#!/usr/bin/env node
/**
 * Writes the golden input.json files of adapters/handheld-spectrometer-serial/testcases/ from the
 * simulator's measurement model and vendor algorithm, with fixed seeds and times. Expected files
 * come from `UPDATE_GOLDEN=1 npx vitest run test/unit/adapter/golden-cases.test.ts` (review them).
 * Run after `npm run build`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeFrame } from '../dist/adapters/handheld-spectrometer-serial/hsx-frame.js';
import { encodeMessage } from '../dist/adapters/handheld-spectrometer-serial/hsx-message.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary } from '../dist/src/identify/library.js';
import { randomBands, simulateMeasurement } from '../dist/src/identify/simulate.js';
import { writeJcamp } from '../dist/src/jcamp/index.js';
import { createVendorAlgorithm } from '../dist/simulators/spectrometer/vendor-algorithm.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'adapters', 'handheld-spectrometer-serial', 'testcases');
const lib = loadLibrary(DEFAULT_LIBRARY_DIR());
if (!lib.ok) throw new Error(lib.error.message);
const vendor = createVendorAlgorithm(lib.value);
const T0 = Date.parse('2026-12-04T10:30:00.000Z');

function result(n, what, snr, seed) {
  const s = simulateMeasurement(lib.value, what, { snr, seed, fluorescence: 1, baselineDrift: 0.3, shift: 0.8, scale: 1000 });
  const a = vendor(s.x, s.y);
  const jcamp = writeJcamp({ title: `Sample S-${n}`, dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: s.x[0], x1: s.x[s.x.length - 1], y: s.y, form: 'DIFDUP', yFactor: 0.001 });
  return {
    type: 'RES', sampleId: `S-${n}`, time: new Date(T0 + n * 60_000).toISOString().replace('Z', '+00:00'), operator: 'officer-117', serial: 'HSX-0042', firmware: '3.1.4', model: 'HSX Handheld FTIR',
    technique: 'ftir', integrationMs: 2000, library: { name: 'HSX Threat Library', version: '2026.3' }, verdict: a.verdict, ...(a.threatClass ? { threatClass: a.threatClass } : {}), hits: a.hits, jcamp: Buffer.from(jcamp, 'latin1'),
  };
}
const frame = (m) => encodeFrame(encodeMessage(m));
const fx = (i, buf) => ({ receivedAt: T0 + i * 1000 + 500, hex: buf.toString('hex') });

const cases = {
  'narcotic-threat': [frame({ type: 'STA', state: 'docked', battery: 80 }), frame(result(1, { components: [{ id: 'cocaine-hcl', weight: 1 }] }, 80, 11))],
  'explosive-vendor-misses': [frame(result(2, { components: [{ id: 'ammonium-nitrate', weight: 1 }] }, 80, 12))],
  'mixture': [frame(result(3, { components: [{ id: 'heroin', weight: 0.55 }, { id: 'ethanol', weight: 0.45 }] }, 80, 13))],
  'no-match': [frame(result(4, { bands: randomBands(14) }, 60, 14))],
  'low-signal': [frame(result(5, { components: [{ id: 'cocaine-hcl', weight: 1 }] }, 1.5, 15))],
  'resent-after-redock': [frame(result(6, { components: [{ id: 'toluene', weight: 1 }] }, 80, 16)), frame({ type: 'HBT', uptimeS: 100 }), frame(result(6, { components: [{ id: 'toluene', weight: 1 }] }, 80, 16))],
  'status-and-battery': [frame({ type: 'STA', state: 'docked', battery: 40 }), frame({ type: 'STA', state: 'docked', battery: 14 }), frame({ type: 'STA', state: 'error', battery: 14, error: 'laser interlock' }), frame({ type: 'STA', state: 'ready', battery: 22 })],
};
const bad = frame(result(7, { components: [{ id: 'acetone', weight: 1 }] }, 80, 17));
const flipped = Buffer.from(bad);
flipped[200] ^= 0x01; // one bit flipped on the line
const brokenJcampMsg = result(8, { components: [{ id: 'acetone', weight: 1 }] }, 80, 18);
const text = brokenJcampMsg.jcamp.toString('latin1').replace(/##END=\s*$/, '');
brokenJcampMsg.jcamp = Buffer.from(text, 'latin1');
const shortJcamp = encodeMessage(result(9, { components: [{ id: 'acetone', weight: 1 }] }, 80, 19));
const cut = shortJcamp.subarray(0, shortJcamp.length - 500);
// a frame cut short (the device reset mid-frame) with its CRC and ETX after the cut: LEN disagrees
const whole = frame(result(1, { components: [{ id: 'cocaine-hcl', weight: 1 }] }, 80, 11));
const cutFrame = Buffer.concat([whole.subarray(0, 1500), whole.subarray(whole.length - 3)]);
const errorCases = {
  'bad-checksum': [flipped],
  'truncated-frame': [cutFrame],
  'broken-jcamp': [frame(brokenJcampMsg)],
  'truncated-spectrum': [encodeFrame(cut)],
  'unknown-message': [encodeFrame(Buffer.from('XYZ 1\nFOO=1\n'))],
};
for (const [name, frames] of Object.entries({ ...cases, ...errorCases })) {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, 'input.json'), `${JSON.stringify(frames.map((f, i) => fx(i, f)), null, 1)}\n`);
  console.log(`wrote ${name}/input.json (${frames.length} frames)`);
}
