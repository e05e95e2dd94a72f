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
import type { JsonValue } from '../../schema/detection-event.js';
import { fail, ok, type DecodeFailure, type Result } from '../types.js';
import type { FieldKind } from './compile-fields.js';
import { parseJsonPath, selectJson, type JsonPath } from './json-path.js';
import { pointer, type ProblemList } from './profile-problems.js';
import type { FieldValue, FieldValues, JsonFieldSpec, JsonFieldType } from './profile-types.js';

interface ScalarBase {
  name: string;
  path: JsonPath;
  required: boolean;
  default?: FieldValue;
}

export type ScalarJsonField =
  | (ScalarBase & { type: 'number' | 'integer'; range?: readonly [number, number] })
  | (ScalarBase & { type: 'string' | 'timestamp' })
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
  number: ['range', 'default'],
  integer: ['range', 'default'],
  string: ['default'],
  timestamp: ['default'],
  boolean: ['trueWhen', 'default'],
  list: ['items'],
};
const TYPED_KEYS: readonly (keyof JsonFieldSpec)[] = ['range', 'default', 'trueWhen', 'items'];

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
  if (spec.type !== 'list' && path.many) problems.add(here('path'), `${spec.path} selects many values ([*]): only a list field may use it`);
  if (spec.type === 'list' && inList) problems.add(here('type'), 'a list element cannot hold a list (lists do not nest)');
  if (spec.required === true && spec.default !== undefined) problems.add(here('default'), 'a required field has no use for a default (leave out required, or set it false)');
  if (spec.type === 'boolean' && spec.trueWhen !== undefined && spec.required !== undefined) {
    problems.add(here('required'), 'does not apply with trueWhen (an absent value is simply not one of them: false)');
  }
  if (spec.range !== undefined && spec.range[0] > spec.range[1]) problems.add(here('range'), `min ${spec.range[0]} is above max ${spec.range[1]}`);
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
      return { ...base, type: spec.type, ...(spec.range === undefined ? {} : { range: [spec.range[0], spec.range[1]] as const }) };
    case 'boolean':
      return { ...base, type: 'boolean', ...(spec.trueWhen === undefined ? {} : { trueWhen: [...spec.trueWhen] }) };
    default:
      return { ...base, type: spec.type };
  }
}

/** RFC 3339 with a zone (Z or ±hh:mm); a time without one means nothing across sites. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** What went wrong with one field of one result; `id` names the result in the message. */
function fieldFailure(f: { name: string; path: JsonPath }, id: string, problem: string, value?: JsonValue): Result<never, DecodeFailure> {
  const shown = value === undefined ? undefined : JSON.stringify(value).slice(0, 80);
  return fail({
    code: 'BL_ERR_VENDOR_JSON',
    message: `result ${id}: field ${f.name} (${f.path.source}) ${problem}${shown === undefined ? '' : `: ${shown}`}`,
    detail: { resultId: id, field: f.name, path: f.path.source, ...(shown === undefined ? {} : { value: shown }) },
  });
}

/** One scalar field's value: undefined when absent and optional without a default. */
function scalarValue(f: ScalarJsonField, root: JsonValue, id: string): Result<FieldValue | undefined, DecodeFailure> {
  const v = selectJson(f.path, root);
  if (f.type === 'boolean' && f.trueWhen !== undefined) {
    return ok(v !== undefined && v !== null && typeof v !== 'object' && f.trueWhen.includes(v));
  }
  if (v === undefined || v === null) {
    if (f.default !== undefined) return ok(f.default);
    return f.required ? fieldFailure(f, id, 'is missing') : ok(undefined);
  }
  switch (f.type) {
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return fieldFailure(f, id, 'is not a number', v);
      if (f.type === 'integer' && !Number.isSafeInteger(v)) return fieldFailure(f, id, 'is not an integer', v);
      if (f.range !== undefined && (v < f.range[0] || v > f.range[1])) return fieldFailure(f, id, `is outside its range [${f.range[0]}, ${f.range[1]}]`, v);
      return ok(v);
    }
    case 'string':
      return typeof v === 'string' ? ok(v) : fieldFailure(f, id, 'is not a string', v);
    case 'boolean':
      return typeof v === 'boolean' ? ok(v) : fieldFailure(f, id, 'is not true or false', v);
    case 'timestamp': {
      if (typeof v === 'number' && Number.isFinite(v)) return ok(v);
      if (typeof v === 'string' && RFC3339.test(v)) {
        const ms = Date.parse(v.replace(' ', 'T'));
        if (Number.isFinite(ms)) return ok(ms / 1000);
      }
      return fieldFailure(f, id, 'is not a timestamp (RFC 3339 with a zone, or Unix seconds)', v);
    }
  }
}

/** A result's values and lists, or the first field that is missing or of the wrong type. */
export function extractJsonFields(
  fields: readonly JsonField[],
  result: JsonValue,
  id: string,
): Result<{ values: FieldValues; lists: { [list: string]: FieldValues[] } }, DecodeFailure> {
  const values: { [k: string]: FieldValue } = {};
  const lists: { [list: string]: FieldValues[] } = {};
  for (const f of fields) {
    if (f.type !== 'list') {
      const r = scalarValue(f, result, id);
      if (!r.ok) return r;
      if (r.value !== undefined) values[f.name] = r.value;
      continue;
    }
    const raw = selectJson(f.path, result);
    if (raw === undefined || raw === null) {
      if (f.required) return fieldFailure(f, id, 'is missing');
      lists[f.name] = [];
      continue;
    }
    if (!Array.isArray(raw)) return fieldFailure(f, id, 'is not a list', raw);
    const elements: FieldValues[] = [];
    for (const [i, element] of raw.entries()) {
      const e: { [k: string]: FieldValue } = {};
      for (const item of f.items) {
        const r = scalarValue({ ...item, name: `${f.name}[${i}].${item.name}` }, element, id);
        if (!r.ok) return r;
        if (r.value !== undefined) e[`${f.name}.${item.name}`] = r.value;
      }
      elements.push(e);
    }
    lists[f.name] = elements;
  }
  return ok({ values, lists });
}
