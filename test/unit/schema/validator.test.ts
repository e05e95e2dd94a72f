import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBorderlinkError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/package-root.js';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { createEventValidator, loadEventSchema } from '../../../src/schema/validator.js';

const EXAMPLES = ['rpm', 'spectrometer', 'xray'] as const;
const example = (name: string): DetectionEvent =>
  JSON.parse(readFileSync(resolve(packageRoot(), 'schemas/examples', `${name}.json`), 'utf8')) as DetectionEvent;

/** A plain mutable copy to break on purpose. */
type Json = { [key: string]: unknown };
const copy = (e: DetectionEvent): Json => structuredClone(e) as unknown as Json;
const obj = (v: unknown): Json => v as Json;

const envelope = (eventType: DetectionEvent['eventType']): DetectionEvent => ({
  eventId: '01a207e7-84a7-79e7-ab43-8597fee20e16',
  schemaVersion: '1.0',
  eventType,
  observedAt: '2026-11-23T10:15:30.120Z',
  receivedAt: '2026-11-23T10:15:30.200Z',
  sequence: 1,
  quality: 'good',
  source: {
    gatewayId: 'gw-1', siteId: 'BGSOF',
    device: { id: 'rpm-l3', class: 'radiation-portal-monitor' },
    adapter: { id: 'sim', version: '1.0.0' },
  },
});

describe('createEventValidator', () => {
  const validator = createEventValidator();

  it.each(EXAMPLES)('accepts the %s worked example', (name) => {
    expect(validator.validate(example(name))).toEqual({ ok: true });
  });

  it('accepts minimal events of every type', () => {
    expect(validator.validate({ ...envelope('status'), status: { state: 'offline' } })).toEqual({ ok: true });
    expect(validator.validate({ ...envelope('fault'), fault: { code: 'tamper', active: true } })).toEqual({ ok: true });
    expect(validator.validate({
      ...envelope('measurement'), measurements: [{ detectorId: 'G1', category: 'gamma', countRateCps: 251 }],
    })).toEqual({ ok: true });
    expect(validator.validate({
      ...envelope('operator-decision'), outcome: { state: 'clear', decisionBy: 'operator' },
    })).toEqual({ ok: true });
    expect(validator.validate({ ...envelope('result'), outcome: { state: 'clear' } })).toEqual({ ok: true });
  });

  it('rejects a result without outcome', () => {
    const e = copy(example('rpm'));
    delete e['outcome'];
    expect(validator.validate(e)).toEqual({ ok: false, errors: ["/ must have required property 'outcome'"] });
  });

  it('rejects a bad enum value and names the allowed ones', () => {
    const e = copy(example('rpm'));
    obj(obj(e['source'])['device'])['class'] = 'radiation-portal';
    const r = validator.validate(e);
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors).toEqual([
      '/source/device/class must be equal to one of the allowed values: "radiation-portal-monitor", "spectrometer", "xray-scanner"',
    ]);
  });

  it.each([
    ['a version 4 uuid', '01a207e7-84a7-49e7-ab43-8597fee20e16'],
    ['a wrong variant', '01a207e7-84a7-79e7-cb43-8597fee20e16'],
    ['upper case', '01A207E7-84A7-79E7-AB43-8597FEE20E16'],
    ['not a uuid', 'event-1'],
  ])('rejects an eventId that is %s', (_what, eventId) => {
    const r = validator.validate({ ...example('xray'), eventId });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.every((m) => m.startsWith('/eventId '))).toBe(true);
  });

  it('rejects an extra property at the root and in nested objects, naming it', () => {
    const e = copy(example('spectrometer'));
    e['colour'] = 'red';
    obj(obj(e['findings'])[0])['confidence'] = 0.9;
    const r = validator.validate(e);
    expect(r.ok ? [] : r.errors).toEqual([
      "/ must NOT have additional properties: 'colour'",
      "/findings/0 must NOT have additional properties: 'confidence'",
    ]);
  });

  it('keeps the free maps open', () => {
    const e = copy(example('rpm'));
    obj(e['raw'])['extensions'] = { anything: { nested: [1, 'two', null, true] } };
    obj(obj(e['source'])['algorithm'])['settings'] = { whatever: 'goes' };
    expect(validator.validate(e)).toEqual({ ok: true });
    obj(e['raw'])['nativeIds'] = { n42DocUUID: 42 };
    expect(validator.validate(e)).toEqual({ ok: false, errors: ['/raw/nativeIds/n42DocUUID must be string'] });
  });

  it.each([
    ['no time zone', '2026-11-23T10:15:30.120'],
    ['an offset instead of Z', '2026-11-23T12:15:30.120+02:00'],
    ['no milliseconds', '2026-11-23T10:15:30Z'],
    ['an impossible date', '2026-02-30T10:15:30.120Z'],
    ['not a time', 'yesterday'],
  ])('rejects a time with %s', (_what, observedAt) => {
    const r = validator.validate({ ...example('rpm'), observedAt });
    expect(r.ok).toBe(false);
    expect(r.ok ? [] : r.errors.every((m) => m.startsWith('/observedAt '))).toBe(true);
  });

  it('applies the conditional requirements of each event type', () => {
    const errorsOf = (e: unknown): string[] => {
      const r = validator.validate(e);
      return r.ok ? [] : r.errors;
    };
    expect(errorsOf(envelope('status'))).toEqual(["/ must have required property 'status'"]);
    expect(errorsOf(envelope('fault'))).toEqual(["/ must have required property 'fault'"]);
    expect(errorsOf(envelope('measurement'))).toEqual(["/ must have required property 'measurements'"]);
    expect(errorsOf({ ...envelope('measurement'), measurements: [] })).toEqual(['/measurements must NOT have fewer than 1 items']);
    expect(errorsOf(envelope('operator-decision'))).toEqual(["/ must have required property 'outcome'"]);
    expect(errorsOf({ ...envelope('operator-decision'), outcome: { state: 'clear' } }))
      .toEqual(["/outcome must have required property 'decisionBy'"]);
  });

  it('rejects other contract breaks', () => {
    const cases: Array<[string, (e: Json) => void, string]> = [
      ['sequence 0', (e) => { e['sequence'] = 0; }, '/sequence must be >= 1'],
      ['fractional sequence', (e) => { e['sequence'] = 1.5; }, '/sequence must be integer'],
      ['schemaVersion 2.0', (e) => { e['schemaVersion'] = '2.0'; }, '/schemaVersion must match pattern "^1\\.[0-9]+$"'],
      ['upper-case sha256', (e) => {
        const a = obj(obj(e['artifacts'])[0]);
        a['sha256'] = String(a['sha256']).toUpperCase();
      }, '/artifacts/0/sha256 must match pattern "^[0-9a-f]{64}$"'],
      ['a topic wildcard in the site id', (e) => { obj(e['source'])['siteId'] = 'BG/SOF'; }, '/source/siteId must match pattern "^[^/+#]+$"'],
      ['a bare score', (e) => { obj(obj(e['findings'])[0])['score'] = 11.38; }, '/findings/0/score must be object'],
    ];
    for (const [what, breakIt, expected] of cases) {
      const e = copy(example('rpm'));
      breakIt(e);
      const r = validator.validate(e);
      expect(r.ok ? [] : r.errors, what).toEqual([expected]);
    }
  });

  it('reports every error at once', () => {
    const r = validator.validate({ eventType: 'result' });
    expect(r.ok).toBe(false);
    expect(r.ok ? 0 : r.errors.length).toBeGreaterThanOrEqual(8);
  });

  it('rejects non-objects', () => {
    expect(validator.validate(null)).toEqual({ ok: false, errors: ['/ must be object'] });
    expect(validator.validate('{}').ok).toBe(false);
  });

  it('fails with a coded error when the schema cannot be loaded or compiled', () => {
    const codeOf = (f: () => unknown): string | undefined => {
      try {
        f();
      } catch (e) {
        return isBorderlinkError(e) ? e.code : 'not coded';
      }
      return undefined;
    };
    expect(codeOf(() => loadEventSchema('/nonexistent/schema.json'))).toBe('BL_ERR_SCHEMA_LOAD');
    expect(codeOf(() => createEventValidator({ type: 'object', properties: { a: { type: 'nonsense' } } }))).toBe('BL_ERR_SCHEMA_LOAD');
  });
});
