import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { describe, expect, it, vi } from 'vitest';
import { startEventStream, sseFrame } from '../../../src/http/event-stream.js';
import { createLiveEvents } from '../../../src/http/live-events.js';
import { silentLogger } from '../../../src/log.js';
import { createMemoryStore, type MemoryStore } from '../../helpers/memory-store.js';
import { sampleEvent } from '../../helpers/sample-events.js';

/** A response that records writes and refuses them (returns false) while `accept` is false. */
class FakeResponse extends EventEmitter {
  writes: string[] = [];
  accept = true;
  destroyed = false;
  writableEnded = false;
  status = 0;
  writeHead(status: number): this { this.status = status; return this; }
  write(chunk: string): boolean { this.writes.push(chunk); return this.accept; }
  end(): void { this.writableEnded = true; this.emit('close'); }
  ids(): number[] {
    return this.writes.filter((w) => w.startsWith('id: ')).map((w) => Number(/^id: (\d+)/.exec(w)?.[1]));
  }
}

function add(store: MemoryStore, n: number) {
  return store.add(sampleEvent({ n, site: 'BGSOF', device: 'rpm-1', deviceClass: 'radiation-portal-monitor', eventType: 'result', sequence: n, outcome: 'clear' }));
}

function start(store: MemoryStore, res: FakeResponse, lastEventId: number | undefined, maxBufferedRows = 2) {
  const hub = createLiveEvents();
  const session = startEventStream(res as unknown as ServerResponse, {
    store, live: hub, filter: {}, lastEventId, heartbeatMs: 60_000, replayPageSize: 2, maxBufferedRows, log: silentLogger(),
  });
  return { hub, session };
}

describe('event stream session', () => {
  it('falls back to the outbox when the client is slow, and the buffer overflows, without gaps or duplicates', async () => {
    const store = createMemoryStore();
    const res = new FakeResponse();
    const { hub, session } = start(store, res, undefined);
    expect(res.status).toBe(200);
    hub.publish(add(store, 1));
    res.accept = false;
    hub.publish(add(store, 2)); // written, but the socket asks for a pause
    for (let n = 3; n <= 7; n += 1) hub.publish(add(store, n)); // overflows the 2-row buffer
    expect(res.ids()).toEqual([1, 2]);
    res.accept = true;
    res.emit('drain');
    await vi.waitFor(() => expect(res.ids()).toEqual([1, 2, 3, 4, 5, 6, 7]));
    hub.publish(add(store, 8));
    expect(res.ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    session.close();
    await session.closed;
    expect(hub.subscriberCount()).toBe(0);
  });

  it('pauses the replay while the socket drains', async () => {
    const store = createMemoryStore();
    for (let n = 1; n <= 6; n += 1) add(store, n);
    const res = new FakeResponse();
    res.accept = false;
    const { hub, session } = start(store, res, 0, 100);
    expect(res.ids()).toEqual([1]);
    hub.publish(add(store, 7));
    res.accept = true;
    res.emit('drain');
    await vi.waitFor(() => expect(res.ids()).toEqual([1, 2, 3, 4, 5, 6, 7]));
    hub.publish(add(store, 8));
    expect(res.ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    res.end();
    await session.closed;
    expect(hub.subscriberCount()).toBe(0);
  });

  it('ends the stream and releases everything when the outbox fails during replay', async () => {
    const store = createMemoryStore();
    store.eventsAfter = () => { throw new Error('outbox closed'); };
    const res = new FakeResponse();
    const { hub, session } = start(store, res, 5);
    await session.closed;
    expect(res.writableEnded).toBe(true);
    expect(hub.subscriberCount()).toBe(0);
  });

  it('frames multi-line data as several data lines', () => {
    expect(sseFrame(7, 'result', '{"a":\n1}')).toBe('id: 7\nevent: result\ndata: {"a":\ndata: 1}\n\n');
  });
});
