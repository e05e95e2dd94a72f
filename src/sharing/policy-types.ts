/**
 * Multi-agency sharing policy (issue 7, item 2): the config sections `agencies` and `sharing`,
 * their compiled form, and the compiler that refuses a policy that cannot be enforced.
 *
 * Config (after defaults):
 *   agencies:                 absent or empty: single-operator mode
 *     - id: customs           ^[a-z][a-z0-9-]{0,31}$, used as a topic level
 *       name: National Customs
 *       receive: { sites: [..], deviceClasses: [..], eventTypes: [..] }   each list absent = all
 *       redact: [raw, artifacts, "subject.conveyances[].id"]
 *   sharing:
 *     defaultClassification: internal     default internal
 *     rules:                              first match wins
 *       - match: { site, deviceClass, eventType, outcomeState }   each a value or a list; absent = any
 *         classification: restricted
 *
 * The compiler reports every problem at once as { path: JSON pointer into the config, message },
 * the way the config loader reports its own, so the loader can add line numbers.
 */
import { ok, fail, type Result } from '../adapter/types.js';
import { pointer } from '../json-pointer.js';
import type {
  ArtifactKind, Classification, DeviceClass, EventType, OutcomeState,
} from '../schema/detection-event.js';
import { DEVICE_CLASSES, EVENT_TYPES, OUTCOME_STATES } from '../schema/detection-event.js';
import { type EventFieldTable, type FieldInfo, shippedEventFieldTable } from './schema-fields.js';

export type { Classification } from '../schema/detection-event.js';
export const CLASSIFICATIONS: readonly Classification[] = ['public', 'internal', 'restricted'];

/** Agency ids are MQTT topic levels and appear in URLs and log lines: keep them plain. */
export const AGENCY_ID_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

/**
 * Ids an agency may not take. The per-agency tree borderlink/v1/agency/{id}/... shares its first
 * levels with the normal tree of a site called "agency" (borderlink/v1/agency/{deviceClass|gateway}/...);
 * an agency named like a device class or "gateway" would read that site's unredacted events.
 */
export const RESERVED_AGENCY_IDS: readonly string[] = [...DEVICE_CLASSES, 'gateway'];

/** What an agency receives; an absent list admits everything. */
export interface AgencyReceive {
  sites?: string[];
  deviceClasses?: DeviceClass[];
  eventTypes?: EventType[];
}

/** One agency's policy as written in config (after defaults). */
export interface AgencyPolicy {
  id: string;
  name?: string;
  receive: AgencyReceive;
  /** redact paths as written, e.g. "subject.conveyances[].id"; default [] */
  redact: string[];
}

export interface SharingRuleMatch {
  sites?: string[];
  deviceClasses?: DeviceClass[];
  eventTypes?: EventType[];
  outcomeStates?: OutcomeState[];
}

export interface SharingRule {
  match: SharingRuleMatch;
  classification: Classification;
}

/** The `sharing` section after defaults. */
export interface SharingRules {
  defaultClassification: Classification;
  rules: SharingRule[];
}

/** One step of a redact path: a field name, and whether the path goes on into each element. */
export interface RedactStep {
  readonly name: string;
  readonly each: boolean;
}

export interface RedactPath {
  /** as written in config */
  readonly path: string;
  readonly steps: readonly RedactStep[];
}

/** Every artifact kind (the compiler fails if ArtifactKind gains one that is missing here). */
export const ARTIFACT_KINDS = ['n42', 'jcamp-dx', 'dicos-tdr', 'dicos-ct', 'dicos-dx', 'uff', 'image', 'raw'] as const satisfies readonly ArtifactKind[];
const allKindsListed: Exclude<ArtifactKind, (typeof ARTIFACT_KINDS)[number]> extends never ? true : false = true;
void allKindsListed;

/** Artifacts that carry a device's own document, hence every field of the event verbatim. */
export const DOCUMENT_ARTIFACT_KINDS: readonly ArtifactKind[] = ['raw', 'n42', 'dicos-tdr'];

export interface CompiledAgencyPolicy extends Readonly<AgencyPolicy> {
  readonly redactPaths: readonly RedactPath[];
  /** `artifacts` is redacted: no artifact, no reference to one, GET /v1/artifacts refused */
  readonly redactsArtifacts: boolean;
  /**
   * Artifact kinds this agency never gets. All kinds when `artifacts` is redacted; otherwise, when
   * any field is redacted, the device-document kinds (DOCUMENT_ARTIFACT_KINDS): the raw N42, DICOS
   * TDR or vendor payload holds the redacted fields verbatim, so serving it would undo the
   * redaction. Empty when nothing is redacted.
   */
  readonly withheldArtifactKinds: ReadonlySet<ArtifactKind>;
  /** the schema's field table: which fields an event type requires, which are free maps */
  readonly fields: EventFieldTable;
}

export interface CompiledSharing {
  /** in config order; empty in single-operator mode */
  readonly agencies: readonly CompiledAgencyPolicy[];
  readonly byId: ReadonlyMap<string, CompiledAgencyPolicy>;
  readonly rules: Readonly<SharingRules>;
  /** the schema's field table the redaction consults (which fields an event type requires) */
  readonly fields: EventFieldTable;
}

/** A reason the policy cannot be used; path is a JSON pointer into the config document. */
export interface SharingProblem {
  path: string;
  message: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const quote = (s: unknown): string => JSON.stringify(s) ?? String(s);
const list = (xs: readonly string[]): string => xs.join(', ');

class Problems {
  readonly items: SharingProblem[] = [];
  add(path: string, message: string): void {
    this.items.push({ path, message });
  }
  /** unknown keys are refused: a misspelt `redcat:` must not silently share everything */
  keys(o: Obj, allowed: readonly string[], at: string): void {
    for (const k of Object.keys(o)) {
      if (!allowed.includes(k)) this.add(pointer(...splitPtr(at), k), `unknown key "${k}" (allowed: ${list(allowed)})`);
    }
  }
}

const splitPtr = (p: string): string[] => (p === '' ? [] : p.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')));
const at = (base: string, ...more: (string | number)[]): string => pointer(...splitPtr(base), ...more);

/**
 * A list of allowed words; a single value is accepted where `single` (rule matches) and read as a
 * one-element list. Empty lists are refused: they would silently admit nothing.
 */
function words<T extends string>(
  v: unknown, allowed: readonly T[] | RegExp, path: string, what: readonly [one: string, many: string], problems: Problems, single: boolean,
): T[] | undefined {
  const [one, many] = what;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) && !single) {
    problems.add(path, `must be a list of ${many}`);
    return undefined;
  }
  const items: unknown[] = Array.isArray(v) ? v : [v];
  if (items.length === 0) {
    problems.add(path, `an empty list admits nothing; remove the key to admit every ${one}`);
    return undefined;
  }
  const out: T[] = [];
  items.forEach((x, i) => {
    const p = Array.isArray(v) ? at(path, i) : path;
    const good = typeof x === 'string' && (allowed instanceof RegExp ? allowed.test(x) : (allowed as readonly string[]).includes(x));
    if (!good) {
      problems.add(p, allowed instanceof RegExp
        ? `${quote(x)} is not a valid ${one} (a non-empty topic level without / + #)`
        : `unknown ${one} ${quote(x)} (known: ${list(allowed)})`);
    } else if (!out.includes(x as T)) {
      out.push(x as T);
    }
  });
  return out;
}

const SITE_PATTERN = /^[^/+#]+$/;

/** Compiles the `agencies` and `sharing` config sections; every problem is reported at once. */
export function compileSharing(
  input: { agencies: unknown; sharing: unknown },
  opts: { fields?: EventFieldTable } = {},
): Result<CompiledSharing, SharingProblem[]> {
  const fields = opts.fields ?? shippedEventFieldTable();
  const problems = new Problems();
  const agencies: CompiledAgencyPolicy[] = [];

  const rawAgencies = input.agencies ?? [];
  if (!Array.isArray(rawAgencies)) {
    problems.add('/agencies', 'must be a list of agencies');
  } else {
    const seen = new Set<string>();
    rawAgencies.forEach((a, i) => {
      const base = pointer('agencies', i);
      const c = compileAgency(a, base, fields, problems);
      if (!c) return;
      if (seen.has(c.id)) problems.add(at(base, 'id'), `agency id "${c.id}" is used more than once`);
      seen.add(c.id);
      agencies.push(c);
    });
  }
  const rules = compileRules(input.sharing, problems);
  if (problems.items.length > 0 || !rules) return fail(problems.items);
  return ok({ agencies, byId: new Map(agencies.map((a) => [a.id, a])), rules, fields });
}

function compileAgency(a: unknown, base: string, fields: EventFieldTable, problems: Problems): CompiledAgencyPolicy | undefined {
  if (!isObj(a)) {
    problems.add(base, 'an agency must be a map with at least an id');
    return undefined;
  }
  const before = problems.items.length;
  problems.keys(a, ['id', 'name', 'receive', 'redact'], base);
  const id = a.id;
  if (typeof id !== 'string' || !AGENCY_ID_PATTERN.test(id)) {
    problems.add(at(base, 'id'), `agency id ${quote(id)} must match ${AGENCY_ID_PATTERN.source} (lower case, used as an MQTT topic level)`);
  } else if (RESERVED_AGENCY_IDS.includes(id)) {
    problems.add(at(base, 'id'), `agency id "${id}" is reserved (${list(RESERVED_AGENCY_IDS)}): its topic tree borderlink/v1/agency/${id}/ would overlap the normal tree of a site called "agency"`);
  }
  if (a.name !== undefined && (typeof a.name !== 'string' || a.name === '')) problems.add(at(base, 'name'), 'name must be a non-empty string');

  const receive: AgencyReceive = {};
  if (a.receive !== undefined && a.receive !== null) {
    const rb = at(base, 'receive');
    if (!isObj(a.receive)) {
      problems.add(rb, 'receive must be a map of sites, deviceClasses and eventTypes');
    } else {
      problems.keys(a.receive, ['sites', 'deviceClasses', 'eventTypes'], rb);
      const sites = words<string>(a.receive.sites, SITE_PATTERN, at(rb, 'sites'), ['site', 'sites'], problems, false);
      const deviceClasses = words(a.receive.deviceClasses, DEVICE_CLASSES, at(rb, 'deviceClasses'), ['device class', 'device classes'], problems, false);
      const eventTypes = words(a.receive.eventTypes, EVENT_TYPES, at(rb, 'eventTypes'), ['event type', 'event types'], problems, false);
      if (sites) receive.sites = sites;
      if (deviceClasses) receive.deviceClasses = deviceClasses;
      if (eventTypes) receive.eventTypes = eventTypes;
    }
  }

  const redact: string[] = [];
  const redactPaths: RedactPath[] = [];
  if (a.redact !== undefined && a.redact !== null) {
    if (!Array.isArray(a.redact)) {
      problems.add(at(base, 'redact'), 'redact must be a list of field paths');
    } else {
      a.redact.forEach((p, j) => {
        const rp = parseRedactPath(p, receive.eventTypes ?? EVENT_TYPES, fields);
        if (!rp.ok) problems.add(at(base, 'redact', j), rp.error);
        else if (!redact.includes(rp.value.path)) {
          redact.push(rp.value.path);
          redactPaths.push(rp.value);
        }
      });
    }
  }
  if (problems.items.length > before || typeof id !== 'string') return undefined;
  const redactsArtifacts = redact.includes('artifacts');
  const withheld = new Set<ArtifactKind>(redactsArtifacts ? ARTIFACT_KINDS : redact.length > 0 ? DOCUMENT_ARTIFACT_KINDS : []);
  const policy: CompiledAgencyPolicy = {
    id,
    ...(typeof a.name === 'string' ? { name: a.name } : {}),
    receive,
    redact,
    redactPaths,
    redactsArtifacts,
    withheldArtifactKinds: withheld,
    fields,
  };
  return policy;
}


const STEP = /^([A-Za-z][A-Za-z0-9]*)(\[\])?$/;

/**
 * Parses and checks one redact path against the schema for an agency receiving `received` event
 * types. The message of a refusal says what to write instead.
 */
export function parseRedactPath(
  p: unknown, received: readonly EventType[], fields: EventFieldTable = shippedEventFieldTable(),
): Result<RedactPath, string> {
  if (typeof p !== 'string') return fail(`${quote(p)} is not a field path (a string such as "subject.documents")`);
  const parts = p.split('.');
  const steps: RedactStep[] = [];
  for (const part of parts) {
    const m = STEP.exec(part);
    if (!m || m[1] === undefined) {
      return fail(`"${p}" is not a field path: field names joined by dots, with [] after a list the path goes into (e.g. subject.conveyances[].id)`);
    }
    steps.push({ name: m[1], each: m[2] !== undefined });
  }
  if (steps[0]?.name === 'sharing') return fail(`"${p}": sharing is set by the policy itself and cannot be redacted`);
  let prefix = '';
  let parent: FieldInfo | undefined;
  let field: FieldInfo | undefined;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k] as RedactStep;
    const last = k === steps.length - 1;
    field = fields.fields.get(`${prefix}${step.name}`);
    if (!field) {
      if (parent?.freeMap) return fail(`"${p}": ${parent.path} is a free map whose keys are data, not fields; redact ${parent.path} as a whole`);
      const known = [...fields.fields.values()].filter((f) => f.parent === (parent?.path ?? '')).map((f) => f.name);
      return fail(`"${p}": there is no field "${step.name}" in ${parent ? parent.path : 'the event'} (fields: ${list(known)})`);
    }
    if (last) {
      if (step.each) return fail(`"${p}" ends in []: to remove the whole list, redact ${field.path}`);
      break;
    }
    if (field.freeMap) return fail(`"${p}": ${field.path} is a free map whose keys are data, not fields; redact ${field.path} as a whole`);
    if (!field.hasChildren) return fail(`"${p}": ${field.path} has no fields below it; redact ${field.path}`);
    if (field.array && !step.each) return fail(`"${p}": ${field.path} is a list; write ${field.path}[] to reach into its elements (${field.path}[].${parts.slice(k + 1).join('.')})`);
    if (!field.array && step.each) return fail(`"${p}": ${field.path} is not a list; remove the []`);
    prefix = `${field.path}${field.array ? '[]' : ''}.`;
    parent = field;
  }
  if (!field) return fail(`"${p}" is not a field path`);
  const mustStay = (f: FieldInfo): EventType[] | 'always' | undefined => {
    if (f.required) return 'always';
    const on = received.filter((t) => f.requiredFor.includes(t));
    return on.length > 0 ? on : undefined;
  };
  const why = mustStay(field);
  if (why === undefined) return ok({ path: steps.map((s) => `${s.name}${s.each ? '[]' : ''}`).join('.'), steps });

  // the nearest ancestor this agency may redact instead
  let anc = field.parent === '' ? undefined : fields.fields.get(field.parent);
  while (anc && mustStay(anc) !== undefined) anc = anc.parent === '' ? undefined : fields.fields.get(anc.parent);
  const optionalChildren = [...fields.fields.values()]
    .filter((f) => f.parent === field.path && mustStay(f) === undefined)
    .map((f) => f.path);
  const instead = anc
    ? `redact ${anc.path} instead`
    : optionalChildren.length > 0
      ? `redact its optional fields instead (${list(optionalChildren)})`
      : 'it cannot be redacted';
  if (why === 'always') {
    const where = field.parent === '' ? 'every event' : field.parent;
    return fail(`"${p}" is required in ${where}, so removing it would make the event invalid: ${instead}`);
  }
  return fail(
    `"${p}" is required on ${list(why)} events, which this agency receives: ${instead}, or leave ${list(why)} out of receive.eventTypes`,
  );
}

function compileRules(v: unknown, problems: Problems): SharingRules | undefined {
  const out: SharingRules = { defaultClassification: 'internal', rules: [] };
  if (v === undefined || v === null) return out;
  if (!isObj(v)) {
    problems.add('/sharing', 'sharing must be a map with defaultClassification and rules');
    return undefined;
  }
  problems.keys(v, ['defaultClassification', 'rules'], '/sharing');
  if (v.defaultClassification !== undefined) {
    const c = CLASSIFICATIONS.find((x) => x === v.defaultClassification);
    if (c) out.defaultClassification = c;
    else problems.add('/sharing/defaultClassification', `unknown classification ${quote(v.defaultClassification)} (known: ${list(CLASSIFICATIONS)})`);
  }
  if (v.rules === undefined || v.rules === null) return out;
  if (!Array.isArray(v.rules)) {
    problems.add('/sharing/rules', 'rules must be a list of { match, classification }');
    return out;
  }
  v.rules.forEach((r, i) => {
    const base = pointer('sharing', 'rules', i);
    if (!isObj(r)) {
      problems.add(base, 'a rule must be a map with match and classification');
      return;
    }
    problems.keys(r, ['match', 'classification'], base);
    const classification = CLASSIFICATIONS.find((x) => x === r.classification);
    if (!classification) problems.add(at(base, 'classification'), `classification ${quote(r.classification)} must be one of ${list(CLASSIFICATIONS)}`);
    const match: SharingRuleMatch = {};
    const mb = at(base, 'match');
    if (!isObj(r.match)) {
      problems.add(mb, 'match must be a map of site, deviceClass, eventType and outcomeState (use {} to match every event)');
    } else {
      problems.keys(r.match, ['site', 'deviceClass', 'eventType', 'outcomeState'], mb);
      const sites = words<string>(r.match.site, SITE_PATTERN, at(mb, 'site'), ['site', 'sites'], problems, true);
      const deviceClasses = words(r.match.deviceClass, DEVICE_CLASSES, at(mb, 'deviceClass'), ['device class', 'device classes'], problems, true);
      const eventTypes = words(r.match.eventType, EVENT_TYPES, at(mb, 'eventType'), ['event type', 'event types'], problems, true);
      const outcomeStates = words(r.match.outcomeState, OUTCOME_STATES, at(mb, 'outcomeState'), ['outcome state', 'outcome states'], problems, true);
      if (sites) match.sites = sites;
      if (deviceClasses) match.deviceClasses = deviceClasses;
      if (eventTypes) match.eventTypes = eventTypes;
      if (outcomeStates) match.outcomeStates = outcomeStates;
    }
    if (classification) out.rules.push({ match, classification });
  });
  return out;
}
