/**
 * The JSON Schema and the .proto are one contract in two spellings. This walks both, from the
 * root event down through every nested object, and lists every difference: a property without
 * a field (or the reverse), array vs repeated, type, presence, enum values. It is what makes
 * "change both, additively" enforceable rather than a convention.
 */
import { readFileSync } from 'node:fs';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { eventProtoPath, eventSchemaPath } from '../../../src/schema/contract-files.js';
import {
  JSON_ENUM_VALUE_PATTERN, protoEnumUnspecified, protoEnumValueName, snakeCase,
} from '../../../src/schema/proto-naming.js';
import { EVENT_PROTO_MESSAGE } from '../../../src/schema/protobuf.js';

type Schema = { [key: string]: unknown };

const PACKAGE = 'borderlink.detection_event.v1';
const TIMESTAMP = '.google.protobuf.Timestamp';
const STRUCT = '.google.protobuf.Struct';
const INTEGERS = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v);

function loadSchema(): Schema {
  const parsed: unknown = JSON.parse(readFileSync(eventSchemaPath(), 'utf8'));
  if (!isSchema(parsed)) throw new Error('schema is not an object');
  return parsed;
}

function loadProto(): protobuf.Root {
  const root = new protobuf.Root().loadSync(eventProtoPath(), { keepCase: true });
  root.resolveAll();
  return root;
}

/** Every difference between the schema and the proto, as readable lines; empty when in step. */
function parityErrors(schema: Schema, root: protobuf.Root): string[] {
  const errors: string[] = [];
  const defs = isSchema(schema['$defs']) ? schema['$defs'] : {};
  const usedDefs = new Set<string>();
  const visited = new Set<protobuf.ReflectionObject>();

  const resolve = (s: unknown): { name: string | undefined; def: Schema } => {
    if (!isSchema(s)) return { name: undefined, def: {} };
    const ref = s['$ref'];
    if (typeof ref !== 'string') return { name: undefined, def: s };
    const name = ref.replace('#/$defs/', '');
    usedDefs.add(name);
    const def = defs[name];
    if (!isSchema(def)) errors.push(`JSON ${ref} does not resolve`);
    return { name, def: isSchema(def) ? def : {} };
  };

  const compareEnum = (name: string, def: Schema, e: protobuf.Enum, at: string): void => {
    if (e.name !== name) errors.push(`${at}: JSON enum ${name} is proto enum ${e.name}`);
    if (visited.has(e)) return;
    visited.add(e);
    const values = Array.isArray(def['enum']) ? def['enum'].map(String) : [];
    const expected = new Set([protoEnumUnspecified(name), ...values.map((v) => protoEnumValueName(name, v))]);
    for (const v of values) {
      if (!JSON_ENUM_VALUE_PATTERN.test(v)) errors.push(`JSON enum ${name} value "${v}" is not lower kebab-case`);
      if (e.values[protoEnumValueName(name, v)] === undefined) {
        errors.push(`JSON enum ${name} value "${v}" has no proto value ${protoEnumValueName(name, v)}`);
      }
    }
    for (const protoName of Object.keys(e.values)) {
      if (!expected.has(protoName)) errors.push(`proto enum ${e.name} value ${protoName} has no JSON value in ${name}`);
    }
    if (e.values[protoEnumUnspecified(name)] !== 0) errors.push(`proto enum ${e.name} lacks ${protoEnumUnspecified(name)} = 0`);
  };

  /** One value (an array element, a map value or a single field) against the field's type. */
  const compareElement = (s: unknown, field: protobuf.Field, at: string): void => {
    const { name, def } = resolve(s);
    const rt = field.resolvedType;
    if (Array.isArray(def['enum'])) {
      if (rt instanceof protobuf.Enum && name !== undefined) compareEnum(name, def, rt, at);
      else errors.push(`${at}: JSON enum ${name ?? '(inline)'} but proto ${field.type}`);
      return;
    }
    if (def['format'] === 'date-time') {
      if (rt?.fullName !== TIMESTAMP) errors.push(`${at}: JSON date-time but proto ${field.type}`);
      return;
    }
    switch (def['type']) {
      case 'object':
        if (isSchema(def['properties'])) {
          if (rt instanceof protobuf.Type && !field.map) compareObject(name ?? '(inline)', def, rt, at);
          else errors.push(`${at}: JSON object but proto ${field.type}`);
        } else if (def['additionalProperties'] === true) {
          if (rt?.fullName !== STRUCT || field.map) errors.push(`${at}: JSON free map but proto ${field.type}, not google.protobuf.Struct`);
        } else if (isSchema(def['additionalProperties']) && def['additionalProperties']['type'] === 'string') {
          if (!(field instanceof protobuf.MapField) || field.keyType !== 'string' || field.type !== 'string') {
            errors.push(`${at}: JSON map of strings but proto is not map<string, string>`);
          }
        } else {
          errors.push(`${at}: JSON object of unknown shape`);
        }
        return;
      case 'string':
      case 'boolean':
      case 'integer':
      case 'number': {
        const ok = rt === null && !field.map && (
          def['type'] === 'string' ? field.type === 'string'
            : def['type'] === 'boolean' ? field.type === 'bool'
              : def['type'] === 'integer' ? INTEGERS.has(field.type)
                : field.type === 'double' || field.type === 'float');
        if (!ok) errors.push(`${at}: JSON ${String(def['type'])} but proto ${field.type}`);
        return;
      }
      default:
        errors.push(`${at}: JSON type ${JSON.stringify(def['type'])} has no proto mapping`);
    }
  };

  const compareField = (s: unknown, required: boolean, field: protobuf.Field, at: string): void => {
    const { def } = resolve(s);
    if (def['type'] === 'array') {
      if (!field.repeated || field.map) {
        errors.push(`${at}: JSON array but proto field is not repeated`);
        return;
      }
      const item = resolve(def['items']).def;
      if (item['type'] === 'array') {
        // a tuple: a message with one repeated scalar field (Point)
        const rt = field.resolvedType;
        const inner = rt instanceof protobuf.Type ? rt.fieldsArray : [];
        const only = inner[0];
        if (rt instanceof protobuf.Type) visited.add(rt);
        if (inner.length !== 1 || only === undefined || !only.repeated) {
          errors.push(`${at}: JSON array of arrays but proto is not a repeated message with one repeated field`);
        } else {
          compareElement(item['items'], only, `${at}[]`);
        }
        return;
      }
      compareElement(def['items'], field, `${at}[]`);
      return;
    }
    if (field.repeated) {
      errors.push(`${at}: proto field is repeated but JSON is not an array`);
      return;
    }
    compareElement(s, field, at);
    // presence: optional JSON scalars must be proto3 `optional`, required ones must not be
    const scalar = !field.map && !(field.resolvedType instanceof protobuf.Type);
    if (scalar && required === (field.partOf !== null)) {
      errors.push(`${at}: JSON ${required ? 'required' : 'optional'} but proto ${field.partOf !== null ? 'optional' : 'not optional'}`);
    }
  };

  const compareObject = (name: string, def: Schema, t: protobuf.Type, at: string): void => {
    if (t.name !== name) errors.push(`${at}: JSON ${name} is proto message ${t.name}`);
    if (visited.has(t)) return;
    visited.add(t);
    if (def['additionalProperties'] !== false) errors.push(`JSON ${name} allows additional properties`);
    const props = isSchema(def['properties']) ? def['properties'] : {};
    const required = new Set(Array.isArray(def['required']) ? def['required'].map(String) : []);
    const fieldsByName = new Map(t.fieldsArray.map((f) => [f.name, f]));
    const jsonBySnake = new Map(Object.keys(props).map((p) => [snakeCase(p), p]));
    for (const [prop, s] of Object.entries(props)) {
      const field = fieldsByName.get(snakeCase(prop));
      if (field === undefined) errors.push(`JSON ${name}.${prop} has no proto field ${t.name}.${snakeCase(prop)}`);
      else compareField(s, required.has(prop), field, `${name}.${prop}`);
    }
    for (const field of t.fieldsArray) {
      if (!jsonBySnake.has(field.name)) errors.push(`proto ${t.name}.${field.name} has no JSON property in ${name}`);
    }
  };

  compareObject('DetectionEvent', schema, root.lookupType(EVENT_PROTO_MESSAGE), 'DetectionEvent');

  // nothing declared on one side only, out of reach of the event
  const pkg = root.lookup(PACKAGE);
  const declared = pkg instanceof protobuf.Namespace ? pkg.nestedArray : [];
  for (const obj of declared) {
    if (!visited.has(obj)) errors.push(`proto ${obj.name} is not reached from DetectionEvent`);
  }
  for (const name of Object.keys(defs)) {
    if (!usedDefs.has(name)) errors.push(`JSON $defs/${name} is not used`);
  }
  return errors;
}

describe('JSON Schema <-> proto parity', () => {
  it('the two contract files agree field for field, enum value for enum value', () => {
    expect(parityErrors(loadSchema(), loadProto())).toEqual([]);
  });

  describe('fails when one side changes alone', () => {
    const defOf = (schema: Schema, name: string): Schema => {
      const defs = schema['$defs'];
      const def = isSchema(defs) ? defs[name] : undefined;
      if (!isSchema(def)) throw new Error(`no $defs/${name}`);
      return def;
    };
    const propsOf = (def: Schema): Schema => (isSchema(def['properties']) ? def['properties'] : {});

    it('a JSON property added to a nested object only', () => {
      const schema = structuredClone(loadSchema());
      propsOf(defOf(schema, 'Finding'))['confidenceLevel'] = { description: 'x', type: 'number' };
      expect(parityErrors(schema, loadProto())).toEqual([
        'JSON Finding.confidenceLevel has no proto field Finding.confidence_level',
      ]);
    });

    it('a proto field added only', () => {
      const root = loadProto();
      root.lookupType(`${PACKAGE}.Score`).add(new protobuf.Field('scale_name', 6, 'string', 'optional'));
      root.resolveAll();
      expect(parityErrors(loadSchema(), root)).toEqual(['proto Score.scale_name has no JSON property in Score']);
    });

    it('an enum value added on either side only', () => {
      const schema = structuredClone(loadSchema());
      const category = defOf(schema, 'Category');
      category['enum'] = [...(Array.isArray(category['enum']) ? category['enum'] : []), 'radiological'];
      expect(parityErrors(schema, loadProto())).toEqual([
        'JSON enum Category value "radiological" has no proto value CATEGORY_RADIOLOGICAL',
      ]);
      const root = loadProto();
      root.lookupEnum(`${PACKAGE}.ArtifactKind`).add('ARTIFACT_KIND_VIDEO', 9);
      expect(parityErrors(loadSchema(), root)).toEqual(['proto enum ArtifactKind value ARTIFACT_KIND_VIDEO has no JSON value in ArtifactKind']);
    });

    it('an array on one side and a single value on the other', () => {
      const schema = structuredClone(loadSchema());
      propsOf(defOf(schema, 'Finding'))['detectors'] = { description: 'x', type: 'string' };
      expect(parityErrors(schema, loadProto())).toEqual(['Finding.detectors: proto field is repeated but JSON is not an array']);
    });

    it('a type or presence that differs', () => {
      const schema = structuredClone(loadSchema());
      propsOf(defOf(schema, 'Measurement'))['grossCounts'] = { description: 'x', type: 'string' };
      const score = defOf(schema, 'Score');
      score['required'] = [...(Array.isArray(score['required']) ? score['required'] : []), 'min'];
      expect(parityErrors(schema, loadProto())).toEqual([
        'Score.min: JSON required but proto optional',
        'Measurement.grossCounts: JSON string but proto double',
      ]);
    });

    it('a message or $def declared on one side and never used', () => {
      const root = loadProto();
      const pkg = root.lookup(PACKAGE);
      if (pkg instanceof protobuf.Namespace) pkg.add(new protobuf.Type('Orphan'));
      const schema = structuredClone(loadSchema());
      defOf(schema, 'Fault')['additionalProperties'] = true;
      expect(parityErrors(schema, root)).toEqual([
        'JSON Fault allows additional properties',
        'proto Orphan is not reached from DetectionEvent',
      ]);
    });
  });
});
