/**
 * Applying a compiled sharing policy to events: admission, redaction, the sharing label and the
 * per-agency copy every channel (REST, SSE, MQTT, artifacts) delivers. All pure: the input event
 * is never changed, copies are returned.
 *
 * Redaction deletes fields (the compiler only lets through paths whose deletion keeps the event a
 * valid DetectionEvent v1), then scrubs what would still give a deleted value away:
 *   - artifacts the agency may not fetch are dropped from `artifacts`, and every reference to
 *     them (a region's artifactRef, a string holding their sha256 or uri) is removed wherever the
 *     schema lets a value go; with `artifacts` redacted that is every artifact and every string
 *     naming /v1/artifacts/, and the DICOS adapter's raw.extensions.unresolvedImages (pictures
 *     the scanner serves itself);
 *   - free-text values of deleted fields echoed elsewhere (a document number repeated in
 *     raw.extensions, say) are removed where they are echoed, if the schema lets that place go.
 * A value echoed into a field the event must carry (a required one) is left: the compiler cannot
 * know it, and removing a required field would break the contract. Numbers are not scrubbed.
 */
import type { Classification, DetectionEvent, DeviceClass, EventType, Sharing } from '../schema/detection-event.js';
import type { CompiledAgencyPolicy, CompiledSharing, RedactStep } from './policy-types.js';
import { type EventFieldTable, type FieldInfo, requiredOn } from './schema-fields.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Shorter echoes are not scrubbed: "A1" in a vendor field is more likely a coincidence than a leak. */
const MIN_ECHO_LENGTH = 4;
/** An echo this long is also found inside a longer string ("container MSCU1234565 on lane 2"). */
const MIN_EMBEDDED_ECHO_LENGTH = 6;

/** Whether the policy admits the event: site, device class and event type each in its list, or the list absent. */
export function admits(p: CompiledAgencyPolicy, event: DetectionEvent): boolean {
  if (!admitsEquipment(p, event.source.siteId, event.source.device.class)) return false;
  const r = p.receive;
  return !(r.eventTypes && !r.eventTypes.includes(event.eventType));
}

/** Whether the policy covers equipment of this site and class at all (device lists). An unknown site or class is not covered when the policy names sites or classes. */
export function admitsEquipment(p: CompiledAgencyPolicy, siteId: string | undefined, deviceClass: DeviceClass | undefined): boolean {
  const r = p.receive;
  if (r.sites && (siteId === undefined || !r.sites.includes(siteId))) return false;
  if (r.deviceClasses && (deviceClass === undefined || !r.deviceClasses.includes(deviceClass))) return false;
  return true;
}

/** The classification of the first matching sharing rule, else the default. */
export function classify(compiled: CompiledSharing, event: DetectionEvent): Classification {
  for (const rule of compiled.rules.rules) {
    const m = rule.match;
    if (m.sites && !m.sites.includes(event.source.siteId)) continue;
    if (m.deviceClasses && !m.deviceClasses.includes(event.source.device.class)) continue;
    if (m.eventTypes && !m.eventTypes.includes(event.eventType)) continue;
    if (m.outcomeStates && (event.outcome === undefined || !m.outcomeStates.includes(event.outcome.state))) continue;
    return rule.classification;
  }
  return compiled.rules.defaultClassification;
}

/**
 * The label an event gets once, when it is made (before it is durable): its classification and
 * the ids of the agencies whose policy admits it, sorted. `agencies` is [] when none does
 * (and in single-operator mode).
 */
export function sharingLabel(compiled: CompiledSharing, event: DetectionEvent): Sharing {
  const agencies = compiled.agencies.filter((p) => admits(p, event)).map((p) => p.id).sort();
  return { classification: classify(compiled, event), agencies };
}

/**
 * A redacted copy of an event the policy admits (callers check admits first: on an event type the
 * agency does not receive, a path that type requires would be deleted too, leaving an invalid
 * event rather than a leak). `sharing` is left as it was; forAgency sets it.
 */
export function redact(p: CompiledAgencyPolicy, event: DetectionEvent): DetectionEvent {
  const copy = structuredClone(event);
  if (p.redactPaths.length === 0 && p.withheldArtifactKinds.size === 0) return copy;
  const root = copy as unknown as Obj;
  const echoes = new Set<string>();

  for (const rp of p.redactPaths) {
    removeAt(root, rp.steps, '', p.fields, echoes);
  }
  // a value the agency still sees as a whole field it keeps, or inside one that must stay, gives
  // nothing away where it is echoed
  if (echoes.size > 0) {
    const kept: { value: string; fixed: boolean }[] = [];
    keptText(root, '', p.fields, copy.eventType, kept);
    for (const e of [...echoes]) {
      if (kept.some((k) => k.value === e || (k.fixed && k.value.includes(e)))) echoes.delete(e);
    }
  }

  // artifacts the agency may not fetch, and every reference to them (sha256, uri)
  const withheld: string[] = [];
  for (const a of event.artifacts ?? []) {
    if (!p.withheldArtifactKinds.has(a.kind)) continue;
    withheld.push(a.sha256.toLowerCase());
    if (a.uri.length >= MIN_EMBEDDED_ECHO_LENGTH) withheld.push(a.uri.toLowerCase());
  }
  if (copy.artifacts) {
    const left = copy.artifacts.filter((a) => !p.withheldArtifactKinds.has(a.kind));
    if (left.length > 0) copy.artifacts = left;
    else delete copy.artifacts;
  }
  if (p.redactsArtifacts) {
    for (const f of copy.findings ?? []) {
      if (f.region) delete f.region.artifactRef;
    }
    const ext = copy.raw?.extensions;
    if (ext) delete ext.unresolvedImages;
  }

  const embedded = [...echoes].filter((e) => e.length >= MIN_EMBEDDED_ECHO_LENGTH);
  const leaks = (s: string): boolean => {
    if (echoes.has(s) || embedded.some((e) => s.includes(e))) return true;
    const lower = s.toLowerCase();
    if (p.redactsArtifacts && lower.includes('/v1/artifacts/')) return true;
    return withheld.some((w) => lower.includes(w));
  };
  if (echoes.size > 0 || withheld.length > 0 || p.redactsArtifacts) {
    scrubDeclared(root, '', p.fields, copy.eventType, leaks);
  }
  return copy;
}

/**
 * The copy one agency receives: undefined when the agency is unknown or its policy does not admit
 * the event; else the redacted event with sharing = { classification, agencies: [agencyId] }.
 * The classification is the event's own label where it has one (set when it was made), else the
 * rules' answer now.
 */
export function forAgency(compiled: CompiledSharing, agencyId: string, event: DetectionEvent): DetectionEvent | undefined {
  const p = compiled.byId.get(agencyId);
  if (!p || !admits(p, event)) return undefined;
  const out = redact(p, event);
  out.sharing = { classification: event.sharing?.classification ?? classify(compiled, event), agencies: [agencyId] };
  return out;
}

/**
 * What an identity sees: the event itself for an identity without agency (the operating
 * authority: everything, nothing redacted), else forAgency.
 */
export function viewFor(compiled: CompiledSharing, agencyId: string | undefined, event: DetectionEvent): DetectionEvent | undefined {
  return agencyId === undefined ? event : forAgency(compiled, agencyId, event);
}

/**
 * Whether an agency may fetch the artifact `sha256` of this event: the agency exists, its policy
 * admits the event, the event lists the artifact, and its kind is not withheld. Exactly the
 * artifacts left in forAgency's copy. A store serving GET /v1/artifacts/:sha256 asks this for the
 * events that list the artifact and serves it when any one says yes.
 */
export function artifactAllowed(compiled: CompiledSharing, agencyId: string, event: DetectionEvent, sha256: string): boolean {
  const p = compiled.byId.get(agencyId);
  if (!p || !admits(p, event)) return false;
  const a = (event.artifacts ?? []).find((x) => x.sha256 === sha256.toLowerCase());
  return a !== undefined && !p.withheldArtifactKinds.has(a.kind);
}

/** Deletes the field at `steps` (through every element at `[]` steps), noting its free-text values. */
function removeAt(node: Obj, steps: readonly RedactStep[], prefix: string, fields: EventFieldTable, echoes: Set<string>): void {
  const [step, ...rest] = steps;
  if (!step || !(step.name in node)) return;
  const path = `${prefix}${step.name}`;
  const value = node[step.name];
  if (rest.length === 0) {
    collectText(value, path, fields.fields.get(path), fields, echoes);
    delete node[step.name];
    return;
  }
  const next = `${path}${step.each ? '[]' : ''}.`;
  if (step.each && Array.isArray(value)) {
    for (const el of value) if (isObj(el)) removeAt(el, rest, next, fields, echoes);
  } else if (isObj(value)) {
    removeAt(value, rest, next, fields, echoes);
  }
}

/** Free-text strings under a deleted value (codes, enums and patterned ids are not echoes). */
function collectText(value: unknown, path: string, info: FieldInfo | undefined, fields: EventFieldTable, out: Set<string>): void {
  const free = info === undefined || info.freeMap;
  const add = (s: string): void => {
    if (s.length >= MIN_ECHO_LENGTH) out.add(s);
  };
  if (typeof value === 'string') {
    if (free || !info.coded) add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const el of value) collectText(el, path, info, fields, out);
    return;
  }
  if (!isObj(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (free) collectText(v, `${path}.${k}`, undefined, fields, out);
    else {
      const child = `${path}${info.array ? '[]' : ''}.${k}`;
      collectText(v, child, fields.fields.get(child), fields, out);
    }
  }
}

/**
 * Strings in declared (non-free-map) fields of what is left: what the agency sees anyway.
 * `fixed`: the field cannot be deleted (required for the event type), so an echo inside it stays.
 */
function keptText(node: unknown, path: string, fields: EventFieldTable, type: EventType, out: { value: string; fixed: boolean }[]): void {
  const info = path === '' ? undefined : fields.fields.get(path);
  if (typeof node === 'string') {
    out.push({ value: node, fixed: info !== undefined && requiredOn(info, type) });
  } else if (Array.isArray(node)) {
    for (const el of node) keptText(el, path, fields, type, out);
  } else if (isObj(node)) {
    if (info?.freeMap) return;
    const prefix = path === '' ? '' : `${path}${info?.array ? '[]' : ''}.`;
    for (const [k, v] of Object.entries(node)) {
      if (fields.fields.has(`${prefix}${k}`)) keptText(v, `${prefix}${k}`, fields, type, out);
    }
  }
}

/** Removes leaking strings from declared fields the event may lose, and from free maps anywhere. */
function scrubDeclared(node: Obj, prefix: string, fields: EventFieldTable, type: EventType, leaks: (s: string) => boolean): void {
  for (const [k, v] of Object.entries(node)) {
    const path = `${prefix}${k}`;
    if (path === 'sharing') continue;
    const info = fields.fields.get(path);
    const mayGo = info === undefined || !requiredOn(info, type);
    if (typeof v === 'string') {
      if (mayGo && leaks(v)) delete node[k];
    } else if (Array.isArray(v)) {
      if (info === undefined || info.freeMap) node[k] = scrubFree(v, leaks);
      else if (v.every((x) => typeof x === 'string')) node[k] = v.filter((x) => !leaks(x as string));
      else for (const el of v) if (isObj(el)) scrubDeclared(el, `${path}[].`, fields, type, leaks);
    } else if (isObj(v)) {
      if (info === undefined || info.freeMap) node[k] = scrubFree(v, leaks);
      else scrubDeclared(v, `${path}.`, fields, type, leaks);
    }
  }
}

/** A free map's copy without leaking strings (keys whose value leaks go; list elements go). */
function scrubFree(v: unknown, leaks: (s: string) => boolean): unknown {
  if (Array.isArray(v)) return v.filter((x) => typeof x !== 'string' || !leaks(x)).map((x) => scrubFree(x, leaks));
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (leaks(k) || (typeof x === 'string' && leaks(x))) continue;
    out[k] = scrubFree(x, leaks);
  }
  return out;
}
