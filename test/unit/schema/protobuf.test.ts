import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { isBorderlinkError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/package-root.js';
import { eventProtoPath } from '../../../src/schema/contract-files.js';
import type { DetectionEvent, JsonValue } from '../../../src/schema/detection-event.js';
import {
  CONTENT_TYPE, createProtobufCodec, EVENT_PROTO_MESSAGE, SCHEMA_USER_PROPERTY,
} from '../../../src/schema/protobuf.js';
import { createEventValidator } from '../../../src/schema/validator.js';

const example = (name: string): DetectionEvent =>
  JSON.parse(readFileSync(resolve(packageRoot(), 'schemas/examples', `${name}.json`), 'utf8')) as DetectionEvent;

const base: DetectionEvent = {
  eventId: '01a207e7-84a7-79e7-ab43-8597fee20e16',
  schemaVersion: '1.0',
  eventType: 'status',
  observedAt: '2026-11-23T10:15:30.120Z',
  receivedAt: '2026-11-23T10:15:30.200Z',
  sequence: 1,
  quality: 'uncertain',
  source: {
    gatewayId: 'gw-1', siteId: 'BGSOF',
    device: { id: 'xray-1', class: 'xray-scanner' },
    adapter: { id: 'sim', version: '1.0.0' },
  },
  status: { state: 'degraded', detail: 'detector 3 noisy', since: '1969-12-31T23:59:59.999Z' },
};

/** The same bytes read with plain protobufjs, as a consumer in another language would see them. */
function readRaw(bytes: Uint8Array): Record<string, unknown> {
  const root = new protobuf.Root().loadSync(eventProtoPath(), { keepCase: true });
  const type = root.lookupType(EVENT_PROTO_MESSAGE);
  return type.toObject(type.decode(bytes), { enums: String, longs: Number }) as Record<string, unknown>;
}

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isBorderlinkError(e) ? e.code : `not coded: ${String(e)}`;
  }
  return undefined;
}

describe('createProtobufCodec', () => {
  const codec = createProtobufCodec();
  const validator = createEventValidator();

  it.each(['rpm', 'spectrometer', 'xray'])('round-trips the %s worked example unchanged', (name) => {
    const e = example(name);
    const bytes = codec.encode(e);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(codec.decode(bytes)).toStrictEqual(e);
  });

  it('round-trips every event type, including zero values of required fields', () => {
    const events: DetectionEvent[] = [
      base,
      { ...base, eventType: 'fault', status: undefined, fault: { code: 'tamper', active: false, severity: 'critical' } },
      {
        ...base, eventType: 'measurement', status: undefined,
        measurements: [{ detectorId: 'G1', category: 'neutron', grossCounts: 0, sigma: -1.5, occupied: false, startedAt: base.observedAt }],
      },
      {
        ...base, eventType: 'operator-decision', status: undefined, decidedAt: '2026-11-23T10:20:00.000Z',
        outcome: { state: 'aborted', decisionBy: 'operator', abortReason: '', categories: ['other'] },
        findings: [{ kind: 'nuclide', codes: { nuclide: 'Cs-137' }, score: { value: 0, min: 0, max: 100, higherIsBetter: false, method: 'n42-confidence' },
          activity: { value: 0, unit: 'kBq' }, region: { frame: 'volume', polygon: [[0, 0, 0], [1.5, -2, 3]] } }],
        spectrum: { xUnits: 'keV', yUnits: 'counts', firstX: 0, lastX: 3000, npoints: 2, y: [0, 0] },
        artifacts: [{ kind: 'raw', mediaType: 'application/octet-stream', uri: '/v1/artifacts/x', sha256: '0'.repeat(64), bytes: 0 }],
        raw: { format: 'vendor-json', nativeIds: { id: '' }, extensions: { a: null, b: [], c: {}, d: 0, e: '', f: false } },
        sharing: { classification: 'public' },
      },
    ];
    for (const e of events) {
      expect(validator.validate(e), e.eventType).toEqual({ ok: true });
      expect(codec.decode(codec.encode(e)), e.eventType).toStrictEqual(JSON.parse(JSON.stringify(e)));
    }
  });

  it('round-trips any JSON in the free maps', () => {
    const json = fc.jsonValue({ maxDepth: 3, noUnicodeString: false }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
    // via JSON: fast-check's dictionaries have a null prototype, parsed JSON does not
    const maps = fc.dictionary(fc.string(), json, { maxKeys: 5 }).map((d) => JSON.parse(JSON.stringify(d)) as { [k: string]: JsonValue });
    fc.assert(fc.property(maps, (extensions) => {
      const e: DetectionEvent = { ...base, raw: { extensions } };
      expect(codec.decode(codec.encode(e))).toStrictEqual(e);
    }), { numRuns: 100 });
  });

  it('keeps "__proto__" as an ordinary key in free maps and native ids', () => {
    const tricky = JSON.parse('{"__proto__": {"polluted": true}, "constructor": "x"}') as { [k: string]: JsonValue };
    const ids = JSON.parse('{"__proto__": "id-1"}') as { [k: string]: string };
    const e: DetectionEvent = { ...base, raw: { nativeIds: ids, extensions: tricky } };
    const back = codec.decode(codec.encode(e));
    expect(back).toStrictEqual(e);
    expect(Object.keys(back.raw?.extensions ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(back.raw?.nativeIds ?? {})).toEqual(['__proto__']);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('writes the documented wire form', () => {
    const raw = readRaw(codec.encode(example('rpm')));
    const source = raw['source'] as Record<string, Record<string, unknown>>;
    expect(source['device']?.['class']).toBe('DEVICE_CLASS_RADIATION_PORTAL_MONITOR');
    expect(raw['event_type']).toBe('EVENT_TYPE_RESULT');
    expect(raw['observed_at']).toEqual({ seconds: Date.parse('2026-11-23T10:15:30.120Z') / 1000 - 0.12, nanos: 120_000_000 });
    expect(raw['sequence']).toBe(18342);
    const algorithm = source['algorithm'] as { settings: { fields: Record<string, unknown> } };
    expect(algorithm.settings.fields['gammaNSigma']).toEqual({ numberValue: 8 });
    const findings = raw['findings'] as Array<Record<string, unknown>>;
    expect(findings[0]?.['kind']).toBe('FINDING_KIND_COUNT_EXCEEDANCE');
  });

  it('drops empty arrays and maps, which protobuf cannot tell from absent ones', () => {
    const e: DetectionEvent = { ...base, findings: [], raw: { nativeIds: {} } };
    expect(codec.decode(codec.encode(e))).toStrictEqual({ ...base, raw: {} });
  });

  it('keeps milliseconds and drops finer digits', () => {
    const e = { ...base, observedAt: '2026-11-23T10:15:30.123456Z' };
    expect(codec.decode(codec.encode(e)).observedAt).toBe('2026-11-23T10:15:30.123Z');
  });

  it('refuses what the proto cannot carry, with BL_ERR_EVENT_ENCODE', () => {
    const bad = (patch: Record<string, unknown>): DetectionEvent => ({ ...base, ...patch }) as DetectionEvent;
    expect(codeOf(() => codec.encode(bad({ colour: 'red' })))).toBe('BL_ERR_EVENT_ENCODE');
    expect(codeOf(() => codec.encode(bad({ quality: 'excellent' })))).toBe('BL_ERR_EVENT_ENCODE');
    expect(codeOf(() => codec.encode(bad({ observedAt: 'yesterday' })))).toBe('BL_ERR_EVENT_ENCODE');
    expect(codeOf(() => codec.encode(bad({ sequence: -1 })))).toBe('BL_ERR_EVENT_ENCODE');
    expect(codeOf(() => codec.encode(bad({ sequence: '7' })))).toBe('BL_ERR_EVENT_ENCODE');
    expect(codeOf(() => codec.encode(bad({ raw: { extensions: { x: Number.NaN } } })))).toBe('BL_ERR_EVENT_ENCODE');
  });

  it('refuses bytes that are not an event, with BL_ERR_EVENT_DECODE', () => {
    expect(codeOf(() => codec.decode(new Uint8Array([0x0a, 0xff, 0xff, 0xff])))).toBe('BL_ERR_EVENT_DECODE');
    // an empty message: event_type is EVENT_TYPE_UNSPECIFIED
    expect(codeOf(() => codec.decode(new Uint8Array(0)))).toBe('BL_ERR_EVENT_DECODE');
    // an enum number this version does not know (field 3 = event_type, value 99)
    const good = codec.encode(base);
    const unknownEnum = new Uint8Array([...good, 0x18, 99]);
    expect(codeOf(() => codec.decode(unknownEnum))).toBe('BL_ERR_EVENT_DECODE');
    // a NaN double is valid protobuf but not JSON
    const root = new protobuf.Root().loadSync(eventProtoPath());
    const type = root.lookupType(EVENT_PROTO_MESSAGE);
    const nan = type.encode(type.fromObject({ ...type.toObject(type.decode(good)), spectrum: { firstX: Number.NaN } })).finish();
    expect(codeOf(() => codec.decode(nan))).toBe('BL_ERR_EVENT_DECODE');
  });

  it('fails with a coded error when the proto cannot be loaded', () => {
    expect(codeOf(() => createProtobufCodec('/nonexistent/event.proto'))).toBe('BL_ERR_SCHEMA_LOAD');
  });

  it('exports the wire constants', () => {
    expect(CONTENT_TYPE).toEqual({ json: 'application/json', protobuf: 'application/x-protobuf' });
    expect(SCHEMA_USER_PROPERTY).toEqual({ name: 'schema', value: 'borderlink.detection-event.v1' });
    expect(EVENT_PROTO_MESSAGE).toBe('borderlink.detection_event.v1.DetectionEvent');
  });
});
