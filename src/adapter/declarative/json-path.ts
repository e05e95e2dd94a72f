/**
 * The small JSON path subset of JSON profiles. Deliberately not JSONPath: no filters, no
 * recursive descent, no slices, no script, so every path is checked when the profile loads and
 * costs a few property reads at run time.
 *
 *   $              the value itself (the page, the body, the result, the list element)
 *   $.name         a member; a name is a letter or _, then letters, digits, _ or -
 *   $['any key']   a member whose name is not a plain name ($["any key"] too; \' and \\ escape)
 *   $.a[0]         an array element by index (0-based)
 *   $.a[*].b       every element of an array (then the path selects a list)
 *
 * A path with [*] selects many values and only a list may use it; any other path selects at most
 * one value. A member of something that is not an object, or an index past the end, is simply
 * absent (the field's `required` decides whether that is a failure).
 */
import type { JsonValue } from '../../schema/detection-event.js';

export type PathSegment = { key: string } | { index: number } | { wildcard: true };

export interface JsonPath {
  /** as written in the profile */
  readonly source: string;
  readonly segments: readonly PathSegment[];
  /** true when the path holds [*]: it selects a list of values */
  readonly many: boolean;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_-]/;

/** Parses a path; the message says what is wrong and at which character (1-based). */
export function parseJsonPath(source: string): { ok: true; path: JsonPath } | { ok: false; message: string } {
  const bad = (i: number, what: string): { ok: false; message: string } => ({ ok: false, message: `"${source}" is not a JSON path: ${what} at character ${i + 1} (paths look like $.a.b, $.a[0], $.a[*].b, $['a b'])` });
  if (!source.startsWith('$')) return { ok: false, message: `"${source}" is not a JSON path: it must start with $ (paths look like $.a.b, $.a[0], $.a[*].b)` };
  const segments: PathSegment[] = [];
  let i = 1;
  while (i < source.length) {
    const c = source.charAt(i);
    if (c === '.') {
      let j = i + 1;
      if (!NAME_START.test(source.charAt(j))) return bad(j, 'a member name must start with a letter or _ (use [\'...\'] for other names)');
      while (j < source.length && NAME_CHAR.test(source.charAt(j))) j += 1;
      segments.push({ key: source.slice(i + 1, j) });
      i = j;
    } else if (c === '[') {
      const next = source.charAt(i + 1);
      if (next === '*') {
        if (source.charAt(i + 2) !== ']') return bad(i + 2, 'expected ] after [*');
        segments.push({ wildcard: true });
        i += 3;
      } else if (next === '\'' || next === '"') {
        let j = i + 2;
        let key = '';
        for (;;) {
          if (j >= source.length) return bad(i, 'unterminated quoted name');
          const d = source.charAt(j);
          if (d === '\\') {
            const e = source.charAt(j + 1);
            if (e !== '\\' && e !== '\'' && e !== '"') return bad(j, 'only \\\\, \\\' and \\" may be escaped');
            key += e;
            j += 2;
          } else if (d === next) {
            j += 1;
            break;
          } else {
            key += d;
            j += 1;
          }
        }
        if (source.charAt(j) !== ']') return bad(j, 'expected ] after a quoted name');
        segments.push({ key });
        i = j + 1;
      } else {
        const m = /^(0|[1-9][0-9]{0,8})\]/.exec(source.slice(i + 1));
        if (m === null || m[1] === undefined) return bad(i + 1, 'expected an index (0, 1, ...), * or a quoted name inside [ ]');
        segments.push({ index: Number(m[1]) });
        i += 1 + m[0].length;
      }
    } else {
      return bad(i, `unexpected "${c}"`);
    }
  }
  return { ok: true, path: { source, segments, many: segments.some((s) => 'wildcard' in s) } };
}

const isObject = (v: JsonValue | undefined): v is { [k: string]: JsonValue } => typeof v === 'object' && v !== null && !Array.isArray(v);

function step(values: readonly JsonValue[], s: PathSegment): JsonValue[] {
  const out: JsonValue[] = [];
  for (const v of values) {
    if ('key' in s) {
      if (isObject(v) && Object.hasOwn(v, s.key)) out.push(v[s.key] as JsonValue);
    } else if ('index' in s) {
      if (Array.isArray(v) && s.index < v.length) out.push(v[s.index] as JsonValue);
    } else if (Array.isArray(v)) {
      out.push(...v);
    }
  }
  return out;
}

/**
 * The value a single-valued path selects (undefined when absent), or for a path with [*] the
 * list of every value it selects (never undefined: possibly empty).
 */
export function selectJson(path: JsonPath, root: JsonValue): JsonValue | undefined {
  let values: JsonValue[] = [root];
  for (const s of path.segments) {
    values = step(values, s);
    if (values.length === 0) break;
  }
  if (path.many) return values;
  return values[0];
}
