import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DocumentFrame, DocumentPlan } from '../../../src/adapter/types.js';
import type { PushOutcome } from '../../../src/connectors/types.js';
import { createLiveEvents } from '../../../src/http/live-events.js';
import type { IngestTarget } from '../../../src/http/routes/ingest.js';
import { createHttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/log.js';
import { createMemoryStore } from '../../helpers/memory-store.js';

const plan: DocumentPlan = {
  kind: 'document',
  mediaTypes: ['application/xml', 'text/xml', 'application/n42+xml'],
  extensions: ['.n42', '.xml'],
  maxBytes: 1_000,
  artifactMediaType: 'application/xml',
};
const N42 = '<?xml version="1.0"?><RadInstrumentData xmlns="http://physics.nist.gov/N42/2011/N42"/>';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface FakeTarget extends IngestTarget {
  frames: DocumentFrame[];
  next: (frame: DocumentFrame) => PushOutcome | Promise<PushOutcome>;
}

function fakeTarget(deviceId: string): FakeTarget {
  const t: FakeTarget = {
    deviceId,
    plan,
    frames: [],
    next: () => ({ status: 'accepted', eventIds: ['0197a000-0000-7000-8000-000000000001', '0197a000-0000-7000-8000-000000000002'] }),
    push(frame) {
      t.frames.push(frame);
      return Promise.resolve(t.next(frame));
    },
  };
  return t;
}

async function server(ingest: ReadonlyMap<string, IngestTarget>, apiKeys: string[] = []): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-ingest-'));
  let app: FastifyInstance;
  try {
    app = await createHttpServer({
    store: createMemoryStore([]),
    live: createLiveEvents(),
    metrics: new Registry(),
    readiness: () => ({ ready: true, checks: {} }),
    auth: { apiKeys },
    artifactsDir,
    logger: silentLogger(),
    version: '0.1.0-test',
    ingest,
    });
  } catch (e) {
    // a refused configuration must not leave its temp dir behind
    fs.rmSync(artifactsDir, { recursive: true, force: true });
    throw e;
  }
  return {
    app,
    async close() {
      await app.close();
      fs.rmSync(artifactsDir, { recursive: true, force: true });
    },
  };
}

describe('POST /v1/ingest/:path', () => {
  const n42 = fakeTarget('n42-handheld');
  const other = fakeTarget('n42-portal');
  let app: FastifyInstance;
  let close: () => Promise<void>;
  const post = (url: string, payload: string | Buffer | Readable, headers: Record<string, string> = { 'content-type': 'application/xml' }) =>
    app.inject({ method: 'POST', url, payload, headers });

  beforeAll(async () => {
    ({ app, close } = await server(new Map([['n42', n42], ['portal-2', other]])));
  });
  afterAll(async () => {
    await close();
  });
  afterEach(() => {
    for (const t of [n42, other]) {
      t.frames.length = 0;
      t.next = fakeTarget('x').next;
    }
  });

  it('answers 201 with the event ids, handing the raw body over as an http-push frame', async () => {
    const res = await post('/v1/ingest/n42', N42);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ eventIds: ['0197a000-0000-7000-8000-000000000001', '0197a000-0000-7000-8000-000000000002'] });
    expect(n42.frames).toHaveLength(1);
    const frame = n42.frames[0]!;
    expect(frame).toMatchObject({ transport: 'http-push', mediaType: 'application/xml' });
    expect(frame.name).toMatch(UUID);
    expect(typeof frame.receivedAt).toBe('number');
    expect(Buffer.isBuffer(frame.data)).toBe(true);
    expect(frame.data.toString('utf8')).toBe(N42);
    expect(other.frames).toEqual([]);
  });

  it('takes each accepted media type, keeps bytes exactly, and leaves octet-stream to the adapter', async () => {
    const binary = Buffer.from([0xef, 0xbb, 0xbf, 0x3c, 0x00, 0xff, 0xfe, 0x0d, 0x0a]);
    for (const [contentType, expected] of [
      ['text/xml; charset=utf-8', 'text/xml'],
      ['Application/N42+XML', 'application/n42+xml'],
      ['application/octet-stream', undefined],
    ] as const) {
      const res = await post('/v1/ingest/portal-2', binary, { 'content-type': contentType });
      expect(res.statusCode, contentType).toBe(201);
      expect(other.frames.at(-1)?.mediaType, contentType).toBe(expected);
      expect(other.frames.at(-1)?.data).toEqual(binary);
    }
    expect(new Set(other.frames.map((f) => f.name)).size).toBe(3);
  });

  it('answers 200 {duplicate: true} for a document ingested before', async () => {
    n42.next = () => ({ status: 'duplicate', eventIds: [] });
    const res = await post('/v1/ingest/n42', N42);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ duplicate: true });
  });

  it('answers 422 problem+json with the quarantine code when the document is not usable', async () => {
    n42.next = () => ({ status: 'quarantined', eventIds: [], reason: { code: 'BL_ERR_N42_DOCTYPE_REFUSED', message: 'the document carries a DOCTYPE' } });
    const res = await post('/v1/ingest/n42', '<!DOCTYPE x [<!ENTITY a "b">]><x/>');
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toEqual({
      type: 'urn:borderlink:error:BL_ERR_N42_DOCTYPE_REFUSED', title: 'Unprocessable Entity', status: 422,
      detail: 'the document carries a DOCTYPE', code: 'BL_ERR_N42_DOCTYPE_REFUSED',
    });
    n42.next = () => ({ status: 'quarantined', eventIds: [], reason: { code: 'BL_ERR_N42_TOO_LARGE', message: 'over the N42 limit' } });
    expect((await post('/v1/ingest/n42', N42)).statusCode).toBe(413);
  });

  it('answers 503 with Retry-After when nothing durable was written', async () => {
    n42.next = () => ({ status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: 'SQLITE_FULL: /var/lib/x' } });
    const res = await post('/v1/ingest/n42', N42);
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.json()).toMatchObject({ code: 'BL_ERR_OUTBOX_WRITE', status: 503 });
    expect(res.body).not.toContain('SQLITE');

    n42.next = () => ({ status: 'quarantined', eventIds: [], reason: { code: 'BL_ERR_ARTIFACT_WRITE', message: 'ENOSPC /data' } });
    const artifact = await post('/v1/ingest/n42', N42);
    expect(artifact.statusCode).toBe(503);
    expect(artifact.json()).toMatchObject({ code: 'BL_ERR_ARTIFACT_WRITE' });
    expect(artifact.body).not.toContain('ENOSPC');

    n42.next = () => Promise.reject(new Error('boom'));
    expect((await post('/v1/ingest/n42', N42)).statusCode).toBe(503);
  });

  it('answers 413 for a body over the plan limit, unread, whether its length is declared or streamed', async () => {
    const big = Buffer.alloc(plan.maxBytes + 1, 0x20);
    const declared = await post('/v1/ingest/n42', big);
    expect(declared.statusCode).toBe(413);
    expect(declared.json()).toMatchObject({ code: 'BL_ERR_INGEST_TOO_LARGE', status: 413 });
    const streamed = await post('/v1/ingest/n42', Readable.from([big.subarray(0, 600), big.subarray(600)]));
    expect(streamed.statusCode).toBe(413);
    expect(streamed.json()).toMatchObject({ code: 'BL_ERR_INGEST_TOO_LARGE' });
    expect((await post('/v1/ingest/n42', Buffer.alloc(plan.maxBytes, 0x20))).statusCode).toBe(201);
    expect(n42.frames).toHaveLength(1);
  });

  it('answers 415 for a media type the path does not accept, without reading the body', async () => {
    for (const headers of [{ 'content-type': 'application/json' }, { 'content-type': 'text/plain' }, {} as Record<string, string>]) {
      const res = await post('/v1/ingest/n42', '{"a":1}', headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(415);
      expect(res.json()).toMatchObject({ code: 'BL_ERR_INGEST_MEDIA_TYPE', status: 415 });
    }
    expect(n42.frames).toEqual([]);
  });

  it('answers 400 for an empty body and 404 for an unknown path', async () => {
    const empty = await post('/v1/ingest/n42', '');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toMatchObject({ code: 'BL_ERR_HTTP_BAD_REQUEST' });
    const unknown = await post('/v1/ingest/spe', N42);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ code: 'BL_ERR_HTTP_NOT_FOUND', status: 404 });
    expect((await post('/v1/ingest/N42', N42, { 'content-type': 'application/json' })).statusCode).toBe(404);
    expect(n42.frames).toEqual([]);
  });

  it('documents each ingest path in the OpenAPI document with its media types and answers', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { operationId?: string; requestBody?: { content: Record<string, unknown> }; responses: Record<string, unknown> }>>;
    }>();
    const op = doc.paths['/v1/ingest/n42']?.['post'];
    expect(op?.operationId).toBe('postV1IngestN42');
    expect(Object.keys(op?.requestBody?.content ?? {}).sort()).toEqual(['application/n42+xml', 'application/octet-stream', 'application/xml', 'text/xml']);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '201', '400', '413', '415', '422', '503']);
    expect(doc.paths['/v1/ingest/portal-2']).toBeDefined();
    expect(doc.paths['/v1/ingest/{path}']).toBeUndefined();
  });

  it('leaves the other routes and their parsers alone', async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/devices' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/events?limit=2' })).statusCode).toBe(200);
  });
});

describe('POST /v1/ingest with API keys', () => {
  const target = fakeTarget('n42-1');
  let app: FastifyInstance;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ app, close } = await server(new Map([['n42', target]]), ['ingest-key-0123456789']));
  });
  afterAll(async () => {
    await close();
  });

  it('refuses a request without a key before anything else, and takes one with a key', async () => {
    for (const url of ['/v1/ingest/n42', '/v1/ingest/unknown']) {
      const res = await app.inject({ method: 'POST', url, payload: 'x', headers: { 'content-type': 'application/json' } });
      expect(res.statusCode, url).toBe(401);
    }
    const ok = await app.inject({ method: 'POST', url: '/v1/ingest/n42', payload: N42, headers: { 'content-type': 'application/xml', 'x-api-key': 'ingest-key-0123456789' } });
    expect(ok.statusCode).toBe(201);
    expect(target.frames).toHaveLength(1);
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>> }>();
    expect(doc.paths['/v1/ingest/n42']?.['post']?.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    expect(doc.paths['/v1/ingest/n42']?.['post']?.responses['401']).toBeDefined();
  });
});

describe('ingest configuration', () => {
  it('refuses an ingest path that is not a plain lower-case URL segment', async () => {
    for (const bad of ['N42', '../x', '', 'a/b', 'x'.repeat(65)]) {
      await expect(server(new Map([[bad, fakeTarget('d')]]))).rejects.toMatchObject({ code: 'BL_ERR_CONFIG_INVALID' });
    }
  });

  it('serves no ingest route when none is configured', async () => {
    const { app, close } = await server(new Map());
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/ingest/n42', payload: N42, headers: { 'content-type': 'application/xml' } });
      expect(res.statusCode).toBe(404);
    } finally {
      await close();
    }
  });
});
