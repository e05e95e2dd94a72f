/**
 * When a spectrum was taken. JCAMP-DX 5.01 has ##LONGDATE=YYYY/MM/DD [HH:MM:SS[.SSSS] [+-UUUU]];
 * 4.24 has ##DATE=YY/MM/DD and ##TIME=HH:MM:SS, and real files write ##DATE in many other ways
 * ("98/10/1", "2000/10/04", "28/8/2023", "1964"). A date is turned into ISO 8601 only when it can
 * mean one day: day/month/year orders are accepted when a field above 12 (or two equal fields)
 * decides them, and a bare year is left alone. The raw values always stay in `labels`.
 *
 * No zone is invented: without one the result is local instrument time (`YYYY-MM-DDTHH:MM:SS`).
 */

interface Ymd { y: number; m: number; d: number }
interface Hms { h: number; mi: number; s: number; frac: string }

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function daysIn(y: number, m: number): number {
  return [31, (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1] ?? 0;
}

const valid = (v: Ymd): Ymd | undefined => (v.y >= 1000 && v.y <= 9999 && v.m >= 1 && v.m <= 12 && v.d >= 1 && v.d <= daysIn(v.y, v.m) ? v : undefined);

/** Two-digit years as POSIX strptime %y reads them: 69-99 -> 1969-1999, 00-68 -> 2000-2068. */
const century = (yy: number): number => (yy >= 69 ? 1900 + yy : 2000 + yy);

const DATE_TIME_SPLIT = /^(.*?)(?:[ T]+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?$/;

/** The date part of a ##DATE or ##LONGDATE value, or undefined when it is not one unambiguous day. */
function parseYmd(text: string): Ymd | undefined {
  let m = /^(\d{4})[/.-](\d{1,2})[/.-](\d{1,2})$/.exec(text);
  if (m !== null) return valid({ y: Number(m[1]), m: Number(m[2]), d: Number(m[3]) });
  m = /^(\d{2})\/(\d{1,2})\/(\d{1,2})$/.exec(text);
  if (m !== null) return valid({ y: century(Number(m[1])), m: Number(m[2]), d: Number(m[3]) }); // 4.24: YY/MM/DD
  m = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(text);
  if (m !== null) {
    const a = Number(m[1]);
    const b = Number(m[2]);
    const y = Number(m[3]);
    if (a > 12 || a === b) return valid({ y, m: b, d: a });
    if (b > 12) return valid({ y, m: a, d: b });
    return undefined; // 03/04/2020: March or April?
  }
  m = /^(\d{1,2})[-\s]?([A-Za-z]{3})[A-Za-z]*[-\s,]*(\d{4})$/.exec(text);
  if (m !== null) {
    const mo = MONTHS.indexOf((m[2] as string).toUpperCase()) + 1;
    return mo === 0 ? undefined : valid({ y: Number(m[3]), m: mo, d: Number(m[1]) });
  }
  return undefined;
}

function parseHms(text: string): Hms | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?$/.exec(text.trim());
  if (m === null) return undefined;
  const v = { h: Number(m[1]), mi: Number(m[2]), s: Number(m[3] ?? 0), frac: m[4] ?? '' };
  return v.h <= 23 && v.mi <= 59 && v.s <= 59 ? v : undefined;
}

const ymdIso = (d: Ymd): string => `${d.y}-${pad(d.m)}-${pad(d.d)}`;
const hmsIso = (t: Hms): string => `${pad(t.h)}:${pad(t.mi)}:${pad(t.s)}${t.frac === '' ? '' : `.${t.frac.slice(0, 3).padEnd(3, '0')}`}`;

/** "-0500", "+01:00", "UTC", "Z" to "+HH:MM" / "Z"; undefined when not a zone. */
function parseZone(text: string): string | undefined {
  const t = text.trim().toUpperCase();
  if (t === 'UTC' || t === 'GMT' || t === 'Z') return 'Z';
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(t);
  if (m === null || Number(m[2]) > 14 || Number(m[3]) > 59) return undefined;
  return `${m[1]}${m[2]}:${m[3]}`;
}

function fromDateAndTime(dateText: string, timeText: string | undefined, zoneText: string | undefined): string | undefined {
  const parts = DATE_TIME_SPLIT.exec(dateText.trim());
  if (parts === null) return undefined;
  const day = parseYmd((parts[1] as string).trim());
  if (day === undefined) return undefined;
  const timeSource = parts[2] ?? timeText;
  if (timeSource === undefined || timeSource.trim() === '') return ymdIso(day);
  const time = parseHms(timeSource);
  if (time === undefined) return undefined;
  const zone = zoneText === undefined ? '' : parseZone(zoneText);
  if (zone === undefined) return undefined;
  return `${ymdIso(day)}T${hmsIso(time)}${zone}`;
}

/**
 * ISO 8601 from a block's labels (normalised names): LONGDATE first, else DATE with TIME.
 * Undefined when absent or ambiguous.
 */
export function observedAt(labels: Readonly<Record<string, string>>): string | undefined {
  const long = labels['LONGDATE']?.trim();
  if (long !== undefined && long !== '') {
    const m = /^(\S+)(?:\s+(\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?(?:\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2}))?$/i.exec(long);
    const iso = m === null ? undefined : fromDateAndTime(m[1] as string, m[2], m[3]);
    if (iso !== undefined) return iso;
  }
  const date = labels['DATE']?.trim();
  if (date === undefined || date === '') return undefined;
  return fromDateAndTime(date, labels['TIME'], undefined);
}
