/**
 * Vendor HTTP for spectrometer sync stations through the real daemon:
 *  - polling with a since-id cursor: a restart mid-stream resumes without gaps or duplicates; a
 *    garbage page is quarantined and polling goes on;
 *  - signed webhooks: a good signature is ingested; a wrong one, a stale timestamp and a replay
 *    are refused with 401/409, and nothing else is disturbed.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook } from '../../src/http/webhook-signature.js';
import { startSyncStation, type SyncStation } from '../../simulators/sync-station/sync-station-simulator.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { allEventsOf, getJson, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

const SECRET = 'sync-station-test-secret-0123456789';

describe('spectrometer sync station over vendor HTTP', () => {
  let broker: TestBroker;
  let dir: TempDir;
  let station: SyncStation;
  beforeAll(async () => {
    broker = await startTestBroker();
    dir = tempDir();
    station = await startSyncStation({ scenario: 'idle', seed: 3 });
  });
  afterAll(async () => {
    await station?.close();
    await broker?.close();
    dir?.remove();
  });

  const config = () => writeConfig(dir.path, {
    gateway: { id: 'bl-sync-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'data'), logLevel: 'info', shutdownTimeoutMs: 4000 },
    mqtt: { url: broker.url },
    http: { host: '127.0.0.1', port: 0 },
    devices: [
      { id: 'sync-poll', adapter: 'spectro-sync-station', pollIntervalMs: 200, connection: { url: station.url, pageSize: 4 } },
      { id: 'sync-hook', adapter: 'spectro-sync-station', connection: { ingestPath: 'sync-hook', webhookSecret: SECRET, replayWindowS: 60 } },
    ],
  });

  it('polls with a cursor, resumes after a restart with no gap and no duplicate, and survives a garbage page', { timeout: 90_000 }, async () => {
    const file = config();
    for (let i = 0; i < 6; i += 1) await station.add((['narcotic', 'precursor', 'mixture', 'no-match', 'low-signal', 'explosive'] as const)[i % 6] ?? 'narcotic');
    const first = await startGatewayDaemon(file);
    try {
      await waitFor(async () => (await allEventsOf(first.rest, 'sync-poll')).filter((e) => e.eventType === 'result').length >= 6, '6 results', 20_000);
      for (let i = 0; i < 5; i += 1) await station.add('narcotic');
    } finally {
      // killed while results are waiting: the next run must pick them up
      first.daemon.child.kill('SIGKILL');
      await first.daemon.exited;
    }
    for (let i = 0; i < 4; i += 1) await station.add('precursor');
    const second = await startGatewayDaemon(file);
    try {
      const results = await waitFor(async () => {
        const r = (await allEventsOf(second.rest, 'sync-poll')).filter((e) => e.eventType === 'result');
        return r.length >= 15 ? r : undefined;
      }, '15 results after the restart', 30_000);
      const ids = results.map((e) => Number(e.raw?.nativeIds?.vendorResultId));
      expect(ids).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
      const withGateway = results.find((e) => e.findings?.some((f) => f.origin === 'gateway'));
      expect(withGateway).toBeDefined();
      // a garbage page: quarantined, the link degraded, and polling goes on
      station.fault('garbage');
      await waitFor(async () => (await getJson<{ items: Array<{ code: string }> }>(`${second.rest}/v1/quarantine?device=sync-poll`)).body.items.some((q) => q.code === 'BL_ERR_VENDOR_JSON'), 'the garbage page quarantined', 10_000);
      station.fault('none');
      await station.add('explosive');
      await waitFor(async () => (await allEventsOf(second.rest, 'sync-poll')).filter((e) => e.eventType === 'result').length === 16, 'the 16th result after the garbage', 10_000);
    } finally {
      expect((await second.daemon.stop()).code).toBe(0);
    }
  });

  it('takes signed webhooks and refuses a wrong signature, a stale timestamp and a replay', { timeout: 60_000 }, async () => {
    const gw = await startGatewayDaemon(config());
    try {
      const body = JSON.stringify({ id: 1, sampleId: 'HOOK-1', timestamp: new Date().toISOString(), technique: 'raman', verdict: 'CLEAR', hits: [] });
      const now = Math.floor(Date.now() / 1000);
      const post = (sig: string | undefined, ts: number, b = body) => fetch(`${gw.rest}/v1/ingest/sync-hook`, {
        method: 'POST', body: b, headers: { 'content-type': 'application/json', 'x-borderlink-timestamp': String(ts), ...(sig ? { 'x-borderlink-signature': sig } : {}) },
      });
      const wrong = await post(signWebhook('another-secret-0123456789', now, body), now);
      expect(wrong.status).toBe(401);
      expect(((await wrong.json()) as { code: string }).code).toBe('BL_ERR_WEBHOOK_SIGNATURE');
      expect((await post(undefined, now)).status).toBe(401);
      const stale = await post(signWebhook(SECRET, now - 3600, body), now - 3600);
      expect(((await stale.json()) as { code: string }).code).toBe('BL_ERR_WEBHOOK_REPLAY');
      const good = await post(signWebhook(SECRET, now, body), now);
      expect(good.status).toBe(201);
      const replay = await post(signWebhook(SECRET, now, body), now);
      expect(replay.status).toBe(409);
      const events = await allEventsOf(gw.rest, 'sync-hook');
      expect(events.filter((e) => e.eventType === 'result').map((e) => e.subject?.inspectionId)).toEqual(['HOOK-1']);
      const q = await getJson<{ items: Array<{ code: string }> }>(`${gw.rest}/v1/quarantine?device=sync-hook`);
      expect(q.body.items.map((i) => i.code).sort()).toEqual(['BL_ERR_WEBHOOK_REPLAY', 'BL_ERR_WEBHOOK_REPLAY', 'BL_ERR_WEBHOOK_SIGNATURE', 'BL_ERR_WEBHOOK_SIGNATURE']);
    } finally {
      expect((await gw.daemon.stop()).code).toBe(0);
    }
  });
});
