/**
 * The relay against a real outbox and a fake MQTT publisher: order, the in-memory hand-over of
 * durable rows, and the fall-back to leasing from the store.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../../src/clock.js';
import { BorderlinkError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { createRelay, type Relay } from '../../../src/outbox/relay.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import type { OutboxRow } from '../../../src/outbox/types.js';
import type { MqttPublisher } from '../../../src/publish/mqtt-publisher.js';
import { makeEvent } from '../../helpers/events.js';

interface FakePublisher extends MqttPublisher {
  sent: string[];
  setConnected(c: boolean): void;
  /** the next n publishes fail */
  failNext(n: number): void;
}

function fakePublisher(): FakePublisher {
  let connected = true;
  let failures = 0;
  const listeners: Array<(c: boolean) => void> = [];
  const sent: string[] = [];
  return {
    sent,
    get connected() {
      return connected;
    },
    publish(row: OutboxRow) {
      if (failures > 0) {
        failures -= 1;
        return Promise.reject(new BorderlinkError('BL_ERR_PUBLISH_FAILED', 'no'));
      }
      sent.push(row.event.eventId);
      return Promise.resolve();
    },
    onConnectionChange(l) {
      listeners.push(l);
    },
    setConnected(c) {
      connected = c;
      for (const l of listeners) l(c);
    },
    failNext(n) {
      failures = n;
    },
    stop: () => Promise.resolve(),
  };
}

const until = async (what: string, probe: () => boolean): Promise<void> => {
  for (let i = 0; i < 500; i++) {
    if (probe()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('relay', () => {
  let dir = '';
  let outbox: SqliteOutbox;
  let relay: Relay | undefined;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-relay-'));
    outbox = openSqliteOutbox({ path: path.join(dir, 'o.db'), clock: systemClock, logger: silentLogger(), maintenanceIntervalMs: 0, checkpointIntervalMs: 0 });
  });
  afterEach(async () => {
    await relay?.stop(100);
    relay = undefined;
    await outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const start = (publisher: MqttPublisher, memoryRows?: number): Relay => {
    relay = createRelay({
      outbox, publisher, window: 7, logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }),
      now: () => Date.now(), idlePollMs: 60_000, ...(memoryRows === undefined ? {} : { memoryRows }),
    });
    relay.start();
    return relay;
  };
  const appendMany = async (n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const d = `d${i % 3}`;
      const r = await outbox.append({ deviceId: d, events: [makeEvent({ deviceId: d })] });
      ids.push(...r.events.map((e) => e.eventId));
    }
    return ids;
  };

  it('publishes a backlog in row order, then new rows from memory without reading them back', async () => {
    const backlog = await appendMany(20);
    const pub = fakePublisher();
    start(pub);
    await until('the backlog', () => pub.sent.length === 20);
    expect(pub.sent).toEqual(backlog);
    const lease = vi.spyOn(outbox, 'lease');
    const live = await appendMany(30);
    await until('the live rows', () => pub.sent.length === 50);
    expect(pub.sent).toEqual([...backlog, ...live]);
    expect(lease).not.toHaveBeenCalled();
    await until('acks', () => outbox.stats(Date.now()).depth === 0);
  });

  it('falls back to the store when its memory tail would overflow, and keeps the order', async () => {
    const pub = fakePublisher();
    start(pub, 5);
    await appendMany(2);
    await until('the first rows', () => pub.sent.length === 2);
    pub.setConnected(false);
    const during = await appendMany(25);
    pub.setConnected(true);
    await until('everything', () => pub.sent.length === 27);
    expect(pub.sent.slice(2)).toEqual(during);
    await until('acks', () => outbox.stats(Date.now()).depth === 0);
  });

  it('after a failed publish leases again from the oldest unacknowledged row: nothing skipped', async () => {
    const pub = fakePublisher();
    start(pub);
    pub.failNext(3);
    const ids = await appendMany(10);
    await until('all published', () => ids.every((id) => pub.sent.includes(id)));
    await until('acks', () => outbox.stats(Date.now()).depth === 0);
    // per-device order holds in what reached the broker (a resend may repeat, never reorder a first copy)
    const firsts = pub.sent.filter((id, i) => pub.sent.indexOf(id) === i);
    expect(firsts).toEqual(ids);
  });
});
