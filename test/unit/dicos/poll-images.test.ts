/** Polling a cargo scanner: the http-poll connector, the image fetcher, the real adapter, pipeline and outbox. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import cargoScanner from '../../../adapters/cargo-scanner-http/adapter.js';
import type { AnyAdapter, DocumentFrame } from '../../../src/adapter/types.js';
import { createArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { systemClock } from '../../../src/clock.js';
import { createHttpPollConnector } from '../../../src/connectors/http-poll.js';
import type { Connector, Sink } from '../../../src/connectors/types.js';
import { withScannerImages } from '../../../src/dicos/poll-images.js';
import { createUuidV7 } from '../../../src/ids.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import { createPipeline } from '../../../src/pipeline/pipeline.js';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { startCargoScannerSimulator, type CargoScannerSimulator } from '../../../simulators/cargo-scanner/cargo-scanner-simulator.js';
import { waitFor } from '../../helpers/wait-for.js';

const logger = silentLogger();

describe('polling a cargo scanner with its images', () => {
  let dir = '';
  let outbox: SqliteOutbox | undefined;
  let connector: Connector | undefined;
  let sim: CargoScannerSimulator | undefined;
  afterEach(async () => {
    await connector?.stop();
    await sim?.close();
    await outbox?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function start(fetchImpl?: typeof fetch): Promise<{ events: () => DetectionEvent[]; artifactsDir: string; sink: Sink<DocumentFrame> }> {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-cargo-poll-'));
    const artifactsDir = path.join(dir, 'artifacts');
    outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger });
    const ob = outbox;
    const artifacts = createArtifactStore({ dir: artifactsDir, maxBytes: 1 << 20, logger });
    const events: DetectionEvent[] = [];
    const pipeline = createPipeline({
      gatewayId: 'gw', outbox: ob, validator: createEventValidator(), newEventId: createUuidV7(systemClock), clock: systemClock,
      logger, metrics: createMetrics({ defaultMetrics: false }), onDurable: (rows) => events.push(...rows.map((r) => r.event)), artifacts,
    });
    const inner = pipeline.forDevice({ id: 'cargo-1', siteId: 'BGSOF' }, cargoScanner as unknown as AnyAdapter, {}) as Sink<DocumentFrame>;
    const url = `${sim?.url as string}/scans`;
    const sink = withScannerImages({ sink: inner, artifacts, pollUrl: url, maxImageBytes: 1 << 20, timeoutMs: 2000, logger, ...(fetchImpl ? { fetch: fetchImpl } : {}) });
    connector = createHttpPollConnector({
      deviceId: 'cargo-1', url, pollIntervalMs: 50, timeoutMs: 2000, pageSize: 20, cursorParam: 'since', limitParam: 'limit', cursorKey: 'cursor',
      maxBytes: 4 << 20, sink, logger, clock: systemClock,
    });
    await connector.start();
    return { events: () => events.filter((e) => e.raw?.format !== 'link-status'), artifactsDir, sink };
  }

  it('fetches and stores the images of new reports, and events reference the gateway copies', async () => {
    sim = await startCargoScannerSimulator({ mode: 'poll', port: 0, scenario: 'demo', seed: 11 });
    await sim.produce('alarm');
    await sim.produce('operator-override');
    const { events, artifactsDir, sink } = await start();
    const got = await waitFor(() => (events().length >= 3 ? events() : undefined), 'three events');
    expect(got.map((e) => [e.eventType, e.outcome?.state])).toEqual([['result', 'alarm'], ['result', 'alarm'], ['operator-decision', 'clear']]);
    const alarm = got[0] as DetectionEvent;
    const image = alarm.artifacts?.find((a) => a.kind === 'image');
    const sha = sim.reports()[0]?.images[0]?.sha256 as string;
    expect(image).toMatchObject({ sha256: sha, uri: `/v1/artifacts/${sha}`, mediaType: 'image/png' });
    expect(alarm.findings?.map((f) => f.region?.artifactRef)).toEqual([sha, sha]);
    expect(fs.existsSync(path.join(artifactsDir, sha.slice(0, 2), sha))).toBe(true);
    expect(alarm.quality).toBe('good');
    expect((sink.committedState?.() as { cursor: number }).cursor).toBe(3);

    await sim.produce('clear');
    await waitFor(() => events().length >= 4, 'the fourth event');
    await new Promise((r) => setTimeout(r, 300));
    expect(events()).toHaveLength(4);
  });

  it('polls the same page again, emitting nothing, while an image cannot be fetched', async () => {
    sim = await startCargoScannerSimulator({ mode: 'poll', port: 0, scenario: 'alarm', seed: 12 });
    await sim.produce();
    let down = true;
    let attempts = 0;
    const flaky: typeof fetch = async (input, init) => {
      attempts += 1;
      if (down) throw new Error('connect ECONNREFUSED');
      return fetch(input, init);
    };
    const { events } = await start(flaky);
    await waitFor(() => attempts >= 2, 'two attempts');
    expect(events()).toEqual([]);
    down = false;
    const [e] = await waitFor(() => (events().length > 0 ? events() : undefined), 'the result once the image can be fetched');
    expect(e?.artifacts?.some((a) => a.kind === 'image' && a.uri.startsWith('/v1/artifacts/'))).toBe(true);
  });
});
