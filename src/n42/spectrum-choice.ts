/**
 * The one spectrum an event can carry inline. The device's own sum (DerivedData) is preferred,
 * else the occupied slices' spectra summed per detector, else, when every detector shares one
 * channel count and calibration, the sum over detectors. Energy on the x axis only where the
 * calibration is linear (the event's spectrum is evenly spaced); otherwise channel numbers, with
 * the calibration kept in raw.extensions. Spectra longer than the inline limit stay in the N42
 * artifact, which always holds the full document.
 */
import type { JsonValue, Spectrum } from '../schema/detection-event.js';
import type { N42Document, N42EnergyCalibration, N42Measurement, N42Spectrum } from './document.js';
import { detectorKey } from './detector-summary.js';
import { roundTo } from './simple-types.js';

export const DEFAULT_MAX_INLINE_CHANNELS = 1024;

export interface SpectrumChoice {
  spectrum?: Spectrum;
  /** what was chosen or why nothing was, for raw.extensions.spectrum; undefined when there is no spectrum at all */
  note?: { [key: string]: JsonValue };
}

const calibrationKey = (c: N42EnergyCalibration | undefined): string => JSON.stringify([c?.coefficients ?? null, c?.energyBoundaries ?? null]);

function sum(spectra: readonly N42Spectrum[]): number[] | undefined {
  const n = spectra[0]?.channels.length ?? 0;
  if (n === 0 || spectra.some((s) => s.channels.length !== n)) return undefined;
  const key = calibrationKey(spectra[0]?.calibration);
  if (spectra.some((s) => calibrationKey(s.calibration) !== key)) return undefined;
  const out = new Array<number>(n).fill(0);
  for (const s of spectra) for (let i = 0; i < n; i++) out[i] = (out[i] as number) + (s.channels[i] as number);
  return out.map((v) => roundTo(v, 6));
}

/** keV axis of a linear calibration over n channels (lower channel edges), else undefined. */
function energyAxis(cal: N42EnergyCalibration | undefined, n: number): { firstX: number; lastX: number } | undefined {
  const c = cal?.coefficients;
  if (c !== undefined && c.length >= 2 && c.slice(2).every((k) => Math.abs(k) < 1e-12) && (c[1] as number) > 0) {
    const [c0, c1] = c as [number, number];
    return { firstX: roundTo(c0, 6), lastX: roundTo(c0 + c1 * (n - 1), 6) };
  }
  const b = cal?.energyBoundaries;
  if (b !== undefined && b.length === n + 1 && n >= 1) {
    const step = ((b[n] as number) - (b[0] as number)) / n;
    if (step > 0 && b.every((e, i) => Math.abs(e - ((b[0] as number) + i * step)) <= Math.abs(step) * 1e-6)) {
      return { firstX: roundTo(b[0] as number, 6), lastX: roundTo(b[n - 1] as number, 6) };
    }
  }
  return undefined;
}

export function chooseSpectrum(doc: N42Document, derived: readonly N42Measurement[], slices: readonly N42Measurement[], maxInline: number): SpectrumChoice {
  const fromDerived = derived.flatMap((m) => m.spectra).filter((s) => s.channels.length > 0);
  const source = fromDerived.length > 0 ? fromDerived : slices.flatMap((m) => m.spectra).filter((s) => s.channels.length > 0);
  if (source.length === 0) return {};
  const detectors = [...new Set(source.map((s) => detectorKey(doc, s.detectorId)))];
  const channels = sum(source);
  const first = source[0] as N42Spectrum;
  const note: { [key: string]: JsonValue } = {
    from: fromDerived.length > 0 ? 'DerivedData' : 'measurements',
    detectors,
    spectraSummed: source.length,
    channels: first.channels.length,
  };
  if (first.compression !== undefined) note.compression = first.compression;
  if (first.calibration?.coefficients !== undefined) note.energyCalibrationCoefficients = first.calibration.coefficients;
  if (channels === undefined) {
    note.inline = false;
    note.reason = 'spectra differ in channel count or calibration: see the n42 artifact';
    return { note };
  }
  if (channels.length > maxInline) {
    note.inline = false;
    note.reason = `more than ${maxInline} channels: see the n42 artifact`;
    return { note };
  }
  const axis = energyAxis(first.calibration, channels.length);
  note.inline = true;
  const spectrum: Spectrum = axis === undefined
    ? { xUnits: 'channel', yUnits: 'counts', firstX: 0, lastX: channels.length - 1, npoints: channels.length, y: channels }
    : { xUnits: 'keV', yUnits: 'counts', firstX: axis.firstX, lastX: axis.lastX, npoints: channels.length, y: channels };
  return { spectrum, note };
}
