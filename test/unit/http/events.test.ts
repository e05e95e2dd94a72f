import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';
import { SAMPLE_SPECS } from '../../helpers/sample-events.js';

interface Page { items: DetectionEvent[]; nextCursor: string | null }
interface Problem { type: string; title: string; status: number; detail: string; code: string; errors?: { in: string; name?: string; message: string }[] }

let fx: HttpFixture;
beforeAll(async () => { fx = await httpFixture({ limits: { maxPageSize: 100, defaultPageSize: 100 } }); });
afterAll(async () => { await fx.close(); });

async function list(query: string): Promise<Page> {
  const res = await fx.app.inject({ method: 'GET', url: `/v1/events${query}` });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json<Page>();
}

const ids = (p: Page): string[] => p.items.map((e) => e.eventId);
/** eventIds of the matching samples, newest first (the store's order without afterSequence) */
const expected = (pred: (s: (typeof SAMPLE_SPECS)[number]) => boolean): string[] =>
  SAMPLE_SPECS.filter(pred).map((s) => `0190a000-0000-7000-8000-${String(s.n).padStart(12, '0')}`).reverse();

describe('GET /v1/events filters', () => {
  it('lists everything without filters, in the store\'s order, with a null nextCursor', async () => {
    const page = await list('');
    expect(ids(page)).toEqual(expected(() => true));
    expect(page.nextCursor).toBeNull();
  });

  it.each([
    ['?site=ROBUH', (s: (typeof SAMPLE_SPECS)[number]) => s.site === 'ROBUH'],
    ['?device=rpm-1', (s: (typeof SAMPLE_SPECS)[number]) => s.device === 'rpm-1'],
    ['?deviceClass=xray-scanner', (s: (typeof SAMPLE_SPECS)[number]) => s.deviceClass === 'xray-scanner'],
    ['?eventType=result', (s: (typeof SAMPLE_SPECS)[number]) => s.eventType === 'result'],
    ['?outcome=alarm', (s: (typeof SAMPLE_SPECS)[number]) => s.outcome === 'alarm'],
    ['?site=BGSOF&eventType=result&outcome=alarm', (s: (typeof SAMPLE_SPECS)[number]) => s.site === 'BGSOF' && s.eventType === 'result' && s.outcome === 'alarm'],
    ['?since=2026-11-23T10:03:00.000Z&until=2026-11-23T10:06:00Z', (s: (typeof SAMPLE_SPECS)[number]) => s.n >= 3 && s.n < 6],
    // an offset is normalised to UTC: 12:05+02:00 is 10:05Z
    ['?since=2026-11-23T12:05:00%2B02:00', (s: (typeof SAMPLE_SPECS)[number]) => s.n >= 5],
  ])('%s', async (query, pred) => {
    expect(ids(await list(query))).toEqual(expected(pred));
  });

  it('?device=rpm-1&afterSequence=2 gives that device\'s later events by ascending sequence', async () => {
    const page = await list('?device=rpm-1&afterSequence=2');
    expect(page.items.map((e) => e.sequence)).toEqual([3, 4]);
    expect(page.items.every((e) => e.source.device.id === 'rpm-1')).toBe(true);
  });
});

describe('GET /v1/events paging', () => {
  it('walks every page by cursor and Link header, covering each event exactly once', async () => {
    const seen: string[] = [];
    let url: string | undefined = '/v1/events?limit=3&site=BGSOF';
    let pages = 0;
    while (url !== undefined) {
      const res = await fx.app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      const page = res.json<Page>();
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(page));
      pages += 1;
      const link = res.headers['link'];
      if (page.nextCursor === null) {
        expect(link).toBeUndefined();
        url = undefined;
      } else {
        expect(typeof link).toBe('string');
        const m = /^<([^>]+)>; rel="next"$/.exec(String(link));
        expect(m).not.toBeNull();
        url = m?.[1];
        // the link keeps the filters and carries the cursor
        expect(url).toContain('site=BGSOF');
        expect(url).toContain(`cursor=${encodeURIComponent(page.nextCursor)}`);
      }
    }
    expect(pages).toBe(2);
    expect(seen).toEqual(expected((s) => s.site === 'BGSOF'));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('pages by sequence with afterSequence', async () => {
    const seqs: number[] = [];
    let url: string | undefined = '/v1/events?device=rpm-1&afterSequence=0&limit=1';
    while (url !== undefined) {
      const res: Awaited<ReturnType<HttpFixture['app']['inject']>> = await fx.app.inject({ method: 'GET', url });
      const page = res.json<Page>();
      seqs.push(...page.items.map((e) => e.sequence));
      const link: unknown = res.headers['link'];
      url = typeof link === 'string' ? /^<([^>]+)>/.exec(link)?.[1] : undefined;
    }
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  it('caps limit at maxPageSize instead of refusing it', async () => {
    const small = await httpFixture({ limits: { maxPageSize: 4, defaultPageSize: 2 } });
    try {
      const big = await small.app.inject({ method: 'GET', url: '/v1/events?limit=100000' });
      expect(big.statusCode).toBe(200);
      expect(big.json<Page>().items).toHaveLength(4);
      const dflt = await small.app.inject({ method: 'GET', url: '/v1/events' });
      expect(dflt.json<Page>().items).toHaveLength(2);
    } finally {
      await small.close();
    }
  });
});

describe('GET /v1/events bad queries', () => {
  async function problem(url: string): Promise<Problem> {
    const res = await fx.app.inject({ method: 'GET', url });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const p = res.json<Problem>();
    expect(p).toMatchObject({ status: 400, code: 'BL_ERR_HTTP_BAD_REQUEST', title: 'Bad Request' });
    expect(p.type).toContain('BL_ERR_HTTP_BAD_REQUEST');
    return p;
  }

  it('lists every problem of the query in one answer', async () => {
    const p = await problem('/v1/events?limit=0&deviceClass=toaster&since=yesterday&outcome=maybe&colour=red');
    const names = (p.errors ?? []).map((e) => e.name).sort();
    expect(names).toEqual(['colour', 'deviceClass', 'limit', 'outcome', 'since']);
    expect(p.errors?.every((e) => e.in === 'query')).toBe(true);
    expect(p.detail).toContain('deviceClass');
  });

  it('refuses afterSequence without device', async () => {
    const p = await problem('/v1/events?afterSequence=3');
    expect(p.errors?.map((e) => e.name)).toEqual(['device']);
  });

  it('refuses since after until, alongside schema problems', async () => {
    const p = await problem('/v1/events?since=2026-11-23T11:00:00Z&until=2026-11-23T10:00:00Z&limit=-1');
    expect((p.errors ?? []).map((e) => e.name).sort()).toEqual(['limit', 'until']);
  });

  it.each([
    '/v1/events?limit=abc',
    '/v1/events?afterSequence=-1&device=rpm-1',
    '/v1/events?since=2026-11-23T10:00:00',
    '/v1/events?since=2026-02-30T10:00:00Z',
    '/v1/events?site=a&site=b',
  ])('400 for %s', async (url) => {
    await problem(url);
  });

  it('turns a cursor the store rejects into a 400 problem', async () => {
    const p = await problem('/v1/events?cursor=not-a-cursor');
    expect(p.detail).toContain('cursor');
  });
});

describe('GET /v1/events/:id', () => {
  it('returns the event', async () => {
    const id = expected(() => true)[4] as string;
    const res = await fx.app.inject({ method: 'GET', url: `/v1/events/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json<DetectionEvent>()).toEqual(fx.store.get(id));
  });

  it('404 problem for an unknown id', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/events/0190a000-0000-7000-8000-999999999999' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json<Problem>()).toMatchObject({ status: 404, code: 'BL_ERR_HTTP_NOT_FOUND', title: 'Not Found' });
  });
});

describe('unknown routes and failures', () => {
  it('404 problem for an unknown route', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/nothing-here?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json<Problem>()).toMatchObject({ code: 'BL_ERR_HTTP_NOT_FOUND', status: 404 });
  });

  it('500 problem without stack or path when the store throws', async () => {
    const broken = await httpFixture();
    try {
      broken.store.get = () => { throw new Error(`disk I/O error at ${process.cwd()}/data/outbox.sqlite`); };
      const res = await broken.app.inject({ method: 'GET', url: '/v1/events/x' });
      expect(res.statusCode).toBe(500);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      const p = res.json<Problem>();
      expect(p).toMatchObject({ status: 500, code: 'BL_ERR_HTTP_INTERNAL', title: 'Internal Server Error' });
      expect(res.body).not.toContain('sqlite');
      expect(res.body).not.toContain(process.cwd());
      expect(res.body).not.toMatch(/\bat \w+ \(/);
      expect(Object.keys(p).sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
    } finally {
      await broken.close();
    }
  });
});
