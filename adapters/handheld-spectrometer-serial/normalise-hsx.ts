/**
 * HSX-1 messages to detection events. The device's verdict decides the outcome (decisionBy
 * machine); its hits are findings with origin "device" on its own 0-1000 scale; the gateway's
 * identification of the embedded spectrum is added beside them (origin "gateway").
 */
import { fail, ok, type CodecContext, type DecodeFailure, type EventDraft, type Result } from '../../src/adapter/types.js';
import { identificationFindings } from '../../src/identify/findings.js';
import { parseJcamp, type JcampSpectrum } from '../../src/jcamp/index.js';
import type { Category, Finding, Spectrum } from '../../src/schema/detection-event.js';
import type { HsxMessage, HsxResult } from './hsx-message.js';

export interface HsxOptions {
  /** battery percentage at or below which a fault is raised (cleared 5 points above) */
  batteryLowPercent?: number;
}

export interface HsxState {
  [key: string]: string | boolean | string[] | null;
  deviceState: string | null;
  batteryLow: boolean;
  /** keys (sample id + time) of the last results, so a re-docked device re-sending them is not counted twice */
  recent: string[];
}

export const initialHsxState = (): HsxState => ({ deviceState: null, batteryLow: false, recent: [] });

export const VENDOR_SCORE_METHOD = 'hsx-match-quality';
const RECENT = 64;
const INLINE_POINTS = 256;

const CLASS_CATEGORY: Record<string, Category> = {
  narcotics: 'narcotic', narcotic: 'narcotic', explosives: 'explosive', explosive: 'explosive',
  precursors: 'precursor', precursor: 'precursor', chemicals: 'chemical', 'toxic chemicals': 'chemical', chemical: 'chemical',
  environmental: 'environmental', 'f-gas': 'environmental', ods: 'environmental', benign: 'benign', none: 'benign',
};

export function categoryOf(threatClass: string | undefined): Category | undefined {
  return threatClass ? (CLASS_CATEGORY[threatClass.toLowerCase()] ?? 'other') : undefined;
}

/** An evenly spaced copy of at most INLINE_POINTS points, for the event's inline spectrum. */
function inlineSpectrum(s: JcampSpectrum): Spectrum {
  const n = Math.min(INLINE_POINTS, s.npoints);
  const y: number[] = [];
  const firstX = s.x[0] as number;
  const lastX = s.x[s.npoints - 1] as number;
  let j = 0;
  const asc = lastX >= firstX;
  for (let i = 0; i < n; i += 1) {
    const x = n === 1 ? firstX : firstX + ((lastX - firstX) * i) / (n - 1);
    while (j < s.npoints - 2 && (asc ? (s.x[j + 1] as number) < x : (s.x[j + 1] as number) > x)) j += 1;
    const x0 = s.x[j] as number;
    const x1 = s.x[Math.min(j + 1, s.npoints - 1)] as number;
    const t = x1 === x0 ? 0 : Math.min(1, Math.max(0, (x - x0) / (x1 - x0)));
    const v = (s.y[j] as number) + t * ((s.y[Math.min(j + 1, s.npoints - 1)] as number) - (s.y[j] as number));
    y.push(Math.round(v * 1e6) / 1e6);
  }
  return { xUnits: s.xUnits ?? 'unknown', yUnits: s.yUnits ?? 'arbitrary', firstX, lastX, npoints: n, y };
}

function resultDraft(m: HsxResult, spectrum: JcampSpectrum, ctx: CodecContext<HsxOptions>): EventDraft {
  const category = categoryOf(m.threatClass);
  const alarm = m.verdict === 'THREAT' || (m.verdict === 'MIXTURE' && category !== undefined && category !== 'benign');
  const state = alarm ? 'alarm' : m.verdict === 'LOW SIGNAL' ? 'indeterminate' : 'clear';
  const identifiedVerdict = m.verdict === 'THREAT' || m.verdict === 'MATCH' || m.verdict === 'MIXTURE';
  const deviceFindings: Finding[] = m.hits.map((h) => {
    const c = categoryOf(h.threatClass);
    return {
      kind: 'substance', name: h.name, ...(h.cas ? { codes: { cas: h.cas } } : {}), ...(c ? { category: c } : {}),
      identified: identifiedVerdict && (m.verdict === 'MIXTURE' ? h.fraction !== undefined : h.rank === 1),
      score: { value: h.score, min: 0, max: 1000, higherIsBetter: true, method: VENDOR_SCORE_METHOD },
      ...(h.fraction !== undefined ? { mixtureFraction: h.fraction } : {}),
      origin: 'device',
    };
  });
  const gatewayFindings = ctx.identify
    ? identificationFindings(ctx.identify({ x: spectrum.x, y: spectrum.y, ...(spectrum.xUnits ? { xUnits: spectrum.xUnits } : {}), ...(spectrum.yUnits ? { yUnits: spectrum.yUnits } : {}) }))
    : [];
  const settings: { [k: string]: number } = {};
  if (m.laserMw !== undefined) settings.laserPowerMw = m.laserMw;
  if (m.integrationMs !== undefined) settings.integrationMs = m.integrationMs;
  const categories: Category[] = alarm && category ? [category] : [];
  return {
    eventType: 'result',
    observedAt: new Date(Date.parse(m.time)).toISOString(),
    quality: 'good',
    source: {
      device: { technique: m.technique, ...(m.serial ? { serial: m.serial } : {}), ...(m.firmware ? { firmware: m.firmware } : {}), ...(m.model ? { model: m.model } : {}) },
      ...(m.library ? { algorithm: { name: m.library.name, ...(m.library.version ? { version: m.library.version } : {}), ...(Object.keys(settings).length ? { settings } : {}) } } : {}),
      ...(m.operator ? { operatorId: m.operator } : {}),
    },
    subject: { inspectionId: m.sampleId },
    outcome: { state, categories, decisionBy: 'machine', vendorState: m.threatClass ? `${m.verdict}: ${m.threatClass}` : m.verdict },
    findings: [...deviceFindings, ...gatewayFindings],
    spectrum: inlineSpectrum(spectrum),
    attachments: [{ kind: 'jcamp-dx', mediaType: 'chemical/x-jcamp-dx', data: Buffer.from(m.jcamp) }],
    raw: { format: 'hsx-1', nativeIds: { sampleId: m.sampleId }, extensions: { verdict: m.verdict, ...(m.threatClass ? { threatClass: m.threatClass } : {}), spectrumTitle: spectrum.title } },
  };
}

export function normaliseHsx(m: HsxMessage, state: HsxState, ctx: CodecContext<HsxOptions>): Result<{ drafts: EventDraft[]; state: HsxState }, DecodeFailure> {
  const at = new Date(ctx.now).toISOString();
  if (m.type === 'HBT') return ok({ drafts: [], state });
  if (m.type === 'STA') {
    const drafts: EventDraft[] = [];
    const next: HsxState = { ...state };
    if (m.state !== state.deviceState) {
      next.deviceState = m.state;
      drafts.push({
        eventType: 'status', observedAt: at, quality: 'good',
        status: { state: m.state === 'error' ? 'degraded' : 'online', detail: m.state === 'error' ? `device error: ${m.error ?? 'unspecified'}` : `device ${m.state}`, since: at },
        raw: { format: 'hsx-1', extensions: { state: m.state, battery: m.battery } },
      });
    }
    const low = ctx.options.batteryLowPercent ?? 15;
    if (!state.batteryLow && m.battery <= low) {
      next.batteryLow = true;
      drafts.push({ eventType: 'fault', observedAt: at, quality: 'good', fault: { code: 'battery-low', active: true, detail: `battery at ${m.battery} %` }, raw: { format: 'hsx-1' } });
    } else if (state.batteryLow && m.battery >= low + 5) {
      next.batteryLow = false;
      drafts.push({ eventType: 'fault', observedAt: at, quality: 'good', fault: { code: 'battery-low', active: false, detail: `battery at ${m.battery} %` }, raw: { format: 'hsx-1' } });
    }
    return ok({ drafts, state: next });
  }
  const key = `${m.sampleId}@${m.time}`;
  if (state.recent.includes(key)) return ok({ drafts: [], state });
  const doc = parseJcamp(m.jcamp);
  if (!doc.ok) return fail({ code: doc.error.code, message: `embedded JCAMP-DX of sample ${m.sampleId}: ${doc.error.message}` });
  const spectrum = doc.value.blocks[0];
  if (!spectrum || spectrum.npoints < 2) return fail({ code: 'BL_ERR_SPECTRO_MESSAGE', message: `embedded JCAMP-DX of sample ${m.sampleId} holds no spectrum` });
  return ok({ drafts: [resultDraft(m, spectrum, ctx)], state: { ...state, recent: [...state.recent, key].slice(-RECENT) } });
}
