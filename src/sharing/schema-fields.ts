/**
 * The fields of a DetectionEvent as the v1 JSON Schema declares them, flattened into redact paths
 * ("subject.conveyances[].id"). Read from the schema file at runtime, never from a hand list, so
 * a field added to the schema is redactable (and a required one refused) without touching this
 * module.
 *
 * What the policy needs to know of each field:
 *   - required in its parent always (the schema's `required`), or only on some event types (the
 *     root allOf/if eventType const/then branches): deleting it would make the event invalid;
 *   - whether its value is an array (a path continues into its elements with `[]`);
 *   - whether it is a free map (an object without declared properties: algorithm settings,
 *     raw.nativeIds, raw.extensions): its keys are not fields, and anything may sit inside.
 */
import type { EventType } from '../schema/detection-event.js';
import { EVENT_TYPES } from '../schema/detection-event.js';
import { loadEventSchema } from '../schema/validator.js';

type Obj = Record<string, unknown>;

export interface FieldInfo {
  /** dotted path, `[]` after every array field passed through: "findings[].region.artifactRef" */
  readonly path: string;
  /** the parent field's path, "" for a top-level field */
  readonly parent: string;
  readonly name: string;
  /** the value is an array; `items` says what its elements are */
  readonly array: boolean;
  /** an object (or array of objects) with declared properties: the path may continue below it */
  readonly hasChildren: boolean;
  /** an object (or array of objects) without declared properties: keys are data, not fields */
  readonly freeMap: boolean;
  /** the value (or each element) is a string with an enum or a pattern: a code, not free text */
  readonly coded: boolean;
  /** required in its parent on every event */
  readonly required: boolean;
  /** required in its parent on these event types only (allOf/if/then); empty when never */
  readonly requiredFor: readonly EventType[];
}

export interface EventFieldTable {
  /** every declared field by path, in schema order (parents before children) */
  readonly fields: ReadonlyMap<string, FieldInfo>;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Follows local `$ref`s ("#/$defs/Name") until a schema without one. */
function resolveRef(root: Obj, node: unknown): Obj {
  let n: unknown = node;
  for (let hops = 0; hops < 32 && isObj(n) && typeof n.$ref === 'string'; hops++) {
    const ref: string = n.$ref;
    if (!ref.startsWith('#/')) break;
    n = ref
      .slice(2)
      .split('/')
      .reduce<unknown>((at, seg) => (isObj(at) ? at[seg.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), root);
  }
  return isObj(n) ? n : {};
}

const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

interface Mutable {
  path: string; parent: string; name: string; array: boolean; hasChildren: boolean; freeMap: boolean;
  coded: boolean; required: boolean; requiredFor: EventType[];
}

/**
 * Flattens the schema's declared properties. Recursion is bounded by depth, so a recursive schema
 * (none today) would be cut rather than loop.
 */
export function eventFieldTable(schema: Obj = loadEventSchema()): EventFieldTable {
  const fields = new Map<string, Mutable>();
  const walk = (node: Obj, prefix: string, parent: string, depth: number): void => {
    if (depth > 12 || !isObj(node.properties)) return;
    const required = new Set(stringList(node.required));
    for (const [name, raw] of Object.entries(node.properties)) {
      let s = resolveRef(schema, raw);
      const array = s.type === 'array';
      if (array) s = resolveRef(schema, s.items);
      const path = `${prefix}${name}`;
      const hasChildren = isObj(s.properties) && Object.keys(s.properties).length > 0;
      const freeMap = s.type === 'object' && !hasChildren;
      const coded = s.type === 'string' && (Array.isArray(s.enum) || typeof s.pattern === 'string' || 'const' in s);
      fields.set(path, { path, parent, name, array, hasChildren, freeMap, coded, required: required.has(name), requiredFor: [] });
      if (hasChildren) walk(s, `${path}${array ? '[]' : ''}.`, path, depth + 1);
    }
  };
  walk(schema, '', '', 0);

  // root allOf: { if: { properties: { eventType: { const: T } } }, then: { required, properties } }
  const addConditional = (then: Obj, prefix: string, type: EventType): void => {
    for (const name of stringList(then.required)) {
      const f = fields.get(`${prefix}${name}`);
      if (f && !f.requiredFor.includes(type)) f.requiredFor.push(type);
    }
    if (!isObj(then.properties)) return;
    for (const [name, sub] of Object.entries(then.properties)) {
      const f = fields.get(`${prefix}${name}`);
      if (!f || !isObj(sub)) continue;
      const inner = f.array ? (isObj(sub.items) ? sub.items : {}) : sub;
      addConditional(inner, `${f.path}${f.array ? '[]' : ''}.`, type);
    }
  };
  for (const branch of Array.isArray(schema.allOf) ? schema.allOf : []) {
    if (!isObj(branch) || !isObj(branch.if) || !isObj(branch.then)) continue;
    const props = branch.if.properties;
    const et = isObj(props) && isObj(props.eventType) ? props.eventType.const : undefined;
    const type = EVENT_TYPES.find((t) => t === et);
    if (type !== undefined) addConditional(branch.then, '', type);
  }
  return { fields };
}

let shipped: EventFieldTable | undefined;

/** The table of the schema shipped in schemas/detection-event/v1/, read once. */
export function shippedEventFieldTable(): EventFieldTable {
  shipped ??= eventFieldTable();
  return shipped;
}

/** Whether `f` must stay on an event of this type (always required, or required for the type). */
export function requiredOn(f: FieldInfo, eventType: EventType): boolean {
  return f.required || f.requiredFor.includes(eventType);
}

/**
 * Every path a policy may redact for an agency that receives `eventTypes`: declared fields that
 * are not required in their parent on any of those types, outside `sharing` (the policy writes
 * that itself). Used by tests and by documentation; the compiler applies the same rule.
 */
export function redactablePaths(table: EventFieldTable, eventTypes: readonly EventType[] = EVENT_TYPES): string[] {
  const out: string[] = [];
  for (const f of table.fields.values()) {
    if (f.path === 'sharing' || f.path.startsWith('sharing.')) continue;
    if (f.required || eventTypes.some((t) => f.requiredFor.includes(t))) continue;
    out.push(f.path);
  }
  return out;
}
