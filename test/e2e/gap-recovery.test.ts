/**
 * A PUBACK only means the broker accepted a message. Mosquitto with a bounded queue
 * (max_queued_messages, 1000 by default) drops QoS 1 messages queued for a slow or offline
 * persistent subscriber. This test makes a broker drop (a queue of 5), then shows that a
 * subscriber using the per-device sequence and the REST replay API (src/client/gap-filler.ts)
 * recovers every event it lost.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeGaps, GapTracker } from '../../src/client/gap-filler.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { findMosquitto, startMosquitto, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, recordMqtt, startGatewayDaemon, tempDir, waitFor, writeConfig, type StartedDaemon, type TempDir } from '../helpers/e2e-fixtures.js';
import { ROOT } from '../helpers/daemon.js';

const mosquitto = findMosquitto();
const DOC = readFileSync(path.join(ROOT, 'adapters/n42-document/testcases/background-only-2012/background-only-2012.n42'), 'utf8');
/** A distinct document per n (the gateway de-duplicates identical documents by sha256). */
const doc = (n: number) => DOC.replace('<?xml version="1.0" encoding="UTF-8"?>', `<?xml version="1.0" encoding="UTF-8"?>\n<!-- delivery ${n} -->`);

if (!mosquitto && process.env.CI === 'true') throw new Error('CI=true but Mosquitto is not installed: this test needs a broker that drops messages');

describe.skipIf(!mosquitto)('a subscriber that lost messages recovers them through REST (needs Mosquitto)', () => {
  let broker: TestBroker;
  let dir: TempDir;
  let gw: StartedDaemon;
  beforeAll(async () => {
    broker = await startMosquitto(mosquitto as string, { maxQueuedMessages: 5 });
    dir = tempDir();
    const config = {
      gateway: { id: 'bl-gap-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'data'), logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { url: broker.url },
      http: { host: '127.0.0.1', port: 0 },
      devices: [{ id: 'n42-gap', adapter: 'n42-document', connection: { ingestPath: 'n42' } }],
    };
    gw = await startGatewayDaemon(writeConfig(dir.path, config));
  }, 60_000);
  afterAll(async () => {
    await gw?.daemon.stop();
    await broker?.close();
    dir?.remove();
  });

  const post = async (n: number) => {
    const r = await fetch(`${gw.rest}/v1/ingest/n42`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: doc(n) });
    expect(r.status).toBe(201);
  };

  it('detects the gap from the sequence and closes it with GET /v1/events?afterSequence', { timeout: 90_000 }, async () => {
    const clientId = `bl-gap-sub-${process.pid}`;
    const topic = 'borderlink/v1/BGSOF/+/n42-gap/#';
    // a persistent session, then the subscriber goes away while 40 documents arrive
    const first = await recordMqtt(broker.url, { clientId, clean: false, topic });
    await first.client.endAsync();
    for (let i = 0; i < 40; i += 1) await post(i);
    await waitFor(async () => {
      const m = await fetch(`${gw.rest}/metrics`).then((r) => r.text());
      return /borderlink_outbox_depth_events(\{[^}]*\})? 0\b/.test(m);
    }, 'the outbox to drain to the broker', 30_000);

    const back = await recordMqtt(broker.url, { clientId, clean: false, topic });
    try {
      // the broker kept 5 of the 40 it accepted; one more event arrives live and reveals the gap
      await new Promise((r) => setTimeout(r, 500));
      await post(1000);
      const stored = await waitFor(async () => {
        const all = await allEventsOf(gw.rest, 'n42-gap');
        return all.length >= 41 ? all : undefined;
      }, '41 stored events');
      await back.waitFor(() => back.events().some((e) => e.sequence === stored.at(-1)?.sequence), 'the live event at the subscriber');
      const received = back.events();
      expect(received.length).toBeLessThan(stored.length); // the broker did drop

      const tracker = new GapTracker();
      for (const e of received) tracker.observe(e);
      expect(tracker.gaps().length).toBeGreaterThan(0);
      const recovered = await closeGaps<DetectionEvent>(tracker, gw.rest);
      expect(tracker.gaps()).toEqual([]);
      const have = new Set([...received, ...recovered].map((e) => e.eventId));
      expect(stored.every((e) => have.has(e.eventId))).toBe(true);
      expect(tracker.contiguousUpTo('n42-gap')).toBe(stored.at(-1)?.sequence);
    } finally {
      await back.close();
    }
  });
});
