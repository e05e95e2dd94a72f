import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';
import { sampleEvent, SAMPLE_SPECS } from '../../helpers/sample-events.js';
import { openSse, type SseClient } from '../../helpers/sse-client.js';

let fx: HttpFixture | undefined;
const clients: SseClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await fx?.close();
  fx = undefined;
});

async function serve(limits: Parameters<typeof httpFixture>[0] = {}): Promise<{ fx: HttpFixture; base: string }> {
  fx = await httpFixture(limits);
  await fx.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = fx.app.server.address() as AddressInfo;
  return { fx, base: `http://127.0.0.1:${port}` };
}

async function connect(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const c = await openSse(url, headers);
  clients.push(c);
  return c;
}

/** Appends a fresh event (number n) to the store and publishes its row, as the pipeline does. */
function appendAndPublish(f: HttpFixture, n: number, over: Partial<(typeof SAMPLE_SPECS)[number]> = {}): number {
  const row = f.store.add(sampleEvent({
    n, site: 'BGSOF', device: 'rpm-9', deviceClass: 'radiation-portal-monitor', eventType: 'result',
    sequence: n, outcome: 'clear', ...over,
  }));
  f.hub.publish(row);
  return row.id;
}

const frameIds = (c: SseClient): number[] => c.frames.map((f) => Number(f.id));

describe('GET /v1/events/stream', () => {
  it('delivers live events as SSE frames: id = row id, event = eventType, data = the JSON', async () => {
    const { fx: f, base } = await serve();
    const c = await connect(`${base}/v1/events/stream`);
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['cache-control']).toContain('no-cache');
    await c.waitForComment('stream open');
    expect(f.hub.subscriberCount()).toBe(1);

    const a = appendAndPublish(f, 100);
    const b = appendAndPublish(f, 101, { eventType: 'fault', outcome: undefined });
    const frames = await c.waitForFrames(2);
    expect(frames.map((x) => Number(x.id))).toEqual([a, b]);
    expect(frames.map((x) => x.event)).toEqual(['result', 'fault']);
    expect(JSON.parse(frames[0]?.data ?? '')).toEqual(f.store.rows.find((r) => r.id === a)?.event);
    // stored history is not replayed without a Last-Event-ID
    expect(frameIds(c).every((id) => id > 10)).toBe(true);
  });

  it('applies the same filters as /events', async () => {
    const { fx: f, base } = await serve();
    const c = await connect(`${base}/v1/events/stream?site=ROBUH&outcome=alarm`);
    await c.waitForComment('stream open');
    appendAndPublish(f, 200, { site: 'BGSOF', outcome: 'alarm' });
    appendAndPublish(f, 201, { site: 'ROBUH', outcome: 'clear' });
    const hit = appendAndPublish(f, 202, { site: 'ROBUH', outcome: 'alarm' });
    appendAndPublish(f, 203, { site: 'ROBUH', outcome: 'alarm', eventType: 'measurement' });
    const last = appendAndPublish(f, 204, { site: 'ROBUH', outcome: 'alarm', eventType: 'status' });
    await c.waitForFrames(3);
    expect(frameIds(c)).toEqual([hit, hit + 1, last]);
  });

  it('resumes after Last-Event-ID: replays the outbox in pages, then goes live, no gap and no duplicate', async () => {
    const { fx: f, base } = await serve({ limits: { sseReplayPageSize: 2 } });
    let call = 0;
    f.store.hooks.beforeEventsAfter = () => {
      call += 1;
      // committed before this read and published during the replay: read AND buffered
      if (call === 2) appendAndPublish(f, 300);
    };
    f.store.hooks.afterEventsAfter = () => {
      // committed and published just after a read: buffered, and read by a later page
      if (call === 3) appendAndPublish(f, 301);
    };

    const c = await connect(`${base}/v1/events/stream`, { 'last-event-id': '4' });
    const total = 12; // 10 samples + the two appended during replay
    await c.waitForFrames(total - 4);
    expect(f.store.rows.length).toBe(total);
    expect(call).toBeGreaterThanOrEqual(3);
    f.store.hooks = {};
    const live = [appendAndPublish(f, 302), appendAndPublish(f, 303)];
    await c.waitForFrames(total - 4 + 2);

    const ids = frameIds(c);
    const expectedIds = Array.from({ length: f.store.rows.length - 4 }, (_, i) => i + 5);
    expect(ids).toEqual(expectedIds);
    expect(ids.slice(-2)).toEqual(live);
    expect(f.store.eventsAfterCalls).toBeGreaterThanOrEqual(3);
  });

  it('buffers rows published while replaying and drops those already replayed', async () => {
    const { fx: f, base } = await serve({ limits: { sseReplayPageSize: 100 } });
    // republish rows the replay also returns: the switch-over must not send them twice
    f.store.hooks.afterEventsAfter = (_after, rows) => {
      f.store.hooks = {};
      for (const r of rows) f.hub.publish(r);
      appendAndPublish(f, 400);
    };
    const c = await connect(`${base}/v1/events/stream?lastEventId=0`);
    await c.waitForFrames(11);
    const next = appendAndPublish(f, 401);
    await c.waitForFrames(12);
    expect(frameIds(c)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, next]);
  });

  it('takes ?lastEventId= and lets the Last-Event-ID header win', async () => {
    const { base } = await serve();
    const q = await connect(`${base}/v1/events/stream?lastEventId=8`);
    await q.waitForFrames(2);
    expect(frameIds(q)).toEqual([9, 10]);
    const h = await connect(`${base}/v1/events/stream?lastEventId=2`, { 'Last-Event-ID': '9' });
    await h.waitForFrames(1);
    expect(frameIds(h)).toEqual([10]);
  });

  it('filters the replay too', async () => {
    const { base } = await serve();
    const c = await connect(`${base}/v1/events/stream?lastEventId=0&device=xray-1`);
    await c.waitForFrames(3);
    const events = c.frames.map((x) => JSON.parse(x.data) as DetectionEvent);
    expect(events.map((e) => e.source.device.id)).toEqual(['xray-1', 'xray-1', 'xray-1']);
  });

  it('drops its subscription when the client goes away', async () => {
    const { fx: f, base } = await serve();
    const a = await connect(`${base}/v1/events/stream`);
    const b = await connect(`${base}/v1/events/stream?lastEventId=3`);
    await a.waitForComment('stream open');
    await b.waitForFrames(7);
    expect(f.hub.subscriberCount()).toBe(2);
    a.close();
    await vi.waitFor(() => expect(f.hub.subscriberCount()).toBe(1));
    b.close();
    await vi.waitFor(() => expect(f.hub.subscriberCount()).toBe(0));
    // publishing to nobody is harmless
    appendAndPublish(f, 500);
  });

  it('sends heartbeat comments', async () => {
    const { base } = await serve({ limits: { sseHeartbeatMs: 10 } });
    const c = await connect(`${base}/v1/events/stream`);
    await c.waitForComment('heartbeat');
  });

  it('ends open streams when the server closes', async () => {
    const { fx: f, base } = await serve();
    const c = await connect(`${base}/v1/events/stream`);
    await c.waitForComment('stream open');
    await f.app.close();
    await c.ended;
    expect(f.hub.subscriberCount()).toBe(0);
  });

  it.each([
    ['?lastEventId=-1', {}],
    ['?lastEventId=abc', {}],
    ['?afterSequence=2', {}],
    ['?eventType=nope', {}],
    ['', { 'last-event-id': 'abc' }],
    ['', { 'last-event-id': '-3' }],
  ])('400 problem for %s %j', async (query, headers) => {
    fx = await httpFixture();
    const res = await fx.app.inject({ method: 'GET', url: `/v1/events/stream${query}`, headers });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'BL_ERR_HTTP_BAD_REQUEST' });
    expect(fx.hub.subscriberCount()).toBe(0);
  });
});
