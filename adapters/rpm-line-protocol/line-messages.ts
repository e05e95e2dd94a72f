/**
 * The tagged line dialect as data: which tags exist, how many fields each carries and of what
 * kind, and the typed record a decoded line becomes. README.md documents the same table for
 * integrators; keep the two in step.
 */

export const GAMMA_CHANNELS = ['G1', 'G2', 'G3', 'G4'] as const;
export const NEUTRON_CHANNELS = ['N1', 'N2'] as const;

/** count: unsigned integer, at most 9 digits. decimal: unsigned, at most 9 integer and 6 fraction digits. */
export type FieldKind = 'count' | 'decimal';

export interface FieldSpec {
  name: string;
  kind: FieldKind;
  /** inclusive range beyond the syntax (a value outside is BL_ERR_DECODE_VALUE_OUT_OF_RANGE) */
  min?: number;
  max?: number;
}

const gammaFields = (kind: FieldKind): FieldSpec[] => GAMMA_CHANNELS.map((c) => ({ name: c, kind }));
const neutronFields = (kind: FieldKind): FieldSpec[] => NEUTRON_CHANNELS.map((c) => ({ name: c, kind }));

export const MAX_SPEED_KMH = 300;

export const TAG_FIELDS = {
  GB: gammaFields('decimal'),
  GH: gammaFields('decimal'),
  GL: gammaFields('decimal'),
  NB: neutronFields('decimal'),
  NH: neutronFields('decimal'),
  GS: gammaFields('count'),
  GA: gammaFields('count'),
  NS: neutronFields('count'),
  NA: neutronFields('count'),
  GX: [
    { name: 'occupancyCount', kind: 'count' },
    { name: 'neutronBackgroundCps', kind: 'decimal' },
  ],
  SP: [{ name: 'speedKmh', kind: 'decimal', max: MAX_SPEED_KMH }],
  TT: [],
  TC: [],
  SG: [
    { name: 'nSigma', kind: 'decimal', min: 0.1, max: 100 },
    { name: 'highBackgroundCps', kind: 'decimal' },
    { name: 'lowBackgroundCps', kind: 'decimal' },
    { name: 'samplePeriodMs', kind: 'count', min: 20, max: 10_000 },
  ],
  SN: [
    { name: 'nSigma', kind: 'decimal', min: 0.1, max: 100 },
    { name: 'highBackgroundCps', kind: 'decimal' },
  ],
} as const satisfies Record<string, readonly FieldSpec[]>;

export type LineTag = keyof typeof TAG_FIELDS;
export const LINE_TAGS = Object.keys(TAG_FIELDS) as LineTag[];

export function isLineTag(s: string): s is LineTag {
  return Object.prototype.hasOwnProperty.call(TAG_FIELDS, s);
}

/** One decoded line. Background values are cps; sample values are counts in one sample period. */
export type LineRecord =
  | { tag: 'GB' | 'GH' | 'GL'; backgroundCps: number[] }
  | { tag: 'NB' | 'NH'; backgroundCps: number[] }
  | { tag: 'GS' | 'GA'; counts: number[] }
  | { tag: 'NS' | 'NA'; counts: number[] }
  | { tag: 'GX'; occupancyCount: number; neutronBackgroundCps: number }
  | { tag: 'SP'; speedKmh: number }
  | { tag: 'TT' | 'TC' }
  | { tag: 'SG'; nSigma: number; highBackgroundCps: number; lowBackgroundCps: number; samplePeriodMs: number }
  | { tag: 'SN'; nSigma: number; highBackgroundCps: number };

/** Builds the record of a tag from its already-validated field values (same order as TAG_FIELDS). */
export function toRecord(tag: LineTag, v: readonly number[]): LineRecord {
  const at = (i: number): number => v[i] ?? 0;
  switch (tag) {
    case 'GB':
    case 'GH':
    case 'GL':
    case 'NB':
    case 'NH':
      return { tag, backgroundCps: [...v] };
    case 'GS':
    case 'GA':
    case 'NS':
    case 'NA':
      return { tag, counts: [...v] };
    case 'GX':
      return { tag, occupancyCount: at(0), neutronBackgroundCps: at(1) };
    case 'SP':
      return { tag, speedKmh: at(0) };
    case 'TT':
    case 'TC':
      return { tag };
    case 'SG':
      return { tag, nSigma: at(0), highBackgroundCps: at(1), lowBackgroundCps: at(2), samplePeriodMs: at(3) };
    case 'SN':
      return { tag, nSigma: at(0), highBackgroundCps: at(1) };
  }
}
