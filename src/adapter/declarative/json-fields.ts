/**
 * JSON field specs -> extractors, and extraction of one result's values. Compilation checks what
 * the schema cannot (a path that parses, [*] only on lists, keys that fit the type, defaults of the
 * field's kind); extraction is strict about types, because a silently coerced value ("12" for 12)
 * would hide a vendor change that should be seen in quarantine.
 *
 * Kinds, which decide where emit rules may reference a field: number, integer and timestamp are
 * numbers (a timestamp is Unix seconds, fractions keeping milliseconds, the unit
 * `timing.endEpochSeconds` takes); string is text; boolean is a bool; list is a list.
 */
import type { ErrorCode } from '../../errors.js';
import type { JsonValue } from '../../schema/detection-event.js';
import { fail, ok, type DecodeFailure, type Result } from '../types.js';
import type { FieldKind } from './compile-fields.js';
import { parseJsonPath, selectJson, type JsonPath } from './json-path.js';
import { pointer, type ProblemList } from './profile-problems.js';
import type { FieldValue, FieldValues, JsonFieldSpec, JsonFieldType } from './profile-types.js';
import { applyLinear } from './register-decode.js';

interface ScalarBase {
  name: string;
  path: JsonPath;
  required: boolean;
  default?: FieldValue;
}

export type ScalarJsonField =
  | (ScalarBase & { type: 'number' | 'integer'; range?: readonly [number, number]; scale?: number; offset?: number })
  | (ScalarBase & { type: 'string'; enum?: readonly string[] })
  | (ScalarBase & { type: 'timestamp' })
  | (ScalarBase & { type: 'boolean'; trueWhen?: readonly (string | number | boolean)[] });

export interface ListJsonField {
  name: string;
  type: 'list';
  path: JsonPath;
  required: boolean;
  items: readonly ScalarJsonField[];
}

export type JsonField = ScalarJsonField | ListJsonField;

export function jsonFieldKind(type: JsonFieldType): FieldKind | 'list' {
  switch (type) {
    case 'number':
    case 'integer':
    case 'timestamp':
      return 'number';
    case 'string':
      return 'text';
    case 'boolean':
      return 'bool';
    case 'list':
      return 'list';
  }
}

const JSON_KEYS_BY_TYPE: Record<JsonFieldType, readonly (keyof JsonFieldSpec)[]> = {
  number: ['range', 'default', 'scale', 'offset'],
  integer: ['range', 'default'],
  string: ['default', 'enum'],
  timestamp: ['default'],
  boolean: ['trueWhen', 'default'],
  list: ['items'],
};
const TYPED_KEYS: readonly (keyof JsonFieldSpec)[] = ['range', 'default', 'trueWhen', 'items', 'enum', 'scale', 'offset'];

/** Compiles a profile's JSON fields (or a list's element fields, `at` naming where they are). */
export function compileJsonFields(
  fields: { readonly [name: string]: JsonFieldSpec },
  problems: ProblemList,
  at: readonly string[] = ['fields'],
): JsonField[] {
  const out: JsonField[] = [];
  for (const [name, spec] of Object.entries(fields)) {
    const f = compileJsonField(name, spec, problems, [...at, name], at.length > 1);
    if (f !== undefined) out.push(f);
  }
  return out;
}

function compileJsonField(name: string, spec: JsonFieldSpec, problems: ProblemList, at: readonly string[], inList: boolean): JsonField | undefined {
  const here = (...k: string[]): string => pointer(...at, ...k);
  const before = problems.items.length;
  if ('nodeId' in spec || 'browsePath' in spec || 'event' in spec) {
    problems.add(pointer(...at), 'is an OPC UA field (nodeId, browsePath, event): a JSON profile reads fields by path');
    return undefined;
  }
  if (!('path' in spec) || ('table' in spec)) {
    problems.add(pointer(...at), 'is a Modbus field (table, address): a JSON profile reads fields by path');
    return undefined;
  }
  const parsed = parseJsonPath(spec.path);
  if (!parsed.ok) {
    problems.add(here('path'), parsed.message);
    return undefined;
  }
  const path = parsed.path;
  for (const k of TYPED_KEYS) {
    if (spec[k] !== undefined && !JSON_KEYS_BY_TYPE[spec.type].includes(k)) problems.add(here(k), `is not allowed for a ${spec.type} field`);
  }
  // a boolean with trueWhen may look at many values: true when any of them is one of trueWhen
  const anyOf = spec.type === 'boolean' && spec.trueWhen !== undefined;
  if (spec.type !== 'list' && !anyOf && path.many) problems.add(here('path'), `${spec.path} selects many values ([*]): only a list field may use it`);
  if (spec.type === 'list' && inList) problems.add(here('type'), 'a list element cannot hold a list (lists do not nest)');
  if (spec.required === true && spec.default !== undefined) problems.add(here('default'), 'a required field has no use for a default (leave out required, or set it false)');
  if (spec.type === 'boolean' && spec.trueWhen !== undefined && spec.required !== undefined) {
    problems.add(here('required'), 'does not apply with trueWhen (an absent value is simply not one of them: false)');
  }
  if (spec.range !== undefined && spec.range[0] > spec.range[1]) problems.add(here('range'), `min ${spec.range[0]} is above max ${spec.range[1]}`);
  if (spec.scale === 0) problems.add(here('scale'), 'must not be 0');
  if (spec.enum !== undefined && spec.default !== undefined && typeof spec.default === 'string' && !spec.enum.includes(spec.default)) {
    problems.add(here('default'), `"${spec.default}" is not one of the enum values`);
  }
  if (spec.default !== undefined) {
    const want = jsonFieldKind(spec.type);
    const got: FieldKind = typeof spec.default === 'number' ? 'number' : typeof spec.default === 'boolean' ? 'bool' : 'text';
    if (want !== got) problems.add(here('default'), `is ${got === 'bool' ? 'a bool' : got === 'number' ? 'a number' : 'text'}, but a ${spec.type} field needs ${want === 'bool' ? 'a bool' : want === 'number' ? 'a number' : 'text'}`);
    else if (spec.type === 'integer' && !Number.isSafeInteger(spec.default)) problems.add(here('default'), 'must be an integer');
  }
  if (spec.type === 'list') {
    if (spec.items === undefined) {
      problems.add(pointer(...at), 'a list field needs items: the fields of each element (path $ is the element itself)');
      return undefined;
    }
    const items = compileJsonFields(spec.items, problems, [...at, 'items']);
    if (problems.items.length !== before) return undefined;
    return { name, type: 'list', path, required: spec.required ?? true, items: items as ScalarJsonField[] };
  }
  if (problems.items.length !== before) return undefined;
  const base: ScalarBase = { name, path, required: spec.trueWhen !== undefined ? false : (spec.required ?? true) };
  if (spec.default !== undefined) base.default = spec.default;
  switch (spec.type) {
    case 'number':
    case 'integer':
      return {
        ...base, type: spec.type,
        ...(spec.range === undefined ? {} : { range: [spec.range[0], spec.range[1]] as const }),
        ...(spec.scale === undefined ? {} : { scale: spec.scale }),
        ...(spec.offset === undefined ? {} : { offset: spec.offset }),
      };
    case 'boolean':
      return { ...base, type: 'boolean', ...(spec.trueWhen === undefined ? {} : { trueWhen: [...spec.trueWhen] }) };
    case 'string':
      return { ...base, type: 'string', ...(spec.enum === undefined ? {} : { enum: [...spec.enum] }) };
    default:
      return { ...base, type: spec.type };
  }
}

/**
 * The kinds emit rules see: every field's kind ('unknown' for one that failed its own checks,
 * already reported; 'list' for a list), and each list's element fields with theirs.
 */
export function jsonFieldKinds(
  specs: { readonly [name: string]: { type: JsonFieldType; items?: { [name: string]: JsonFieldSpec } } },
  compiled: readonly JsonField[],
): { kinds: Map<string, FieldKind | 'list' | 'unknown'>; items: Map<string, ReadonlyMap<string, FieldKind | 'unknown'>> } {
  const byName = new Map(compiled.map((f) => [f.name, f] as const));
  const kinds = new Map<string, FieldKind | 'list' | 'unknown'>();
  const items = new Map<string, ReadonlyMap<string, FieldKind | 'unknown'>>();
  for (const [n, spec] of Object.entries(specs)) {
    const f = byName.get(n);
    kinds.set(n, f === undefined ? (spec.type === 'list' ? 'list' : 'unknown') : jsonFieldKind(f.type));
    if (spec.type !== 'list' || spec.items === undefined) continue;
    const itemKinds = new Map<string, FieldKind | 'unknown'>();
    for (const item of Object.keys(spec.items)) {
      const known = f?.type === 'list' ? f.items.find((i) => i.name === item) : undefined;
      const k = known === undefined ? 'unknown' : jsonFieldKind(known.type);
      itemKinds.set(item, k === 'list' ? 'unknown' : k);
    }
    items.set(n, itemKinds);
  }
  return { kinds, items };
}

/** RFC 3339 with a zone (Z or ±hh:mm); a time without one means nothing across sites. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * How extraction names what it reads in a failure: the code (BL_ERR_VENDOR_JSON for vendor JSON,
 * another for OPC UA values) and the label of what holds the fields ("result 42").
 */
export interface ExtractFailureStyle {
  code: ErrorCode;
  label: string;
}

/** What went wrong with one field of one result; `id` names the result in the detail. */
function fieldFailure(f: { name: string; path: JsonPath }, id: string, style: ExtractFailureStyle, problem: string, value?: JsonValue): Result<never, DecodeFailure> {
  const shown = value === undefined ? undefined : JSON.stringify(value).slice(0, 80);
  return fail({
    code: style.code,
    message: `${style.label}: field ${f.name} (${f.path.source}) ${problem}${shown === undefined ? '' : `: ${shown}`}`,
    detail: { resultId: id, field: f.name, path: f.path.source, ...(shown === undefined ? {} : { value: shown }) },
  });
}

const isScalar = (v: JsonValue | undefined): v is string | number | boolean => v !== undefined && v !== null && typeof v !== 'object';

/** One scalar field's value: undefined when absent and optional without a default. */
function scalarValue(f: ScalarJsonField, root: JsonValue, id: string, style: ExtractFailureStyle): Result<FieldValue | undefined, DecodeFailure> {
  const v = selectJson(f.path, root);
  if (f.type === 'boolean' && f.trueWhen !== undefined) {
    const among = (x: JsonValue | undefined): boolean => isScalar(x) && f.trueWhen?.includes(x) === true;
    // a [*] path selects a list: true when any of its values is one of trueWhen
    return ok(f.path.many && Array.isArray(v) ? v.some(among) : among(v));
  }
  if (v === undefined || v === null) {
    if (f.default !== undefined) return ok(f.default);
    return f.required ? fieldFailure(f, id, style, 'is missing') : ok(undefined);
  }
  switch (f.type) {
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fieldFailure(f, id, style, 'is not a number', v);
      if (f.type === 'integer' && !Number.isSafeInteger(v)) return fieldFailure(f, id, style, 'is not an integer', v);
      const scaled = f.type === 'number' ? applyLinear(v, f.scale, f.offset) : v;
      if (f.range !== undefined && (scaled < f.range[0] || scaled > f.range[1])) return fieldFailure(f, id, style, `is outside its range [${f.range[0]}, ${f.range[1]}]`, scaled);
      return ok(scaled);
    }
    case 'string':
      if (typeof v !== 'string') return fieldFailure(f, id, style, 'is not a string', v);
      if (f.enum !== undefined && !f.enum.includes(v)) return fieldFailure(f, id, style, `is not one of ${f.enum.map((e) => JSON.stringify(e)).join(', ')}`, v);
      return ok(v);
    case 'boolean':
      return typeof v === 'boolean' ? ok(v) : fieldFailure(f, id, style, 'is not true or false', v);
    case 'timestamp': {
      if (typeof v === 'number' && Number.isFinite(v)) return ok(v);
      if (typeof v === 'string' && RFC3339.test(v)) {
        const ms = Date.parse(v.replace(' ', 'T'));
        if (Number.isFinite(ms)) return ok(ms / 1000);
      }
      return fieldFailure(f, id, style, 'is not a timestamp (RFC 3339 with a zone, or Unix seconds)', v);
    }
  }
}

/**
 * A result's values and lists, or the first field that is missing or of the wrong type.
 * `style` names the failure (default: BL_ERR_VENDOR_JSON, "result <id>").
 */
export function extractJsonFields(
  fields: readonly JsonField[],
  result: JsonValue,
  id: string,
  style: ExtractFailureStyle = { code: 'BL_ERR_VENDOR_JSON', label: `result ${id}` },
): Result<{ values: FieldValues; lists: { [list: string]: FieldValues[] } }, DecodeFailure> {
  const values: { [k: string]: FieldValue } = {};
  const lists: { [list: string]: FieldValues[] } = {};
  for (const f of fields) {
    if (f.type !== 'list') {
      const r = scalarValue(f, result, id, style);
      if (!r.ok) return r;
      if (r.value !== undefined) values[f.name] = r.value;
      continue;
    }
    const raw = selectJson(f.path, result);
    if (raw === undefined || raw === null) {
      if (f.required) return fieldFailure(f, id, style, 'is missing');
      lists[f.name] = [];
      continue;
    }
    if (!Array.isArray(raw)) return fieldFailure(f, id, style, 'is not a list', raw);
    const elements: FieldValues[] = [];
    for (const [i, element] of raw.entries()) {
      const e: { [k: string]: FieldValue } = {};
      for (const item of f.items) {
        const r = scalarValue({ ...item, name: `${f.name}[${i}].${item.name}` }, element, id, style);
        if (!r.ok) return r;
        if (r.value !== undefined) e[`${f.name}.${item.name}`] = r.value;
      }
      elements.push(e);
    }
    lists[f.name] = elements;
  }
  return ok({ values, lists });
}
