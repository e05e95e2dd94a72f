/**
 * The outbox disk cap end to end, with a tiny cap (1 MiB) and the broker away: the gateway
 * announces warn then full in /metrics, HTTP ingest answers 503 + Retry-After with
 * BL_ERR_OUTBOX_FULL past the cap; once the broker returns, every event it acknowledged (201)
 * reaches a persistent subscriber, published events are pruned to make room, the retained
 * gateway status says so (outbox.state), and ingest takes documents again.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ROOT } from '../helpers/daemon.js';
import { recordMqtt, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

const DOC = readFileSync(path.join(ROOT, 'adapters/n42-document/testcases/background-only-2012/background-only-2012.n42'), 'utf8');
/** A distinct document per n (the gateway de-duplicates identical documents by sha256). */
const doc = (n: number): string => DOC.replace('<?xml version="1.0" encoding="UTF-8"?>', `<?xml version="1.0" encoding="UTF-8"?>\n<!-- cap ${n} -->`);
const metric = (text: string, name: string): number | undefined => {
  const m = new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('outbox disk cap', () => {
  let broker: TestBroker;
  let dir: TempDir;
  beforeAll(async () => {
    broker = await startTestBroker({ persistence: true });
    dir = tempDir();
  });
  afterAll(async () => {
    await broker?.close();
    dir?.remove();
  });

  it('holds HTTP ingest back at the cap, loses nothing, and recovers once published events can be pruned', { timeout: 120_000 }, async () => {
    const sub = await recordMqtt(broker.url, { clientId: 'bl-cap-subscriber', clean: false, topic: 'borderlink/v1/BGSOF/#' });
    const config = {
      gateway: { id: 'bl-cap-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'data'), logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { url: broker.url },
      http: { host: '127.0.0.1', port: 0 },
      outbox: { maxBytes: 1_048_576, warnAtFraction: 0.5, quarantineMaxBytes: 65_536 },
      devices: [{ id: 'n42-cap', adapter: 'n42-document', connection: { ingestPath: 'n42' } }],
    };
    const { daemon, rest } = await startGatewayDaemon(writeConfig(dir.path, config));
    const scrape = async (): Promise<string> => (await fetch(`${rest}/metrics`)).text();
    try {
      await sub.waitFor(() => sub.messages.some((m) => m.topic.includes('/gateway/')), 'the gateway online status');
      await broker.stop();

      const accepted: string[] = [];
      let refused: Response | undefined;
      let sawWarn = false;
      for (let n = 0; n < 3000 && refused === undefined; n++) {
        const r = await fetch(`${rest}/v1/ingest/n42`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: doc(n) });
        if (r.status === 201) accepted.push(...((await r.json()) as { eventIds: string[] }).eventIds);
        else refused = r;
        if (!sawWarn && n % 10 === 0) sawWarn = metric(await scrape(), 'borderlink_outbox_state{state="warn"}') === 1;
      }
      expect(sawWarn).toBe(true);
      expect(refused?.status).toBe(503);
      expect(refused?.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await refused?.json()) as { code: string }).code).toBe('BL_ERR_OUTBOX_FULL');
      const full = await scrape();
      expect(metric(full, 'borderlink_outbox_state{state="full"}')).toBe(1);
      expect(metric(full, 'borderlink_outbox_cap_bytes')).toBe(1_048_576);
      expect(metric(full, 'borderlink_outbox_bytes')).toBeGreaterThanOrEqual(1_048_576 * 0.98);
      expect(metric(full, 'borderlink_outbox_refused_total')).toBeGreaterThanOrEqual(1);
      expect(accepted.length).toBeGreaterThan(0);

      await broker.start();
      // every acknowledged event arrives, and room is made by pruning them once published
      await sub.waitFor(() => {
        const got = new Set(sub.events().map((e) => e.eventId));
        return accepted.every((id) => got.has(id));
      }, 'every acknowledged event at the subscriber', 60_000);
      await waitFor(async () => metric(await scrape(), 'borderlink_outbox_state{state="ok"}') === 1, 'the outbox back to ok', 30_000);
      // the retained gateway status carries the outbox state: full when it reconnected, then ok
      const outboxStates = (): Array<string | undefined> => sub.messages.filter((m) => m.topic === 'borderlink/v1/BGSOF/gateway/bl-cap-gw/status')
        .map((m) => (JSON.parse(m.payload.toString()) as { outbox?: { state: string } }).outbox?.state);
      await sub.waitFor(() => outboxStates().includes('ok') && outboxStates().includes('full'), 'gateway statuses with outbox full, then ok');
      expect(outboxStates().lastIndexOf('ok')).toBeGreaterThan(outboxStates().indexOf('full'));
      const again = await fetch(`${rest}/v1/ingest/n42`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: doc(99_999) });
      expect(again.status).toBe(201);
    } finally {
      await sub.close();
      await daemon.stop();
    }
  });
});
