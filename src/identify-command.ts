/**
 * `borderlink identify FILE [--library DIR]`: the gateway's ranked hit list for a JCAMP-DX
 * spectrum, as JSON. The same identification the daemon attaches to every spectrometer result.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeError } from './errors.js';
import { hqiScore } from './identify/findings.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary } from './identify/library.js';
import { identify } from './identify/match.js';
import { parseJcamp } from './jcamp/index.js';

export const IDENTIFY_HELP = `Usage: borderlink identify FILE [--library DIR] [--top N] [--block N]

Reads a JCAMP-DX spectrum and prints, as JSON, its ranked hit list against the reference library
(default: the seed library in library/): each hit with substance name, CAS number, category and
its score (HQI = r² x 100, 0-100, higher is better), a two-component mixture where one explains
the spectrum clearly better, and the verdict (match, no-match, low-signal) with its reason.
Exit code 0 when the file decodes (whatever the verdict), 1 with the reason when it does not,
2 on a usage or library error.

Options:
  -l, --library DIR   folder holding library.yaml
  -t, --top N         hits to print (default 5)
  -b, --block N       which spectrum of a compound file (default 1)
  -h, --help          this text`;

export interface IdentifyIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function identifyCommand(args: string[], io: IdentifyIo): number {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { library: { type: 'string', short: 'l' }, top: { type: 'string', short: 't' }, block: { type: 'string', short: 'b' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    io.err(`error: ${describeError(e).message}\n\n${IDENTIFY_HELP}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(IDENTIFY_HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  const top = parsed.values.top === undefined ? 5 : Number(parsed.values.top);
  const blockNo = parsed.values.block === undefined ? 1 : Number(parsed.values.block);
  if (!file || parsed.positionals.length > 1 || !Number.isInteger(top) || top < 1 || !Number.isInteger(blockNo) || blockNo < 1) {
    io.err(`error: identify takes exactly one FILE; --top and --block are positive integers\n\n${IDENTIFY_HELP}`);
    return 2;
  }
  const lib = loadLibrary(parsed.values.library ?? DEFAULT_LIBRARY_DIR());
  if (!lib.ok) {
    io.err(`error: ${lib.error.code}: ${lib.error.message}`);
    return 2;
  }
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    io.err(`error: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? describeError(e).message}`);
    return 1;
  }
  const doc = parseJcamp(data);
  if (!doc.ok) {
    io.out(JSON.stringify({ ok: false, file, code: doc.error.code, message: doc.error.message }, null, 2));
    io.err(`error: ${doc.error.code}: ${doc.error.message}`);
    return 1;
  }
  const block = doc.value.blocks[blockNo - 1];
  if (!block) {
    io.err(`error: ${file} holds ${doc.value.blocks.length} spectrum block(s); --block ${blockNo} does not exist`);
    return 1;
  }
  const r = identify(lib.value, { x: block.x, y: block.y, ...(block.xUnits ? { xUnits: block.xUnits } : {}), ...(block.yUnits ? { yUnits: block.yUnits } : {}) }, { top });
  io.out(JSON.stringify({
    ok: true,
    file,
    spectrum: { title: block.title, npoints: block.npoints, xUnits: block.xUnits, yUnits: block.yUnits },
    library: r.library,
    verdict: r.verdict,
    reason: r.reason,
    snr: r.snr,
    coverage: r.coverage,
    hits: r.hits.map((h, i) => ({ rank: i + 1, entryId: h.entryId, name: h.name, ...(h.cas ? { cas: h.cas } : {}), category: h.category, score: hqiScore(h.hqi) })),
    ...(r.mixture ? { mixture: { score: hqiScore(r.mixture.hqi), components: r.mixture.components } } : {}),
  }, null, 2));
  return 0;
}
