/**
 * The folder connector over the real pipeline, artifact store and SQLite outbox: exactly-once by
 * document key across a restart and across a crash between the commit and the move.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DocumentFrame } from '../../../src/adapter/types.js';
import { createArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { systemClock } from '../../../src/clock.js';
import { createFolderConnector } from '../../../src/connectors/folder.js';
import type { Connector, Sink } from '../../../src/connectors/types.js';
import { createUuidV7 } from '../../../src/ids.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import { createPipeline, type DevicePipeline } from '../../../src/pipeline/pipeline.js';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { documentTestAdapter, documentTestPlan } from './document-test-adapter.js';

const waitFor = <T>(fn: () => T): Promise<T> => vi.waitFor(fn, { timeout: 20_000, interval: 10 });
const logger = silentLogger();
const validator = createEventValidator();

interface Gateway {
  outbox: SqliteOutbox;
  sink: DevicePipeline;
  stop(connector?: Connector): Promise<void>;
}

describe('folder connector over the pipeline and the SQLite outbox', () => {
  let root = '';
  let drop = '';
  let staging = '';

  /** the parts of a gateway a folder device needs, opened on the same data dir each time */
  const open = (): Gateway => {
    const outbox = openSqliteOutbox({ path: path.join(root, 'data', 'outbox.sqlite'), clock: systemClock, logger });
    const pipeline = createPipeline({
      gatewayId: 'gw-test',
      outbox,
      validator,
      newEventId: createUuidV7(systemClock),
      clock: systemClock,
      logger,
      metrics: createMetrics({ defaultMetrics: false }),
      onDurable: () => undefined,
      artifacts: createArtifactStore({ dir: path.join(root, 'data', 'artifacts'), maxBytes: documentTestPlan.maxBytes, logger }),
    });
    const sink = pipeline.forDevice({ id: 'drop-1', siteId: 'BGSOF' }, documentTestAdapter, {});
    return {
      outbox,
      sink,
      async stop(connector) {
        await connector?.stop();
        await pipeline.drain();
        await outbox.close();
      },
    };
  };
  const connect = (sink: Sink<DocumentFrame>): Connector => createFolderConnector({
    deviceId: 'drop-1', dir: drop, plan: documentTestPlan, sink, logger, clock: systemClock, scanIntervalMs: 20, stableMs: 0,
  });
  const list = (d: string): string[] => (fs.existsSync(path.join(drop, d)) ? fs.readdirSync(path.join(drop, d)).sort() : []);
  const put = (name: string, text: string): void => {
    fs.writeFileSync(path.join(staging, name), text);
    fs.renameSync(path.join(staging, name), path.join(drop, 'incoming', name));
  };
  const results = (outbox: SqliteOutbox): DetectionEvent[] =>
    outbox.query({ deviceId: 'drop-1', eventType: 'result', limit: 10_000 }).events;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-folder-pipeline-'));
    drop = path.join(root, 'drop');
    staging = path.join(root, 'staging');
    fs.mkdirSync(staging);
    fs.mkdirSync(path.join(drop, 'incoming'), { recursive: true });
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('publishes each valid document once across a restart in the middle; invalid ones land in failed/ with their code', async () => {
    const files = Array.from({ length: 120 }, (_, i) => {
      const name = `doc-${String(i).padStart(3, '0')}.xml`;
      if (i % 7 === 3) return { name, text: `garbage ${i}`, valid: false };
      // every 11th repeats an earlier document: the same bytes are one document
      return { name, text: `<doc id="${i % 11 === 5 ? 'again' : i}"/>`, valid: true };
    });
    for (const f of files) put(f.name, f.text);

    let g = open();
    let pushed = 0;
    let halfway: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      halfway = resolve;
    });
    const counting: Sink<DocumentFrame> = {
      push: async (frame) => {
        if (++pushed === 50) halfway();
        return g.sink.push(frame);
      },
      status: (s) => g.sink.status(s),
      reject: (r) => g.sink.reject(r),
    };
    const first = connect(counting);
    await first.start();
    await reached;
    await g.stop(first);
    expect(list('incoming').length).toBeGreaterThan(0);

    g = open();
    const second = connect(g.sink);
    await second.start();
    await waitFor(() => expect(list('incoming')).toEqual([]));
    await second.stop();
    await g.sink.drain();

    const valid = files.filter((f) => f.valid);
    const distinct = new Set(valid.map((f) => f.text));
    const events = results(g.outbox);
    expect(events).toHaveLength(distinct.size);
    expect(new Set(events.map((e) => e.eventId)).size).toBe(distinct.size);
    expect(new Set(events.map((e) => e.artifacts?.[0]?.sha256)).size).toBe(distinct.size);
    expect(list('processed')).toEqual(valid.map((f) => f.name).sort());
    const invalid = files.filter((f) => !f.valid).map((f) => f.name);
    expect(list('failed')).toEqual(invalid.flatMap((n) => [n, `${n}.error.json`]).sort());
    for (const n of invalid) {
      expect(JSON.parse(fs.readFileSync(path.join(drop, 'failed', `${n}.error.json`), 'utf8'))).toMatchObject({ code: 'BL_ERR_N42_NOT_XML' });
    }
    // each event's artifact is on disk, where GET /v1/artifacts serves it
    for (const e of events) {
      const a = e.artifacts![0]!;
      expect(fs.existsSync(path.join(root, 'data', 'artifacts', a.sha256.slice(0, 2), a.sha256))).toBe(true);
      expect(a.uri).toBe(`/v1/artifacts/${a.sha256}`);
    }
    await g.stop();
  });

  it('makes a document committed before a crash, but never moved, a duplicate at the next start', async () => {
    let g = open();
    // the previous run committed it, then died before the rename
    const outcome = await g.sink.push({ transport: 'folder', receivedAt: Date.now(), name: 'a.xml', data: Buffer.from('<doc id="a"/>') });
    expect(outcome.status).toBe('accepted');
    await g.stop();
    put('a.xml', '<doc id="a"/>');
    put('b.xml', '<doc id="b"/>');

    g = open();
    const c = connect(g.sink);
    await c.start();
    await waitFor(() => expect(list('processed')).toEqual(['a.xml', 'b.xml']));
    await c.stop();
    await g.sink.drain();
    expect(results(g.outbox).map((e) => e.raw?.nativeIds?.['doc']).sort()).toEqual(['a', 'b']);
    await g.stop();
  });
});
