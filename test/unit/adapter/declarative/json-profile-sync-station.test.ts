/**
 * The sync-station JSON profile (test/fixtures/json-profile/spectro-sync-station.profile.yaml)
 * against the hand-written spectro-sync-station adapter and through the real HTTP machinery:
 *
 *  - on every golden case of adapters/spectro-sync-station it fails with the same code, or makes
 *    the same results (time, inspection, outcome, source, the station's hits) and the very same
 *    gateway identification;
 *  - polled through the real http-poll connector, pipeline and SQLite outbox from the sync-station
 *    simulator, it resumes after a restart on the same outbox with contiguous ids and no
 *    duplicate, and a garbage page is quarantined while polling goes on;
 *  - pushed by the simulator's signed webhook to /v1/ingest/{path}, it makes the same results, and
 *    a replayed delivery is refused.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileJsonProfileTyped } from '../../../../src/adapter/declarative/compile-profile.js';
import { loadProfile } from '../../../../src/adapter/declarative/load-profile.js';
import { createProfileShapeCheck } from '../../../../src/adapter/declarative/profile-shape.js';
import { loadAdapters } from '../../../../src/adapter/registry.js';
import type { AnyAdapter, EventDraft, Frame } from '../../../../src/adapter/types.js';
import { createArtifactStore } from '../../../../src/artifacts/artifact-store.js';
import { systemClock } from '../../../../src/clock.js';
import type { DeviceConfig } from '../../../../src/config/types.js';
import { createConnectorFactory } from '../../../../src/connectors/connector-factory.js';
import type { Sink } from '../../../../src/connectors/types.js';
import { createHttpServer } from '../../../../src/http/server.js';
import { createLiveEvents } from '../../../../src/http/live-events.js';
import { signWebhook } from '../../../../src/http/webhook-signature.js';
import { createUuidV7 } from '../../../../src/ids.js';
import { silentLogger } from '../../../../src/log.js';
import { createMetrics } from '../../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../../src/outbox/sqlite-outbox.js';
import type { OutboxRow } from '../../../../src/outbox/types.js';
import { packageRoot } from '../../../../src/package-root.js';
import { createPipeline } from '../../../../src/pipeline/pipeline.js';
import type { DetectionEvent, Finding } from '../../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../../src/schema/validator.js';
import { startSyncStation, type SyncStation } from '../../../../simulators/sync-station/sync-station-simulator.js';
import { runGoldenCase, seedIdentify, type GoldenFrameFixture } from '../../../helpers/golden-runner.js';
import { waitFor } from '../../../helpers/wait-for.js';

const PROFILE = path.join(packageRoot(), 'test', 'fixtures', 'json-profile', 'spectro-sync-station.profile.yaml');
const CASES = path.join(packageRoot(), 'adapters', 'spectro-sync-station', 'testcases');

let profile: AnyAdapter;
beforeAll(async () => {
  const check = createProfileShapeCheck();
  profile = compileJsonProfileTyped(await loadProfile(PROFILE, check), check) as unknown as AnyAdapter;
});

/** What the profile and the code adapter must agree on. */
function essence(d: EventDraft): Record<string, unknown> {
  const device = (d.findings ?? []).filter((f) => f.origin !== 'gateway').map((f: Finding) => ({ name: f.name, codes: f.codes, score: f.score, mixtureFraction: f.mixtureFraction }));
  return {
    eventType: d.eventType, observedAt: d.observedAt, subject: d.subject,
    outcome: { state: d.outcome?.state, categories: d.outcome?.categories?.length ? d.outcome.categories : undefined, decisionBy: d.outcome?.decisionBy },
    source: d.source, raw: d.raw, device: JSON.parse(JSON.stringify(device)) as unknown,
    gateway: (d.findings ?? []).filter((f) => f.origin === 'gateway'),
  };
}

const cases = existsSync(CASES) ? readdirSync(CASES).sort() : [];

describe('the sync-station JSON profile against the hand-written adapter', () => {
  let code: AnyAdapter | undefined;
  beforeAll(async () => {
    code = (await loadAdapters(path.join(packageRoot(), 'adapters'))).get('spectro-sync-station');
  });

  it.skipIf(cases.length === 0).each(cases)('golden case %s: same outcome, same failure code', (name) => {
    const dir = path.join(CASES, name);
    const frames = JSON.parse(readFileSync(path.join(dir, 'input.json'), 'utf8')) as GoldenFrameFixture[];
    const mine = runGoldenCase(profile, frames, {}, dir);
    const errorFile = path.join(dir, 'expected-error.json');
    if (existsSync(errorFile)) {
      const want = JSON.parse(readFileSync(errorFile, 'utf8')) as { code: string; frame?: number };
      expect(mine.failure?.code).toBe(want.code);
      expect(mine.failure?.frame).toBe(want.frame ?? 0);
      return;
    }
    expect(mine.failure).toBeUndefined();
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as EventDraft[];
    expect(mine.drafts.map(essence)).toEqual(expected.map(essence));
    if (code) expect(mine.drafts.length).toBe(runGoldenCase(code, frames, {}, dir).drafts.length);
    // and what only the profile adds: the inline spectrum and the raw page it came from
    for (const d of mine.drafts) {
      expect(d.spectrum?.npoints).toBeLessThanOrEqual(256);
      expect(d.artifacts?.[0]?.kind).toBe('raw');
    }
  });
});

interface Rig {
  outbox: SqliteOutbox;
  rows: OutboxRow[];
  sink: Sink<Frame>;
  stop(): Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
});

/** The daemon's ingest side for one device, on an outbox file that outlives it. */
function rig(dir: string, adapter: AnyAdapter, connection: DeviceConfig['connection'], extra: Partial<DeviceConfig> = {}): Rig & { built: ReturnType<ReturnType<typeof createConnectorFactory>['build']> } {
  const logger = silentLogger();
  const outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger });
  const rows: OutboxRow[] = [];
  const pipeline = createPipeline({
    gatewayId: 'json-gw', outbox, validator: createEventValidator(), newEventId: createUuidV7(systemClock), clock: systemClock, logger,
    metrics: createMetrics({ defaultMetrics: false }), onDurable: (r) => rows.push(...r), identify: seedIdentify(),
    artifacts: createArtifactStore({ dir: path.join(dir, 'artifacts'), maxBytes: 64 * 1024 * 1024, logger, clock: systemClock }),
  });
  const sink = pipeline.forDevice({ id: 'sync-1', siteId: 'BGSOF' }, adapter, {});
  const device: DeviceConfig = { id: 'sync-1', adapter: adapter.id, enabled: true, options: {}, connection, ...extra };
  const built = createConnectorFactory({ logger, clock: systemClock }).build(device, adapter, sink, undefined);
  return {
    outbox, rows, sink, built,
    async stop() {
      await built.connector?.stop();
      await pipeline.drain();
      await outbox.close();
    },
  };
}

const results = (rows: readonly OutboxRow[]): DetectionEvent[] => rows.map((r) => r.event).filter((e) => e.eventType === 'result');
const linkStates = (rows: readonly OutboxRow[]): string[] => rows.map((r) => r.event).filter((e) => e.raw?.format === 'link-status').map((e) => e.status?.state ?? '');

describe('the sync-station JSON profile over HTTP', () => {
  it('polls through the real connector, resumes after a restart with no gap or duplicate, and survives a garbage page', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-json-poll-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const st: SyncStation = await startSyncStation({ scenario: 'idle', seed: 4 });
    cleanups.push(() => st.close());
    const scenarios = ['narcotic', 'no-match', 'precursor', 'low-signal', 'mixture'] as const;
    for (const sc of scenarios) await st.add(sc);

    // a small page (2) so the first connector needs several polls: stopped after the first results
    const first = rig(dir, profile, { url: st.url, pageSize: 2, unitId: 1 }, { pollIntervalMs: 50 });
    await first.built.connector?.start();
    await waitFor(() => results(first.rows).length >= 1, 'the first result');
    await first.stop();
    const before = results(first.rows).length;
    for (const sc of scenarios) await st.add(sc);

    const second = rig(dir, profile, { url: st.url, pageSize: 2, unitId: 1 }, { pollIntervalMs: 50 });
    cleanups.push(() => second.stop());
    await second.built.connector?.start();
    await waitFor(() => before + results(second.rows).length >= 10, 'all ten results', 40_000);
    const all = [...results(first.rows), ...results(second.rows)];
    expect(all.map((e) => e.subject?.inspectionId)).toEqual(Array.from({ length: 10 }, (_, i) => `SYNC-${String(i + 1).padStart(5, '0')}`));
    expect(new Set(all.map((e) => e.eventId)).size).toBe(10);
    expect(all[0]).toMatchObject({ outcome: { state: 'alarm', categories: ['narcotic'] }, source: { adapter: { id: 'spectro-sync-station' }, device: { class: 'spectrometer' } } });
    expect(all[0]?.findings?.some((f) => f.origin === 'gateway' && f.identified === true)).toBe(true);
    expect(second.outbox.loadState('sync-1')).toMatchObject({ cursor: 10 });

    // garbage: quarantined with its code, the cursor stays, polling goes on
    st.fault('garbage');
    await waitFor(() => second.outbox.quarantine({ limit: 10 }).items.find((q) => q.code === 'BL_ERR_VENDOR_JSON'), 'the garbage page in quarantine');
    expect(second.outbox.loadState('sync-1')).toMatchObject({ cursor: 10 });
    await waitFor(() => linkStates(second.rows).includes('degraded'), 'degraded');
    // the same garbage polled again is the same document (sha256): quarantined once, not per poll
    const polledAt = Date.now();
    await waitFor(() => Date.now() - polledAt > 400, 'a few more polls');
    expect(second.outbox.quarantine({ limit: 10 }).items.filter((q) => q.code === 'BL_ERR_VENDOR_JSON').length).toBe(1);
    st.fault('none');
    await st.add('explosive');
    const last = await waitFor(() => results(second.rows).find((e) => e.subject?.inspectionId === 'SYNC-00011'), 'the result after the garbage');
    expect(last.outcome?.state).toBe('alarm');
    await waitFor(() => linkStates(second.rows).at(-1) === 'online', 'online again');
  });

  it('takes the simulator\'s signed webhook on an ingest path and refuses a replay', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-json-hook-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const secret = 'a-webhook-secret-of-some-length';
    const r = rig(dir, profile, { ingestPath: 'sync-hook', webhookSecret: secret, replayWindowS: 300, unitId: 1 });
    cleanups.push(() => r.stop());
    const ingest = r.built.ingest;
    if (!ingest) throw new Error('no ingest target');
    const metrics = createMetrics({ defaultMetrics: false });
    const http = await createHttpServer({
      store: r.outbox, live: createLiveEvents(), metrics: metrics.registry, readiness: () => ({ ready: true, checks: {} }),
      auth: { apiKeys: [] }, artifactsDir: path.join(dir, 'artifacts'), logger: silentLogger(), version: 'test',
      ingest: new Map([[ingest.path, ingest.target]]),
    });
    cleanups.push(() => http.close());
    await http.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(http.server.address() as { port: number }).port}/v1/ingest/sync-hook`;
    const st = await startSyncStation({ scenario: 'idle', seed: 8, webhook: { url, secret } });
    cleanups.push(() => st.close());
    await st.add('narcotic');
    await st.add('no-match');
    const got = await waitFor(() => (results(r.rows).length >= 2 ? results(r.rows) : undefined), 'two pushed results');
    expect(got.map((e) => e.subject?.inspectionId)).toEqual(['SYNC-00001', 'SYNC-00002']);
    expect(got[0]?.artifacts?.some((a) => a.kind === 'raw')).toBe(true);
    // pushed results never move the polling cursor
    expect(r.outbox.loadState('sync-1')).not.toHaveProperty('cursor');

    // the same delivery again (same timestamp and signature) is a replay; re-signed, the result's id
    // is among the recent ones: accepted, and no second event
    const body = JSON.stringify({ id: 3, sampleId: 'SYNC-00003', timestamp: new Date().toISOString(), technique: 'raman', verdict: 'CLEAR', hits: [] });
    const ts = Math.floor(Date.now() / 1000);
    const post = (t: number) => fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-borderlink-timestamp': String(t), 'x-borderlink-signature': signWebhook(secret, t, body) } });
    expect((await post(ts)).status).toBe(201);
    expect((await post(ts)).status).toBe(409);
    const again = await post(ts + 1);
    expect([again.status, await again.json()]).toEqual([201, { eventIds: [] }]);
    expect(results(r.rows).length).toBe(3);
  });
});
