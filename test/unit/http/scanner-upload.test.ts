/** POST /v1/scanners/:path/results over the real adapter, pipeline, artifact store and SQLite outbox. */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cargoScanner from '../../../adapters/cargo-scanner-http/adapter.js';
import type { AnyAdapter, DocumentFrame } from '../../../src/adapter/types.js';
import { createArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { systemClock } from '../../../src/clock.js';
import { installProblemHandlers } from '../../../src/http/problem.js';
import { scannerUploadRoutes } from '../../../src/http/routes/scanner-upload.js';
import { SHARED_SCHEMAS } from '../../../src/http/api-schemas.js';
import { createUuidV7 } from '../../../src/ids.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import { createPipeline } from '../../../src/pipeline/pipeline.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { renderScanImage } from '../../../simulators/cargo-scanner/png.js';
import { multipartBody, scannerReport } from '../../helpers/scanner-upload-fixtures.js';

const LIMITS = { maxImageBytes: 64 * 1024, maxImages: 3, maxResultBytes: 16 * 1024 };

/** Every file under dir, relative, sorted. */
function listing(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

const report = (scanId: string, extra: Record<string, unknown> = {}): string => scannerReport(scanId, extra);

describe('POST /v1/scanners/:path/results', () => {
  let dir = '';
  let artifactsDir = '';
  let outbox: SqliteOutbox;
  let app: FastifyInstance;
  const logger = silentLogger();
  const png = renderScanImage(64, 32, [{ base: [10, 10], extent: [20, 10] }]);
  const pngSha = createHash('sha256').update(png).digest('hex');

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-scanner-upload-'));
    artifactsDir = path.join(dir, 'artifacts');
    outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger });
    const artifacts = createArtifactStore({ dir: artifactsDir, maxBytes: 1024 * 1024, logger });
    const pipeline = createPipeline({
      gatewayId: 'gw-test', outbox, validator: createEventValidator(), newEventId: createUuidV7(systemClock), clock: systemClock,
      logger, metrics: createMetrics({ defaultMetrics: false }), onDurable: () => undefined, artifacts,
    });
    const sink = pipeline.forDevice({ id: 'xray-1', siteId: 'BGSOF' }, cargoScanner as unknown as AnyAdapter, {});
    app = Fastify({ logger: false });
    for (const s of SHARED_SCHEMAS) app.addSchema(s);
    installProblemHandlers(app);
    await app.register(async (v1) => {
      await v1.register(scannerUploadRoutes, { targets: new Map([['lane3', { deviceId: 'xray-1', push: (f: DocumentFrame) => sink.push(f) }]]), artifacts, limits: LIMITS, authenticated: false });
    }, { prefix: '/v1' });
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const post = async (parts: Parameters<typeof multipartBody>[0], url = '/v1/scanners/lane3/results') => {
    const { payload, headers } = await multipartBody(parts);
    return app.inject({ method: 'POST', url, payload, headers });
  };

  it('stores the image as an artifact and commits a result that references it', async () => {
    const res = await post([{ name: 'result', value: report('SCAN-1') }, { name: 'top', value: png, filename: 'scan-1.png', type: 'image/png' }]);
    expect(res.statusCode, res.body).toBe(201);
    const ids = res.json<{ eventIds: string[] }>().eventIds;
    expect(ids).toHaveLength(1);
    const e = outbox.get(ids[0] as string);
    expect(e?.eventType).toBe('result');
    expect(e?.subject?.inspectionId).toBe('SCAN-1');
    expect(e?.findings?.[0]?.region?.artifactRef).toBe(pngSha);
    expect(e?.artifacts?.map((a) => [a.kind, a.mediaType])).toEqual([['image', 'image/png'], ['raw', 'application/json']]);
    expect(e?.artifacts?.[0]).toMatchObject({ sha256: pngSha, bytes: png.length, uri: `/v1/artifacts/${pngSha}` });
    expect(fs.readFileSync(path.join(artifactsDir, pngSha.slice(0, 2), pngSha)).equals(png)).toBe(true);
    // the raw artifact keeps the scanner's report text verbatim
    const raw = e?.artifacts?.[1];
    const envelope = JSON.parse(fs.readFileSync(path.join(artifactsDir, raw?.sha256.slice(0, 2) as string, raw?.sha256 as string), 'utf8')) as { result: string };
    expect(envelope.result).toBe(report('SCAN-1'));
  });

  it('answers a retried upload as a duplicate, and keeps an image sent with another scan once', async () => {
    const again = await post([{ name: 'result', value: report('SCAN-1') }, { name: 'top', value: png, filename: 'scan-1.png', type: 'image/png' }]);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ duplicate: true });
    const other = await post([{ name: 'result', value: report('SCAN-2') }, { name: 'top', value: png, filename: 'scan-2.png', type: 'image/png' }]);
    expect(other.statusCode).toBe(201);
    expect(listing(artifactsDir).filter((f) => f.endsWith(pngSha))).toHaveLength(1);
    // the same scan re-sent in other bytes (re-serialised) is still emitted once
    const reserialised = await post([{ name: 'result', value: ` ${report('SCAN-2')}` }, { name: 'top', value: png, filename: 'scan-2.png', type: 'image/png' }]);
    expect(reserialised.statusCode).toBe(201);
    expect(reserialised.json()).toEqual({ eventIds: [] });
    expect(outbox.query({ deviceId: 'xray-1', eventType: 'result', limit: 10 }).events).toHaveLength(2);
  });

  it('accepts the result as a JSON file part, and an operator decision without images', async () => {
    const res = await post([{ name: 'result', value: Buffer.from(JSON.stringify({ scanId: 'SCAN-1', tdrType: 'OPERATOR', operatorId: 'op-7', scanTime: '2026-11-23T10:47:55.300Z', alarmDecision: 'CLEAR', alarmDecisionTime: '2026-11-23T10:50:00Z' })), filename: 'result.json', type: 'application/json' }]);
    expect(res.statusCode, res.body).toBe(201);
    const e = outbox.get(res.json<{ eventIds: string[] }>().eventIds[0] as string);
    expect(e).toMatchObject({ eventType: 'operator-decision', subject: { inspectionId: 'SCAN-1' }, outcome: { state: 'clear', decisionBy: 'operator' }, source: { operatorId: 'op-7' } });
  });

  const big = Buffer.alloc(LIMITS.maxImageBytes + 1, 7);
  it.each([
    ['no result part', 400, 'BL_ERR_SCANNER_UPLOAD_INVALID', [{ name: 'top', value: png, filename: 'a.png', type: 'image/png' }]],
    ['a result that is not JSON', 422, 'BL_ERR_DICOS_REPORT_INVALID', [{ name: 'result', value: '{"scanId": "x",' }, { name: 'top', value: png, filename: 'a.png', type: 'image/png' }]],
    ['a result that breaks the schema', 422, 'BL_ERR_DICOS_REPORT_INVALID', [{ name: 'result', value: report('X', { alarmDecision: 'MAYBE' }) }, { name: 'top', value: png, filename: 'a.png', type: 'image/png' }]],
    ['a threat object on an image not uploaded', 422, 'BL_ERR_DICOS_REPORT_INVALID', [{ name: 'result', value: report('X') }, { name: 'side', value: png, filename: 'side.png', type: 'image/png' }]],
    ['an image over the size limit', 413, 'BL_ERR_INGEST_TOO_LARGE', [{ name: 'result', value: report('X') }, { name: 'top', value: big, filename: 'a.png', type: 'image/png' }]],
    ['too many images', 413, 'BL_ERR_SCANNER_UPLOAD_INVALID', [{ name: 'result', value: report('X') }, ...[1, 2, 3, 4].map((i) => ({ name: `i${i}`, value: Buffer.from([i]), filename: `${i}.png`, type: 'image/png' }))]],
    ['a result over its limit', 413, 'BL_ERR_INGEST_TOO_LARGE', [{ name: 'result', value: report('X', { extensions: { pad: 'x'.repeat(LIMITS.maxResultBytes) } }) }]],
    ['an image of a media type not accepted', 415, 'BL_ERR_INGEST_MEDIA_TYPE', [{ name: 'result', value: report('X') }, { name: 'top', value: png, filename: 'a.txt', type: 'text/plain' }]],
    ['two images of one name', 400, 'BL_ERR_SCANNER_UPLOAD_INVALID', [{ name: 'result', value: report('X') }, { name: 'top', value: png, filename: 'a.png', type: 'image/png' }, { name: 'top', value: Buffer.from('x'), filename: 'b.png', type: 'image/png' }]],
  ] as const)('refuses %s with %i %s and leaves nothing behind', async (_what, status, code, parts) => {
    const before = listing(artifactsDir);
    const res = await post(parts as unknown as Parameters<typeof multipartBody>[0]);
    expect(res.statusCode, res.body).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code, status });
    expect(listing(artifactsDir)).toEqual(before);
  });

  it('refuses a body that is not multipart, malformed multipart, and an unknown scanner path', async () => {
    const before = listing(artifactsDir);
    const json = await app.inject({ method: 'POST', url: '/v1/scanners/lane3/results', payload: report('X'), headers: { 'content-type': 'application/json' } });
    expect(json.statusCode).toBe(415);
    expect(json.json()).toMatchObject({ code: 'BL_ERR_INGEST_MEDIA_TYPE' });
    const broken = await app.inject({ method: 'POST', url: '/v1/scanners/lane3/results', payload: '--xyz\r\nContent-Disposition: form-data; name="result"\r\n\r\n{"a":1', headers: { 'content-type': 'multipart/form-data; boundary=xyz' } });
    expect(broken.statusCode).toBe(400);
    expect(broken.json()).toMatchObject({ code: 'BL_ERR_SCANNER_UPLOAD_INVALID' });
    const noBoundary = await app.inject({ method: 'POST', url: '/v1/scanners/lane3/results', payload: 'x', headers: { 'content-type': 'multipart/form-data' } });
    expect(noBoundary.statusCode).toBe(400);
    const unknown = await post([{ name: 'result', value: report('X') }], '/v1/scanners/nope/results');
    expect(unknown.statusCode).toBe(404);
    const tooLong = await app.inject({ method: 'POST', url: '/v1/scanners/lane3/results', payload: 'x', headers: { 'content-type': 'multipart/form-data; boundary=xyz', 'content-length': String(10 * 1024 * 1024) } });
    expect(tooLong.statusCode).toBe(413);
    expect(listing(artifactsDir)).toEqual(before);
  });
});
