import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { QuarantineItem } from '../../../src/http/routes/quarantine.js';
import type { DeviceRecord } from '../../../src/outbox/types.js';

type LightResponse = Awaited<ReturnType<HttpFixture['app']['inject']>>;
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';

let fx: HttpFixture;
beforeAll(async () => {
  fx = await httpFixture({ limits: { maxPageSize: 2, defaultPageSize: 2 } });
  for (let i = 0; i < 5; i += 1) {
    fx.store.addQuarantine({
      deviceId: i % 2 === 0 ? 'rpm-1' : 'xray-1',
      adapterId: 'test-adapter',
      adapterVersion: '1.0.0',
      code: 'BL_ERR_DECODE_SHORT_FRAME',
      message: `frame ${i} too short`,
      raw: Buffer.from([0, 1, 2, 0xff, i]),
      receivedAt: `2026-11-23T10:0${i}:00.000Z`,
      ...(i === 0 ? { detail: { expected: 8, got: 5 } } : {}),
    });
  }
});
afterAll(async () => { await fx.close(); });

describe('devices', () => {
  it('GET /v1/devices lists every device with counters', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/devices' });
    expect(res.statusCode).toBe(200);
    const { items } = res.json<{ items: DeviceRecord[] }>();
    expect(items.map((d) => d.id)).toEqual(['rpm-1', 'rpm-2', 'spec-1', 'xray-1']);
    expect(items.find((d) => d.id === 'rpm-1')?.counters).toEqual({ events: 4, quarantined: 3 });
  });

  it('GET /v1/devices/:id gives status, last event and counters', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/devices/spec-1' });
    expect(res.statusCode).toBe(200);
    const d = res.json<DeviceRecord>();
    expect(d).toMatchObject({
      id: 'spec-1', deviceClass: 'spectrometer', siteId: 'BGSOF', lastSequence: 2,
      status: { state: 'online' }, counters: { events: 2, quarantined: 0 },
    });
    expect(d.lastEvent).toEqual(fx.store.device('spec-1')?.lastEvent);
  });

  it('404 problem for an unknown device', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/devices/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'BL_ERR_HTTP_NOT_FOUND' });
  });
});

describe('quarantine', () => {
  async function walk(query: string): Promise<QuarantineItem[]> {
    const out: QuarantineItem[] = [];
    let url: string | undefined = `/v1/quarantine${query}`;
    while (url !== undefined) {
      const res: LightResponse = await fx.app.inject({ method: 'GET', url });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<{ items: QuarantineItem[]; nextCursor: string | null }>();
      expect(page.items.length).toBeLessThanOrEqual(2);
      out.push(...page.items);
      const link: unknown = res.headers['link'];
      url = typeof link === 'string' ? /^<([^>]+)>/.exec(link)?.[1] : undefined;
      expect(url === undefined).toBe(page.nextCursor === null);
    }
    return out;
  }

  it('pages through every record once, raw bytes as base64', async () => {
    const items = await walk('');
    expect(items.map((i) => i.id)).toEqual([5, 4, 3, 2, 1]);
    expect(items.find((i) => i.id === 1)).toEqual({
      id: 1, deviceId: 'rpm-1', adapterId: 'test-adapter', adapterVersion: '1.0.0',
      code: 'BL_ERR_DECODE_SHORT_FRAME', message: 'frame 0 too short', receivedAt: '2026-11-23T10:00:00.000Z',
      raw: Buffer.from([0, 1, 2, 0xff, 0]).toString('base64'), detail: { expected: 8, got: 5 },
    });
    expect(Buffer.from(items[0]?.raw ?? '', 'base64')).toEqual(Buffer.from([0, 1, 2, 0xff, 4]));
  });

  it('filters by device', async () => {
    const items = await walk('?device=xray-1');
    expect(items.map((i) => i.id)).toEqual([4, 2]);
  });

  it('400 for bad parameters', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/quarantine?limit=0&deviceId=x' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ errors: { name: string }[] }>().errors.map((e) => e.name).sort()).toEqual(['deviceId', 'limit']);
  });
});
