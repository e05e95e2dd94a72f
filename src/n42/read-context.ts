/**
 * What both edition readers share while walking one document: the namespace query, limits, the
 * warnings list (what was tolerated), and the small parsers that record a warning on the way.
 */
import type { Category } from '../schema/detection-event.js';
import type { DetectorCategory, MeasurementClass } from './document.js';
import type { N42Query } from './element-query.js';
import { parseDateTime, parseDuration, parseNonNegative } from './simple-types.js';
import type { XmlElement } from './xml-tree.js';

export interface ReadContext {
  q: N42Query;
  maxChannels: number;
  warnings: string[];
}

export function warn(ctx: ReadContext, message: string): void {
  if (!ctx.warnings.includes(message)) ctx.warnings.push(message);
}

/** A child's xs:dateTime in ms; a value without a zone is read as UTC, with a warning. */
export function childTime(ctx: ReadContext, el: XmlElement, name: string): number | undefined {
  const t = ctx.q.text(el, name);
  if (t === undefined) return undefined;
  const parsed = parseDateTime(t, name);
  if (!parsed.zoned) warn(ctx, `${name} "${t}" has no time zone: read as UTC`);
  return parsed.ms;
}

export function childDuration(ctx: ReadContext, el: XmlElement, name: string): number | undefined {
  const t = ctx.q.text(el, name);
  return t === undefined ? undefined : parseDuration(t, name);
}

export function childNonNegative(ctx: ReadContext, el: XmlElement, name: string): number | undefined {
  const t = ctx.q.text(el, name);
  return t === undefined ? undefined : parseNonNegative(t, name);
}

/** RadDetectorCategoryCode / 2006 DetectorType to a category; undefined when unknown. */
export function detectorCategory(raw: string | undefined): DetectorCategory | undefined {
  const t = (raw ?? '').trim().toLowerCase().replace(/[\s_-]/g, '');
  if (t === '') return undefined;
  if (t.startsWith('gamma')) return 'gamma';
  if (t.startsWith('neutron')) return 'neutron';
  if (t === 'alpha') return 'alpha';
  if (t === 'beta') return 'beta';
  if (t === 'xray') return 'x-ray';
  return 'other';
}

/** MeasurementClassCode (2012) or SourceType (2006); absent means not-specified. */
export function measurementClass(raw: string | undefined): MeasurementClass {
  const t = (raw ?? '').trim().toLowerCase().replace(/[\s_-]/g, '');
  if (t === 'foreground' || t === 'item' || t === 'occupancy') return 'foreground';
  if (t === 'background') return 'background';
  if (t === 'calibration' || t === 'stabilization') return 'calibration';
  if (t === 'intrinsicactivity') return 'intrinsic';
  return 'not-specified';
}

/**
 * RadAlarmCategoryCode (Alpha, Neutron, Beta, Gamma, Other, Isotope) to event categories. Vendors
 * combine words ("Gamma-Neutron", "Gamma/Neutron"): each word counts.
 */
export function alarmCategories(raw: string | undefined): Category[] {
  const out: Category[] = [];
  for (const word of (raw ?? '').toLowerCase().split(/[^a-z]+/).filter((w) => w !== '')) {
    const c: Category = word === 'gamma' ? 'gamma' : word === 'neutron' ? 'neutron' : word === 'isotope' || word === 'nuclide' ? 'isotope' : 'other';
    if (!out.includes(c)) out.push(c);
  }
  return out;
}
