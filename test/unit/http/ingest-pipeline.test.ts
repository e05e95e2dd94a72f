/** POST /v1/ingest over the real pipeline, artifact store and SQLite outbox. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { systemClock } from '../../../src/clock.js';
import { createLiveEvents } from '../../../src/http/live-events.js';
import { createHttpServer } from '../../../src/http/server.js';
import { createUuidV7 } from '../../../src/ids.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import { createPipeline } from '../../../src/pipeline/pipeline.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { documentTestAdapter, documentTestPlan } from '../connectors/document-test-adapter.js';

describe('POST /v1/ingest over the pipeline and the SQLite outbox', () => {
  let dir = '';
  let outbox: SqliteOutbox;
  let app: FastifyInstance;
  const logger = silentLogger();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-ingest-pipeline-'));
    outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger });
    const metrics = createMetrics({ defaultMetrics: false });
    const artifactsDir = path.join(dir, 'artifacts');
    const pipeline = createPipeline({
      gatewayId: 'gw-test', outbox, validator: createEventValidator(), newEventId: createUuidV7(systemClock), clock: systemClock,
      logger, metrics, onDurable: () => undefined,
      artifacts: createArtifactStore({ dir: artifactsDir, maxBytes: documentTestPlan.maxBytes, logger }),
    });
    const sink = pipeline.forDevice({ id: 'n42-1', siteId: 'BGSOF' }, documentTestAdapter, {});
    app = await createHttpServer({
      store: outbox, live: createLiveEvents(), metrics: metrics.registry, readiness: () => ({ ready: true, checks: {} }),
      auth: { apiKeys: [] }, artifactsDir, logger, version: '0.1.0-test',
      ingest: new Map([['n42', { deviceId: 'n42-1', plan: documentTestPlan, push: (f) => sink.push(f) }]]),
    });
  });
  afterAll(async () => {
    await app.close();
    await outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = (payload: string) => app.inject({ method: 'POST', url: '/v1/ingest/n42', payload, headers: { 'content-type': 'text/xml' } });

  it('commits a document once: 201 with its events, 200 duplicate when posted again, the raw document served as an artifact', async () => {
    const body = '<doc id="h-1"/>';
    const first = await post(body);
    expect(first.statusCode).toBe(201);
    const { eventIds } = first.json<{ eventIds: string[] }>();
    expect(eventIds).toHaveLength(1);
    const event = outbox.get(eventIds[0]!);
    expect(event).toMatchObject({ eventType: 'result', source: { device: { id: 'n42-1' } } });
    const sha = createHash('sha256').update(body).digest('hex');
    expect(event?.artifacts?.[0]).toMatchObject({ sha256: sha, mediaType: 'text/xml', uri: `/v1/artifacts/${sha}` });

    const again = await post(body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ duplicate: true });
    expect(outbox.query({ deviceId: 'n42-1', eventType: 'result', limit: 10 }).events).toHaveLength(1);

    const artifact = await app.inject({ method: 'GET', url: `/v1/artifacts/${sha}` });
    expect(artifact.statusCode).toBe(200);
    expect(artifact.headers['content-type']).toBe('text/xml');
    expect(artifact.body).toBe(body);
  });

  it('answers 422 with the adapter code for a document it cannot use, and quarantines it', async () => {
    const res = await post('not a document at all');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'BL_ERR_N42_NOT_XML', detail: 'not a <doc> document' });
    expect(outbox.quarantine({ deviceId: 'n42-1', limit: 10 }).items.map((q) => q.code)).toEqual(['BL_ERR_N42_NOT_XML']);
  });
});
