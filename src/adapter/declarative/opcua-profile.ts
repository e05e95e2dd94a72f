/**
 * OPC UA profiles (transport opcua): a device whose address space is known needs no code. Each
 * field names where its value lives, a monitored node (`nodeId` or `browsePath`) or a field of the
 * events the profile subscribes to (`event`), and is otherwise a JSON field: the node's value is
 * JSON already (the connector turns every OPC UA value into JSON, src/connectors/opcua-values.ts),
 * so `type`, `path` (default $), `trueWhen`, `range`, `enum`, lists and the rest are the JSON
 * profile's machinery (json-fields.ts), and the emit rules are the same as every profile's.
 *
 *   compile    fields -> the acquisition plan the connector monitors (fields naming the same node
 *              share one monitored item, named after the first of them; event fields become the
 *              event filter's select clauses) + JSON field extractors + emit rules.
 *   decode     one frame (a data change: the snapshot of every monitored value; or one event) ->
 *              one record of field values. A value that fails its field (missing, of another type,
 *              not one of its enum values...) fails the frame with BL_ERR_OPCUA_VALUE only in the
 *              frame where it changed (or, for event fields, in its event): later frames read it as
 *              absent, so a refused value is quarantined once and does not block every rule.
 *   normalise  the emit rules' reducer (emit-rules.ts), as for a Modbus poll; a frame of quality
 *              uncertain or bad lowers the quality of the events it makes.
 *
 * Every frame runs the rules: node fields are the snapshot (an event frame repeats it, so edges
 * on node fields do not fire there), and event fields are present only on event frames.
 */
import type { JsonValue, Quality } from '../../schema/detection-event.js';
import {
  defineAdapter, fail, ok, type AdapterDefinition, type DecodeFailure, type OpcUaFrame, type OpcUaPlan, type Result,
} from '../types.js';
import { eventFieldKey, looksLikeNodeId, parseBrowsePath, parseNodeId, parseNotifier, planProblems } from '../../connectors/opcua-address.js';
import { compileEmitRules, type ListItemKinds } from './emit-compile.js';
import type { CompiledRule } from './emit-program.js';
import { initialProfileState, readProfileState, runEmitRules, type ProfileState } from './emit-rules.js';
import { compileJsonFields, extractJsonFields, jsonFieldKinds, type ExtractFailureStyle, type JsonField } from './json-fields.js';
import { pointer, type ProblemList } from './profile-problems.js';
import { profileIdentity, type FieldValue, type FieldValues, type JsonFieldSpec, type OpcUaFieldSpec, type Profile } from './profile-types.js';

export const DEFAULT_PUBLISHING_INTERVAL_MS = 500;
export const DEFAULT_KEEP_ALIVE_COUNT = 10;
/** 0: the server reports every change as it is written (if it allows 0; else its fastest rate) */
export const DEFAULT_SAMPLING_INTERVAL_MS = 0;
/** a burst of changes between two publishes is kept, not overwritten (the frame assembler flushes on repeats) */
export const DEFAULT_QUEUE_SIZE = 10;

/** What a field reads: a monitored item (by its name in the plan) or an event field (by its frame key). */
type FieldSource = { kind: 'node'; item: string } | { kind: 'event'; key: string };

interface OpcUaField {
  field: JsonField;
  source: FieldSource;
  parseJson: boolean;
}

export interface OpcUaParts {
  fields: OpcUaField[];
  rules: CompiledRule[];
  plan: OpcUaPlan;
  /** event types read (EventType as the frame spells it); undefined: every event of the notifier */
  eventTypes?: ReadonlySet<string>;
}

/** One frame's values, as decode hands them to normalise. */
export interface OpcUaRecord {
  values: FieldValues;
  lists: { [list: string]: FieldValues[] };
  quality: Quality;
}

export type OpcUaProfileAdapter = AdapterDefinition<OpcUaFrame, OpcUaRecord, unknown, ProfileState>;

const SOURCE_KEYS = ['nodeId', 'browsePath', 'event'] as const;
/** keys of an OPC UA field that are not a JSON field's */
const OPCUA_ONLY_KEYS = ['nodeId', 'browsePath', 'event', 'parse', 'samplingIntervalMs', 'queueSize'] as const;

/**
 * `{alias}Name` -> `{uri}Name` in a browse path. Braces holding a `:` are a URI already (every
 * URI has a scheme); anything else must be an alias of opcua.namespaces.
 */
function expandAliases(text: string, aliases: { readonly [alias: string]: string }, problems: ProblemList, at: string): string {
  return text.replace(/\{([^{}]*)\}/g, (whole, inner: string) => {
    if (inner.includes(':')) return whole;
    const uri = Object.hasOwn(aliases, inner) ? aliases[inner] : undefined;
    if (uri === undefined) {
      problems.add(at, `{${inner}} is neither a namespace URI nor an alias of opcua.namespaces`);
      return whole;
    }
    return `{${uri}}`;
  });
}

/** A browse path the connector can resolve from the Objects folder, or undefined (reported). */
function browsePathOf(text: string, aliases: { readonly [alias: string]: string }, problems: ProblemList, at: string): string | undefined {
  const before = problems.items.length;
  const expanded = expandAliases(text, aliases, problems, at);
  if (problems.items.length !== before) return undefined;
  const parsed = parseBrowsePath(expanded);
  if (!parsed.ok) {
    problems.add(at, parsed.error);
    return undefined;
  }
  const first = parsed.value[0];
  if (first !== undefined && 'index' in first.ns && first.ns.index === 0 && first.name === 'Objects') {
    problems.add(at, 'starts at the Objects folder already: leave out "Objects" (write Scanner/State, not Objects/Scanner/State)');
    return undefined;
  }
  return expanded;
}

/** An event type as a frame's EventType spells it: `i=2041` (namespace 0) or `nsu=<uri>;s=...`. */
function eventTypeText(text: string, problems: ProblemList, at: string): string | undefined {
  const r = parseNodeId(text);
  if (!r.ok) {
    problems.add(at, r.error);
    return undefined;
  }
  const { ns, identifier } = r.value;
  if ('uri' in ns) return `nsu=${ns.uri};${identifier}`;
  if (ns.index === 0) return identifier;
  problems.add(at, `names its namespace by index (ns=${ns.index}): name it by URI (nsu=<uri>;...), as event frames spell event types`);
  return undefined;
}

/** The JSON field an OPC UA field is, once its source is set apart. */
function asJsonSpec(spec: OpcUaFieldSpec): JsonFieldSpec {
  const out: { [k: string]: unknown } = { path: spec.path ?? '$' };
  for (const [k, v] of Object.entries(spec)) {
    if (v !== undefined && k !== 'path' && !(OPCUA_ONLY_KEYS as readonly string[]).includes(k)) out[k] = v;
  }
  return out as unknown as JsonFieldSpec;
}

/** Compiles the OPC UA parts of a profile that passed the schema; problems are collected. */
export function compileOpcUaParts(profile: Profile, problems: ProblemList): OpcUaParts {
  const a = profile.acquisition;
  for (const k of ['pollIntervalMs', 'timeoutMs', 'gapTolerance', 'maxPerRead', 'limit', 'maxBytes'] as const) {
    if (a[k] !== undefined) problems.add(pointer('acquisition', k), `is not for OPC UA profiles: the server pushes changes (pace them with publishingIntervalMs, samplingIntervalMs)`);
  }
  if (profile.json !== undefined) problems.add(pointer('json'), 'is for http-poll and http-push profiles, not opcua');
  const aliases = profile.opcua?.namespaces ?? {};
  const events = profile.opcua?.events;

  const specs: { [name: string]: OpcUaFieldSpec } = {};
  const jsonSpecs: { [name: string]: JsonFieldSpec } = {};
  const sources = new Map<string, { source: FieldSource; display: string }>();
  const items = new Map<string, { name: string; nodeId?: string; browsePath?: string; samplingIntervalMs: number; queueSize: number; owner: string }>();
  const eventPaths = new Map<string, string>(); // frame key -> browse path as selected
  for (const [name, raw] of Object.entries(profile.fields)) {
    const at = (...k: string[]): string => pointer('fields', name, ...k);
    if ('table' in raw) {
      problems.add(at(), 'is a Modbus field (table, address): an opcua profile reads nodes (nodeId, browsePath) and event fields (event)');
      continue;
    }
    const spec = raw as OpcUaFieldSpec;
    const given = SOURCE_KEYS.filter((k) => spec[k] !== undefined);
    if (given.length !== 1) {
      problems.add(at(), given.length === 0 ? 'needs one of nodeId, browsePath or event: where the value is' : `gives ${given.join(' and ')}: give exactly one`);
      continue;
    }
    specs[name] = spec;
    jsonSpecs[name] = asJsonSpec(spec);
    if (spec.event !== undefined) {
      for (const k of ['samplingIntervalMs', 'queueSize'] as const) {
        if (spec[k] !== undefined) problems.add(at(k), 'is for node fields (an event is not sampled)');
      }
      if (events === undefined) problems.add(at('event'), 'reads an event field, but opcua.events names no notifier to subscribe to');
      const path = browsePathOf(spec.event, aliases, problems, at('event'));
      if (path === undefined) continue;
      const parsed = parseBrowsePath(path);
      if (!parsed.ok) continue;
      const key = eventFieldKey(parsed.value);
      const other = eventPaths.get(key);
      if (other !== undefined && other !== path) {
        problems.add(at('event'), `reads as "${key}" in an event frame, as ${other} does: a frame keys event fields by name without namespace`);
        continue;
      }
      eventPaths.set(key, path);
      sources.set(name, { source: { kind: 'event', key }, display: `event ${spec.event}` });
      continue;
    }
    let address: { nodeId: string } | { browsePath: string };
    if (spec.nodeId !== undefined) {
      const r = parseNodeId(spec.nodeId);
      if (!r.ok) {
        problems.add(at('nodeId'), r.error);
        continue;
      }
      address = { nodeId: spec.nodeId.trim() };
    } else {
      const path = browsePathOf(spec.browsePath ?? '', aliases, problems, at('browsePath'));
      if (path === undefined) continue;
      address = { browsePath: path };
    }
    const key = 'nodeId' in address ? `nodeId:${address.nodeId}` : `browsePath:${address.browsePath}`;
    const samplingIntervalMs = spec.samplingIntervalMs ?? a.samplingIntervalMs ?? DEFAULT_SAMPLING_INTERVAL_MS;
    const queueSize = spec.queueSize ?? a.queueSize ?? DEFAULT_QUEUE_SIZE;
    const item = items.get(key);
    if (item === undefined) {
      items.set(key, { name, ...address, samplingIntervalMs, queueSize, owner: name });
    } else {
      // one monitored item per node: fields reading it must agree on how it is sampled
      if (item.samplingIntervalMs !== samplingIntervalMs) problems.add(at('samplingIntervalMs'), `is ${samplingIntervalMs}, but field ${item.owner} monitors the same node with ${item.samplingIntervalMs}`);
      if (item.queueSize !== queueSize) problems.add(at('queueSize'), `is ${queueSize}, but field ${item.owner} monitors the same node with ${item.queueSize}`);
    }
    sources.set(name, { source: { kind: 'node', item: items.get(key)?.name ?? name }, display: spec.nodeId ?? spec.browsePath ?? '' });
  }

  const compiledFields = compileJsonFields(jsonSpecs, problems);
  const fields: OpcUaField[] = [];
  for (const f of compiledFields) {
    const s = sources.get(f.name);
    const spec = specs[f.name];
    if (s === undefined || spec === undefined) continue;
    const rel = f.path.source === '$' ? '' : ` ${f.path.source}`;
    // failures name the node or event field, then the path inside the value
    const field: JsonField = { ...f, path: { ...f.path, source: `${s.display}${rel}` } };
    fields.push({ field, source: s.source, parseJson: spec.parse === 'json' });
  }
  // a field without a source (reported above) is unknown to the rules, not reported twice
  const { kinds, items: listItems } = jsonFieldKinds(jsonSpecs, compiledFields.filter((f) => sources.has(f.name)));
  for (const name of Object.keys(profile.fields)) if (!kinds.has(name)) kinds.set(name, 'unknown');
  const rules = compileEmitRules(profile.emit, kinds, problems, listItems as ListItemKinds);

  let eventTypes: Set<string> | undefined;
  let planEvents: OpcUaPlan['events'];
  if (events !== undefined) {
    const before = problems.items.length;
    const notifier = !looksLikeNodeId(events.notifier) ? browsePathOf(events.notifier, aliases, problems, pointer('opcua', 'events', 'notifier')) : events.notifier;
    if (notifier !== undefined && problems.items.length === before) {
      const n = parseNotifier(notifier);
      if (!n.ok) problems.add(pointer('opcua', 'events', 'notifier'), n.error);
    }
    if (events.types !== undefined) {
      eventTypes = new Set();
      for (const [i, t] of events.types.entries()) {
        const text = eventTypeText(t, problems, pointer('opcua', 'events', 'types', String(i)));
        if (text !== undefined) eventTypes.add(text);
      }
      // the filter needs each event's type
      if (!eventPaths.has('EventType')) eventPaths.set('EventType', 'EventType');
    }
    // a subscription selects at least one field; frames of an event with none still run the rules
    if (eventPaths.size === 0) eventPaths.set('EventType', 'EventType');
    planEvents = { notifier: notifier ?? events.notifier, fields: [...eventPaths.values()] };
  }

  const plan: OpcUaPlan = {
    kind: 'opcua',
    nodes: [...items.values()].map(({ owner, ...node }) => {
      void owner;
      return node;
    }),
    ...(planEvents === undefined ? {} : { events: planEvents }),
    publishingIntervalMs: a.publishingIntervalMs ?? DEFAULT_PUBLISHING_INTERVAL_MS,
    keepAliveCount: a.keepAliveCount ?? DEFAULT_KEEP_ALIVE_COUNT,
  };
  if (problems.items.length === 0) {
    // what the connector will check at start; anything it finds here is a gap in the checks above
    for (const p of planProblems(plan)) problems.add(pointer('opcua'), p);
    if (plan.nodes.length === 0 && plan.events === undefined) problems.add(pointer('fields'), 'no field reads a node or an event');
  }
  return { fields, rules, plan, ...(eventTypes === undefined ? {} : { eventTypes }) };
}

const RANK: Record<Quality, number> = { good: 0, uncertain: 1, bad: 2 };

/** The value a field starts from: the node's value or the event field, parsed when it is JSON text. */
function rootValue(f: OpcUaField, frame: OpcUaFrame): { present: false } | { present: true; value: JsonValue } | { present: true; notJson: string } {
  let v: JsonValue | undefined;
  if (f.source.kind === 'node') v = frame.values[f.source.item] ?? null;
  else {
    if (frame.source !== 'event') return { present: false };
    v = frame.event?.[f.source.key] ?? null;
  }
  if (!f.parseJson || typeof v !== 'string') return { present: true, value: v };
  // an empty String is a node not written yet (the scanner before its first scan): no value
  if (v.trim() === '') return { present: true, value: null };
  try {
    return { present: true, value: JSON.parse(v) as JsonValue };
  } catch (e) {
    return { present: true, notJson: (e instanceof Error ? e.message : String(e)).slice(0, 120) };
  }
}

/** A frame's field values; a failing field fails the frame only where its value is new (see the module comment). */
export function decodeOpcUaFrame(parts: OpcUaParts, frame: OpcUaFrame): Result<OpcUaRecord[], DecodeFailure> {
  if (frame.source === 'event' && parts.eventTypes !== undefined) {
    const type = frame.event?.EventType;
    if (typeof type !== 'string' || !parts.eventTypes.has(type)) return ok([]); // another event of the notifier
  }
  const changed = new Set(frame.changed);
  const style: ExtractFailureStyle = { code: 'BL_ERR_OPCUA_VALUE', label: `${frame.source} frame` };
  const values: { [k: string]: FieldValue } = {};
  const lists: { [list: string]: FieldValues[] } = {};
  for (const f of parts.fields) {
    const root = rootValue(f, frame);
    if (!root.present) {
      if (f.field.type === 'list') lists[f.field.name] = [];
      else if (f.field.type === 'boolean' && f.field.trueWhen !== undefined) values[f.field.name] = false;
      continue;
    }
    const fresh = f.source.kind === 'event' || changed.has(f.source.item);
    if ('notJson' in root) {
      if (!fresh) continue;
      return fail({
        code: 'BL_ERR_OPCUA_VALUE',
        message: `${style.label}: field ${f.field.name} (${f.field.path.source}) is not JSON text: ${root.notJson}`,
        detail: { field: f.field.name, source: f.field.path.source },
      });
    }
    const r = extractJsonFields([f.field], root.value, frame.source, style);
    if (!r.ok) {
      if (fresh) return r;
      continue; // refused when it changed (quarantined then); absent until it changes again
    }
    Object.assign(values, r.value.values);
    Object.assign(lists, r.value.lists);
  }
  return ok([{ values, lists, quality: frame.quality }]);
}

export function buildOpcUaProfileAdapter(profile: Profile, parts: OpcUaParts, optionsSchema: { [key: string]: JsonValue }): OpcUaProfileAdapter {
  return defineAdapter<OpcUaFrame, OpcUaRecord, unknown, ProfileState>({
    ...profileIdentity(profile),
    transport: 'opcua',
    optionsSchema,
    acquisition: parts.plan,
    initialState: initialProfileState,
    decode: (frame) => decodeOpcUaFrame(parts, frame),
    normalise(record, state, ctx) {
      const ran = runEmitRules(parts.rules, record.values, readProfileState(state), ctx.now, record.lists);
      if (!ran.ok || record.quality === 'good') return ran;
      const q = record.quality;
      return ok({ ...ran.value, drafts: ran.value.drafts.map((d) => (RANK[q] > RANK[d.quality] ? { ...d, quality: q } : d)) });
    },
  });
}
