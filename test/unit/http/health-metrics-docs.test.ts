import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';

let fx: HttpFixture;
beforeAll(async () => { fx = await httpFixture(); });
afterAll(async () => { await fx.close(); });

describe('health', () => {
  it('GET /healthz is 200 with the version', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', version: '0.1.0-test' });
  });

  it('GET /readyz is 200 when ready and 503 with the checks when not', async () => {
    const ok = await fx.app.inject({ method: 'GET', url: '/readyz' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ ready: true, checks: { outbox: true, mqtt: true } });

    fx.readiness.current = { ready: false, checks: { outbox: true, mqtt: 'broker unreachable' } };
    try {
      const down = await fx.app.inject({ method: 'GET', url: '/readyz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toEqual({ ready: false, checks: { outbox: true, mqtt: 'broker unreachable' } });
      // liveness does not follow readiness
      expect((await fx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      fx.readiness.current = { ready: true, checks: { outbox: true, mqtt: true } };
    }
  });
});

describe('metrics', () => {
  it('GET /metrics is the Prometheus text of the registry', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe(fx.registry.contentType);
    expect(res.body).toContain('# TYPE borderlink_test_events_total counter');
    expect(res.body).toContain('borderlink_test_events_total 3');
  });
});

interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses: Record<string, unknown>; parameters?: { name: string; in: string }[]; operationId?: string }>>;
  components: { schemas: Record<string, unknown> };
}

describe('OpenAPI document', () => {
  let doc: OpenApiDoc;
  beforeAll(async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/docs/json' });
    expect(res.statusCode).toBe(200);
    doc = res.json<OpenApiDoc>();
  });

  it('is OpenAPI 3 with info', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toEqual(expect.objectContaining({ title: 'BorderLink Gateway API', version: '0.1.0-test' }));
  });

  it('lists every route, and only GET operations with responses', () => {
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/healthz', '/metrics', '/readyz',
      '/v1/artifacts/{sha256}', '/v1/devices', '/v1/devices/{id}',
      '/v1/events', '/v1/events/stream', '/v1/events/{id}', '/v1/quarantine',
    ]);
    const opIds = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths)) {
      expect(Object.keys(ops), p).toEqual(['get']);
      const op = ops['get'];
      expect(Object.keys(op?.responses ?? {}).length, p).toBeGreaterThan(0);
      expect(typeof op?.operationId).toBe('string');
      opIds.add(String(op?.operationId));
    }
    expect(opIds.size).toBe(Object.keys(doc.paths).length);
  });

  it('documents the query parameters and problem responses', () => {
    const events = doc.paths['/v1/events']?.['get'];
    expect(events?.parameters?.filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual([
      'afterSequence', 'cursor', 'device', 'deviceClass', 'eventType', 'limit', 'outcome', 'since', 'site', 'until',
    ]);
    expect(doc.paths['/v1/events/{id}']?.['get']?.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path' })]);
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['DetectionEvent', 'Device', 'Problem', 'QuarantineItem']);
  });

  it('every $ref resolves inside the document', () => {
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref' && typeof x === 'string') refs.push(x);
          else walk(x);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
  });
});
