/**
 * The XML Schema simple types N42.42 uses (xs:dateTime, xs:duration, xs:double lists, xs:boolean),
 * parsed strictly: a value the gateway reads and cannot understand fails the document with
 * BL_ERR_N42_INVALID naming the element, rather than turning into a silent zero.
 */
import { BorderlinkError } from '../errors.js';

export const invalid = (message: string, detail?: Record<string, unknown>): BorderlinkError =>
  new BorderlinkError('BL_ERR_N42_INVALID', message, detail === undefined ? undefined : { detail });

export interface ParsedTime {
  ms: number;
  /** false when the document wrote no zone and UTC was assumed */
  zoned: boolean;
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;

/** xs:dateTime to ms since the epoch; sub-millisecond digits are truncated. */
export function parseDateTime(text: string, where: string): ParsedTime {
  const m = DATE_TIME.exec(text.trim());
  if (m === null) throw invalid(`${where}: "${text}" is not an xs:dateTime`, { element: where, value: text });
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const ms = Number((frac ?? '').padEnd(3, '0').slice(0, 3));
  const check = new Date(Date.UTC(2000, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
  check.setUTCFullYear(Number(y)); // Date.UTC would read years 0-99 as 1900-1999
  let t = check.getTime();
  if (Number.isNaN(t) || check.getUTCMonth() !== Number(mo) - 1 || check.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    throw invalid(`${where}: "${text}" is not a valid date and time`, { element: where, value: text });
  }
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    t -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return { ms: t, zoned: zone !== undefined };
}

/** No measurement lasts a year; longer values are garbage (and would overflow time arithmetic). */
const MAX_DURATION_S = 366 * 86_400;

const DURATION = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * xs:duration (PT12.5S, P0DT0H1M2.5S) to seconds. Years and months have no fixed length and are
 * refused; a bare non-negative number is read as seconds, as some 2006 devices write it.
 */
export function parseDuration(text: string, where: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    if (Number(t) > MAX_DURATION_S) throw invalid(`${where}: "${text}" is longer than a year`, { element: where, value: text });
    return Number(t);
  }
  const m = DURATION.exec(t);
  if (m === null || t === 'P' || t.endsWith('T')) throw invalid(`${where}: "${text}" is not a duration in days, hours, minutes and seconds (e.g. PT12.5S)`, { element: where, value: text });
  const [, d, h, mi, s] = m;
  const seconds = roundTo(Number(d ?? 0) * 86_400 + Number(h ?? 0) * 3600 + Number(mi ?? 0) * 60 + Number(s ?? 0), 6);
  if (seconds > MAX_DURATION_S) throw invalid(`${where}: "${text}" is longer than a year`, { element: where, value: text });
  return seconds;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function parseNumber(text: string, where: string): number {
  const t = text.trim();
  if (!DECIMAL.test(t)) throw invalid(`${where}: "${text.slice(0, 40)}" is not a number`, { element: where, value: text.slice(0, 40) });
  return Number(t);
}

export function parseNonNegative(text: string, where: string): number {
  const v = parseNumber(text, where);
  if (v < 0) throw invalid(`${where}: ${v} is negative`, { element: where, value: text });
  return v;
}

/** A whitespace-separated list of numbers (commas tolerated). */
export function parseNumberList(text: string, where: string): number[] {
  const t = text.trim();
  if (t === '') return [];
  return t.split(/[\s,]+/).map((tok) => parseNumber(tok, where));
}

/** xs:boolean, plus the yes/no and on/off some vendors write; undefined when it is neither. */
export function parseBoolean(text: string): boolean | undefined {
  const t = text.trim().toLowerCase();
  if (['true', '1', 'yes', 'on', 'alarm'].includes(t)) return true;
  if (['false', '0', 'no', 'off', 'none', 'clear'].includes(t)) return false;
  return undefined;
}

/** Rounds away binary-fraction noise (0.1 + 0.2) so golden files and consumers see clean numbers. */
export function roundTo(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Smallest / largest of a list without spreading it into arguments (documents may hold 100k+ values). */
export function minOf(values: readonly number[]): number | undefined {
  let m: number | undefined;
  for (const v of values) if (m === undefined || v < m) m = v;
  return m;
}

export function maxOf(values: readonly number[]): number | undefined {
  let m: number | undefined;
  for (const v of values) if (m === undefined || v > m) m = v;
  return m;
}
