/**
 * HSX-1 messages (README.md): text lines "KEY=value" after a "TYPE VERSION" line; a result ends
 * with "JCAMP=<bytes>" and exactly that many bytes of JCAMP-DX. Parsing is strict: a field that
 * is missing or malformed fails the message with a reason, it is never guessed.
 */
import { fail, ok, type DecodeFailure, type Result } from '../../src/adapter/types.js';

export interface HsxHit {
  rank: number;
  name: string;
  cas?: string;
  /** the device's match quality, 0..1000, higher is better */
  score: number;
  threatClass?: string;
  /** share in a mixture, 0..1 */
  fraction?: number;
}

export interface HsxResult {
  type: 'RES';
  sampleId: string;
  /** ISO 8601 with offset, as sent */
  time: string;
  operator?: string;
  serial?: string;
  firmware?: string;
  model?: string;
  technique: 'raman' | 'ftir';
  laserMw?: number;
  integrationMs?: number;
  library?: { name: string; version: string };
  verdict: 'THREAT' | 'MATCH' | 'MIXTURE' | 'NO MATCH' | 'LOW SIGNAL';
  threatClass?: string;
  hits: HsxHit[];
  jcamp: Buffer;
}

export interface HsxStatus {
  type: 'STA';
  state: 'ready' | 'measuring' | 'docked' | 'error';
  battery: number;
  error?: string;
}

export interface HsxHeartbeat {
  type: 'HBT';
  uptimeS?: number;
}

export type HsxMessage = HsxResult | HsxStatus | HsxHeartbeat;

const VERDICTS = new Set(['THREAT', 'MATCH', 'MIXTURE', 'NO MATCH', 'LOW SIGNAL']);
const STATES = new Set(['ready', 'measuring', 'docked', 'error']);
const bad = (message: string): Result<never, DecodeFailure> => fail({ code: 'BL_ERR_SPECTRO_MESSAGE', message });

function fields(lines: string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf('=');
    if (i > 0) m.set(l.slice(0, i).trim().toUpperCase(), l.slice(i + 1).trim());
  }
  return m;
}

function num(v: string | undefined, what: string, min: number, max: number): Result<number | undefined, DecodeFailure> {
  if (v === undefined || v === '') return ok(undefined);
  if (!/^-?\d+(\.\d+)?$/.test(v)) return bad(`${what} "${v}" is not a number`);
  const n = Number(v);
  if (n < min || n > max) return bad(`${what} ${n} is outside ${min}..${max}`);
  return ok(n);
}

export function parseMessage(payload: Buffer): Result<HsxMessage, DecodeFailure> {
  // the header and fields are ASCII; the JCAMP part is counted in bytes, so find it by bytes
  const marker = payload.indexOf('\nJCAMP=');
  const headText = (marker >= 0 ? payload.subarray(0, marker) : payload).toString('latin1');
  const lines = headText.split('\n').map((l) => l.replace(/\r$/, ''));
  const first = /^([A-Z]{3}) (\d+)$/.exec(lines[0] ?? '');
  if (!first) return bad(`first line "${(lines[0] ?? '').slice(0, 40)}" is not "TYPE VERSION"`);
  if (first[2] !== '1') return bad(`message version ${first[2]} is not supported (HSX-1 speaks version 1)`);
  const f = fields(lines.slice(1));
  switch (first[1]) {
    case 'HBT': {
      const up = num(f.get('UPTIME'), 'UPTIME', 0, 1e10);
      if (!up.ok) return up;
      return ok({ type: 'HBT', ...(up.value !== undefined ? { uptimeS: up.value } : {}) });
    }
    case 'STA': {
      const state = f.get('STATE') ?? '';
      if (!STATES.has(state)) return bad(`STATE "${state}" is not one of ready, measuring, docked, error`);
      const battery = num(f.get('BATTERY'), 'BATTERY', 0, 100);
      if (!battery.ok) return battery;
      if (battery.value === undefined) return bad('STA without BATTERY');
      const error = f.get('ERROR');
      return ok({ type: 'STA', state: state as HsxStatus['state'], battery: battery.value, ...(error ? { error } : {}) });
    }
    case 'RES':
      return parseResult(payload, marker, f, lines);
    default:
      return bad(`unknown message type "${first[1]}"`);
  }
}

function parseResult(payload: Buffer, marker: number, f: Map<string, string>, lines: string[]): Result<HsxResult, DecodeFailure> {
  const sampleId = f.get('SAMPLE');
  if (!sampleId) return bad('RES without SAMPLE');
  const time = f.get('TIME') ?? '';
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/.test(time) || Number.isNaN(Date.parse(time))) return bad(`TIME "${time}" is not an ISO 8601 time with an offset`);
  const technique = (f.get('TECHNIQUE') ?? '').toLowerCase();
  if (technique !== 'raman' && technique !== 'ftir') return bad(`TECHNIQUE "${technique}" is not raman or ftir`);
  const verdict = f.get('VERDICT') ?? '';
  if (!VERDICTS.has(verdict)) return bad(`VERDICT "${verdict}" is not one of ${[...VERDICTS].join(', ')}`);
  const laser = num(f.get('LASER_MW'), 'LASER_MW', 0, 10000);
  if (!laser.ok) return laser;
  const integ = num(f.get('INTEGRATION_MS'), 'INTEGRATION_MS', 0, 3_600_000);
  if (!integ.ok) return integ;
  const hitsCount = num(f.get('HITS') ?? '0', 'HITS', 0, 50);
  if (!hitsCount.ok) return hitsCount;
  const hits: HsxHit[] = [];
  for (const l of lines) {
    if (!l.startsWith('HIT=')) continue;
    const p = l.slice(4).split(';');
    if (p.length < 4) return bad(`HIT line "${l.slice(0, 60)}" needs rank;name;cas;score[;class[;fraction]]`);
    const rank = num(p[0], 'HIT rank', 1, 50);
    const score = num(p[3], 'HIT score', 0, 1000);
    const frac = num(p[5], 'HIT fraction', 0, 1);
    if (!rank.ok) return rank;
    if (!score.ok) return score;
    if (!frac.ok) return frac;
    const name = (p[1] ?? '').trim();
    const cas = (p[2] ?? '').trim();
    if (!name || rank.value === undefined || score.value === undefined) return bad(`HIT line "${l.slice(0, 60)}" has an empty rank, name or score`);
    if (cas && !/^\d{2,7}-\d{2}-\d$/.test(cas)) return bad(`HIT CAS "${cas}" is not a CAS number`);
    hits.push({ rank: rank.value, name, ...(cas ? { cas } : {}), score: score.value, ...(p[4]?.trim() ? { threatClass: p[4].trim() } : {}), ...(frac.value !== undefined ? { fraction: frac.value } : {}) });
  }
  if (hits.length !== hitsCount.value) return bad(`HITS says ${hitsCount.value}, the message holds ${hits.length} HIT lines`);
  if (marker < 0) return bad('RES without its JCAMP= spectrum');
  const rest = payload.subarray(marker + 1);
  const nl = rest.indexOf('\n');
  const count = /^JCAMP=(\d{1,6})$/.exec(rest.subarray(0, nl < 0 ? rest.length : nl).toString('latin1').replace(/\r$/, ''));
  if (!count || nl < 0) return bad('JCAMP= line must give the byte count of the spectrum that follows');
  const jcamp = rest.subarray(nl + 1);
  if (jcamp.length !== Number(count[1])) return bad(`JCAMP= says ${count[1]} bytes, ${jcamp.length} follow (truncated spectrum?)`);
  const lib = f.get('LIBRARY');
  const [libName, libVersion] = (lib ?? '').split(';');
  const str = (k: string) => {
    const v = f.get(k);
    return v ? v : undefined;
  };
  const threatClass = str('CLASS');
  const operator = str('OPERATOR');
  const serial = str('SERIAL');
  const firmware = str('FIRMWARE');
  const model = str('MODEL');
  return ok({
    type: 'RES', sampleId, time, technique, verdict: verdict as HsxResult['verdict'], hits, jcamp,
    ...(operator ? { operator } : {}), ...(serial ? { serial } : {}), ...(firmware ? { firmware } : {}), ...(model ? { model } : {}),
    ...(laser.value !== undefined ? { laserMw: laser.value } : {}), ...(integ.value !== undefined ? { integrationMs: integ.value } : {}),
    ...(lib && libName ? { library: { name: libName, version: libVersion ?? '' } } : {}),
    ...(threatClass ? { threatClass } : {}),
  });
}

/** The payload of a message, for the simulator and tests (the inverse of parseMessage). */
export function encodeMessage(m: HsxMessage): Buffer {
  if (m.type === 'HBT') return Buffer.from(`HBT 1\n${m.uptimeS !== undefined ? `UPTIME=${m.uptimeS}\n` : ''}`, 'latin1');
  if (m.type === 'STA') return Buffer.from(`STA 1\nSTATE=${m.state}\nBATTERY=${m.battery}\n${m.error ? `ERROR=${m.error}\n` : ''}`, 'latin1');
  const l = [
    'RES 1', `SAMPLE=${m.sampleId}`, `TIME=${m.time}`,
    ...(m.operator ? [`OPERATOR=${m.operator}`] : []), ...(m.serial ? [`SERIAL=${m.serial}`] : []), ...(m.firmware ? [`FIRMWARE=${m.firmware}`] : []), ...(m.model ? [`MODEL=${m.model}`] : []),
    `TECHNIQUE=${m.technique}`, ...(m.laserMw !== undefined ? [`LASER_MW=${m.laserMw}`] : []), ...(m.integrationMs !== undefined ? [`INTEGRATION_MS=${m.integrationMs}`] : []),
    ...(m.library ? [`LIBRARY=${m.library.name};${m.library.version}`] : []), `VERDICT=${m.verdict}`, ...(m.threatClass ? [`CLASS=${m.threatClass}`] : []),
    `HITS=${m.hits.length}`,
    ...m.hits.map((h) => `HIT=${h.rank};${h.name};${h.cas ?? ''};${h.score};${h.threatClass ?? ''}${h.fraction !== undefined ? `;${h.fraction}` : ''}`),
    `JCAMP=${m.jcamp.length}`,
  ];
  return Buffer.concat([Buffer.from(`${l.join('\n')}\n`, 'latin1'), m.jcamp]);
}
