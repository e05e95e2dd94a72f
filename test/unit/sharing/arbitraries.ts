/**
 * fast-check arbitraries for the sharing property test: schema-valid DetectionEvents with every
 * optional part (documents, conveyances, raw, artifacts, findings with regions and artifactRef,
 * spectrum, ...) present or not, and random agency policies.
 *
 * Every free-text string and every number an event carries is distinctive: made from a per-event
 * salt and a counter ("tk512x7q", 105007.5), so finding it in a payload means it was copied there
 * and not that two fields happened to agree. `distinct` lists them. Some events echo redactable
 * values into free maps (a document number in raw.extensions, an artifact uri in raw.nativeIds),
 * the way vendor payloads do.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type {
  Artifact, ArtifactKind, Conveyance, DetectionEvent, DocumentRef, EventType, Finding, JsonValue, Measurement,
} from '../../../src/schema/detection-event.js';
import { DEVICE_CLASSES, EVENT_TYPES, OUTCOME_STATES } from '../../../src/schema/detection-event.js';

export const SITES = ['BGSOF', 'ROBUH', 'DEHAM'] as const;
const KINDS: readonly ArtifactKind[] = ['n42', 'jcamp-dx', 'dicos-tdr', 'dicos-ct', 'dicos-dx', 'uff', 'image', 'raw'];
const CATEGORIES = ['gamma', 'neutron', 'isotope', 'narcotic', 'explosive', 'weapon', 'other', 'benign'] as const;

export interface EventShape {
  salt: number;
  eventType: EventType;
  site: string;
  deviceClass: (typeof DEVICE_CLASSES)[number];
  bools: boolean[];
  ints: number[];
}

export const eventShapeArb: fc.Arbitrary<EventShape> = fc.record({
  salt: fc.integer({ min: 1, max: 999 }),
  eventType: fc.constantFrom(...EVENT_TYPES),
  site: fc.constantFrom(...SITES),
  deviceClass: fc.constantFrom(...DEVICE_CLASSES),
  bools: fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
  ints: fc.array(fc.nat({ max: 1000 }), { minLength: 64, maxLength: 64 }),
});

export interface GeneratedEvent {
  event: DetectionEvent;
  /** every distinctive string and number in the event */
  distinct: Set<string | number>;
}

const BASE_MS = Date.parse('2026-11-23T00:00:00.000Z');

export function buildEvent(s: EventShape): GeneratedEvent {
  const distinct = new Set<string | number>();
  let k = 0;
  let bi = 0;
  let ii = 0;
  const flag = (): boolean => s.bools[bi++ % s.bools.length] ?? false;
  const int = (max: number): number => (s.ints[ii++ % s.ints.length] ?? 0) % max;
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const keep = <T extends string | number>(v: T): T => {
    distinct.add(v);
    return v;
  };
  const text = (): string => keep(`tk${s.salt}x${k++}q`);
  const num = (): number => keep(100000 + s.salt * 1000 + k++ + 0.5);
  const frac = (): number => keep((s.salt * 1000 + k++) / 1e7);
  const whole = (): number => keep(1000000 + s.salt * 1000 + k++);
  const time = (): string => keep(new Date(BASE_MS + s.salt * 1_000_000 + (k++) * 1000).toISOString());
  const sha = (): string => keep(createHash('sha256').update(`${s.salt}:${k++}`).digest('hex'));
  const cas = (): string => keep(`${1000000 + s.salt * 1000 + k++}-${10 + (k % 90)}-${k % 10}`);
  const many = <T>(max: number, make: () => T, min = 0): T[] => Array.from({ length: min + int(max - min + 1) }, make);

  const t = s.eventType;
  const e: DetectionEvent = {
    eventId: '0190a000-0000-7000-8000-000000000001',
    schemaVersion: '1.1',
    eventType: t,
    observedAt: time(),
    receivedAt: time(),
    sequence: whole(),
    quality: pick(['good', 'uncertain', 'bad'] as const),
    source: {
      gatewayId: text(),
      siteId: s.site,
      device: { id: text(), class: s.deviceClass },
      adapter: { id: text(), version: text() },
    },
  };
  if (flag()) e.endedAt = time();
  if (flag()) e.decidedAt = time();
  if (flag()) e.source.laneId = text();
  if (flag()) Object.assign(e.source.device, { technique: text(), vendor: text(), model: text(), serial: text(), firmware: text() });
  if (flag()) e.source.algorithm = { name: text(), ...(flag() ? { version: text() } : {}), ...(flag() ? { settings: { threshold: num(), mode: text() } } : {}) };
  if (flag()) e.source.operatorId = text();

  if (flag()) {
    e.subject = {};
    if (flag()) e.subject.inspectionId = text();
    if (flag()) {
      e.subject.conveyances = many(3, (): Conveyance => ({
        type: pick(['container', 'truck', 'car', 'parcel'] as const),
        ...(flag() ? { id: text() } : {}),
        ...(flag() ? { scheme: text() } : {}),
        ...(flag() ? { checkDigitValid: flag() } : {}),
        ...(flag() ? { readConfidence: frac() } : {}),
      }));
    }
    if (flag()) {
      e.subject.documents = many(3, (): DocumentRef => ({
        type: pick(['mrn', 'awb', 'bol', 'ucr'] as const),
        id: text(),
        ...(flag() ? { valid: flag() } : {}),
      }));
    }
  }

  if (t === 'result' || t === 'operator-decision' || flag()) {
    e.outcome = { state: pick(OUTCOME_STATES) };
    if (flag()) e.outcome.categories = many(2, () => pick(CATEGORIES), 1);
    if (t === 'operator-decision' || flag()) e.outcome.decisionBy = pick(['machine', 'operator', 'aggregate'] as const);
    if (flag()) e.outcome.vendorState = text();
    if (flag()) e.outcome.abortReason = text();
  }

  // artifacts first, so regions can point at them
  const artifacts: Artifact[] = flag()
    ? many(3, (): Artifact => {
      const h = sha();
      return {
        kind: pick(KINDS),
        mediaType: keep(`application/x-${text()}`),
        uri: keep(flag() ? `/v1/artifacts/${h}` : `https://gw.example/v1/artifacts/${h}`),
        sha256: h,
        bytes: whole(),
      };
    }, 1)
    : [];
  if (artifacts.length > 0) e.artifacts = artifacts;

  if (flag()) {
    e.findings = many(3, (): Finding => {
      const f: Finding = { kind: pick(['nuclide', 'substance', 'threat-object', 'count-exceedance'] as const) };
      if (flag()) f.name = text();
      if (flag()) f.codes = { ...(flag() ? { cas: cas() } : {}), ...(flag() ? { nuclide: text() } : {}), ...(flag() ? { dicosCategory: text() } : {}) };
      if (flag()) f.category = pick(CATEGORIES);
      if (flag()) f.identified = flag();
      if (flag()) f.score = { value: num(), ...(flag() ? { min: num(), max: num() } : {}), higherIsBetter: flag(), method: text() };
      if (flag()) f.mixtureFraction = frac();
      if (flag()) f.activity = { value: num(), ...(flag() ? { uncertainty: num() } : {}), unit: text() };
      if (flag()) f.detectors = many(2, text, 1);
      if (flag()) {
        f.region = { frame: pick(['image', 'volume'] as const) };
        if (flag()) f.region.base = [num(), num()];
        if (flag()) f.region.extent = [num(), num()];
        if (flag()) f.region.polygon = [[num(), num()], [num(), num(), num()]];
        if (flag()) f.region.artifactRef = artifacts.length > 0 && flag() ? pick(artifacts).sha256 : sha();
      }
      if (flag()) f.origin = pick(['device', 'gateway'] as const);
      if (flag()) f.reference = { library: text(), ...(flag() ? { version: text() } : {}), entryId: text() };
      return f;
    });
  }

  if (t === 'measurement' || flag()) {
    e.measurements = many(2, (): Measurement => {
      const m: Measurement = { detectorId: text(), category: pick(['gamma', 'neutron'] as const) };
      if (flag()) m.startedAt = time();
      if (flag()) Object.assign(m, { realTimeS: num(), liveTimeS: num(), grossCounts: num() });
      if (flag()) Object.assign(m, { countRateCps: num(), backgroundRateCps: num(), sigma: num(), thresholdCps: num() });
      if (flag()) m.occupied = flag();
      if (flag()) m.speedKmh = num();
      return m;
    }, 1);
  }
  if (flag()) {
    const y = many(4, num, 1);
    e.spectrum = { xUnits: text(), yUnits: text(), firstX: num(), lastX: num(), npoints: y.length, y };
  }
  if (t === 'status' || flag()) e.status = { state: pick(['online', 'offline', 'degraded', 'maintenance'] as const), ...(flag() ? { detail: text() } : {}), ...(flag() ? { since: time() } : {}) };
  if (t === 'fault' || flag()) e.fault = { code: text(), active: flag(), ...(flag() ? { severity: pick(['info', 'warning', 'critical'] as const) } : {}), ...(flag() ? { detail: text() } : {}) };

  // raw, with echoes of redactable values the way vendor payloads repeat them
  const nativeIds: { [k: string]: string } = {};
  const extensions: { [k: string]: JsonValue } = {};
  if (flag()) nativeIds.vendorId = text();
  if (flag()) Object.assign(extensions, { note: text(), n: num(), nested: { deep: text(), list: [text(), num()] } });
  const doc = e.subject?.documents?.[0];
  if (doc && flag()) nativeIds.mrn = doc.id;
  const convId = e.subject?.conveyances?.find((c) => c.id !== undefined)?.id;
  if (convId !== undefined && flag()) extensions.remark = `released ${convId} at gate`;
  if (e.source.operatorId !== undefined && flag()) extensions.officer = e.source.operatorId;
  const art = artifacts[0];
  if (art && flag()) extensions.picture = art.uri;
  if (art && flag()) nativeIds.rawSha = art.sha256;
  if (art && flag()) extensions.links = [`see ${art.uri}`, text()];
  if (flag()) extensions.unresolvedImages = [{ uri: keep(`https://scanner.example/img/${text()}`) }];
  if (flag() || Object.keys(nativeIds).length > 0 || Object.keys(extensions).length > 0) {
    e.raw = {};
    if (flag()) e.raw.format = text();
    if (Object.keys(nativeIds).length > 0) e.raw.nativeIds = nativeIds;
    if (Object.keys(extensions).length > 0) e.raw.extensions = extensions;
  }
  if (flag()) e.sharing = { classification: pick(['public', 'internal', 'restricted'] as const), agencies: [] };
  return { event: e, distinct };
}

export const eventArb: fc.Arbitrary<GeneratedEvent> = eventShapeArb.map(buildEvent);

export interface PolicyInput {
  id: string;
  receive: { sites?: string[]; deviceClasses?: string[]; eventTypes?: EventType[] };
  redact: string[];
}

/** 1..3 agencies with random receive lists and a random subset of the paths they may redact. */
export function policiesArb(redactable: (types: readonly EventType[]) => string[]): fc.Arbitrary<PolicyInput[]> {
  const one = (i: number): fc.Arbitrary<PolicyInput> =>
    fc.record({
      sites: fc.option(fc.subarray([...SITES], { minLength: 1 }), { nil: undefined }),
      deviceClasses: fc.option(fc.subarray([...DEVICE_CLASSES], { minLength: 1 }), { nil: undefined }),
      eventTypes: fc.option(fc.subarray([...EVENT_TYPES], { minLength: 1 }), { nil: undefined }),
    }).chain((r) => {
      const paths = redactable(r.eventTypes ?? EVENT_TYPES);
      return fc.oneof(fc.subarray(paths, { maxLength: 2 }), fc.subarray(paths), fc.constant<string[]>(['artifacts'])).map((redact): PolicyInput => ({
        id: `ag${i}`,
        receive: {
          ...(r.sites ? { sites: r.sites } : {}),
          ...(r.deviceClasses ? { deviceClasses: r.deviceClasses } : {}),
          ...(r.eventTypes ? { eventTypes: r.eventTypes } : {}),
        },
        redact,
      }));
    });
  return fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => one(i))));
}
