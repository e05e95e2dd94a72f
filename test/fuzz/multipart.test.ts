/**
 * Property-based fuzzing of multipart scanner uploads (POST /v1/scanners/:path/results) over the
 * real route, adapter, pipeline, artifact store and SQLite outbox: 10,000 cases (BL_FUZZ_RUNS) of
 * valid uploads with bytes overwritten, slices cut out, garbage appended, boundaries and headers
 * broken. Every answer must be a coded 2xx or 4xx problem (never a 5xx, never a throw); a refused
 * upload leaves no artifact behind (only 201 may add files, and only referenced ones); the heap
 * stays bounded.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import cargoScanner from '../../adapters/cargo-scanner-http/adapter.js';
import type { AnyAdapter, DocumentFrame } from '../../src/adapter/types.js';
import { createArtifactStore } from '../../src/artifacts/artifact-store.js';
import { systemClock } from '../../src/clock.js';
import { ERROR_CODES } from '../../src/errors.js';
import { SHARED_SCHEMAS } from '../../src/http/api-schemas.js';
import { installProblemHandlers } from '../../src/http/problem.js';
import { scannerUploadRoutes } from '../../src/http/routes/scanner-upload.js';
import { createUuidV7 } from '../../src/ids.js';
import { silentLogger } from '../../src/log.js';
import { createMetrics } from '../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import { createPipeline } from '../../src/pipeline/pipeline.js';
import { createEventValidator } from '../../src/schema/validator.js';
import { renderScanImage } from '../../simulators/cargo-scanner/png.js';
import { multipartBody, scannerReport } from '../helpers/scanner-upload-fixtures.js';

const RUNS = Number(process.env.BL_FUZZ_RUNS ?? 10_000);
const LIMITS = { maxImageBytes: 16 * 1024, maxImages: 3, maxResultBytes: 8 * 1024 };

function files(dir: string): Set<string> {
  if (!fs.existsSync(dir)) return new Set();
  return new Set((fs.readdirSync(dir, { recursive: true }) as string[]).map(String).filter((f) => fs.statSync(path.join(dir, f)).isFile()));
}

async function validBody(scanId: string): Promise<{ payload: Buffer; contentType: string }> {
  const png = renderScanImage(24, 12, [{ base: [4, 4], extent: [8, 4] }]);
  const body = await multipartBody([
    { name: 'result', value: scannerReport(scanId, {}, { base: [4, 4], extent: [8, 4] }) },
    { name: 'top', value: png, filename: 'top.png', type: 'image/png' },
  ]);
  return { payload: body.payload, contentType: body.headers['content-type'] as string };
}

describe(`fuzzed multipart uploads, ${RUNS} cases`, () => {
  let dir = '';
  let artifactsDir = '';
  let outbox: SqliteOutbox;
  let app: FastifyInstance;
  let valid: { payload: Buffer; contentType: string };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-fuzz-multipart-'));
    artifactsDir = path.join(dir, 'artifacts');
    const logger = silentLogger();
    outbox = openSqliteOutbox({ path: path.join(dir, 'outbox.sqlite'), clock: systemClock, logger, checkpointIntervalMs: 0 });
    const artifacts = createArtifactStore({ dir: artifactsDir, maxBytes: 1024 * 1024, logger });
    const pipeline = createPipeline({
      gatewayId: 'gw-fuzz', outbox, validator: createEventValidator(), newEventId: createUuidV7(systemClock), clock: systemClock,
      logger, metrics: createMetrics({ defaultMetrics: false }), onDurable: () => undefined, artifacts,
    });
    const sink = pipeline.forDevice({ id: 'xray-1', siteId: 'BGSOF' }, cargoScanner as unknown as AnyAdapter, {});
    app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
    for (const s of SHARED_SCHEMAS) app.addSchema(s);
    installProblemHandlers(app);
    await app.register(async (v1) => {
      await v1.register(scannerUploadRoutes, { targets: new Map([['lane3', { deviceId: 'xray-1', push: (f: DocumentFrame) => sink.push(f) }]]), artifacts, limits: LIMITS, authenticated: false });
    }, { prefix: '/v1' });
    await app.ready();
    valid = await validBody('SCAN-FUZZ-0');
  });

  afterAll(async () => {
    await app?.close();
    await outbox?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every mutated upload with a coded 2xx/4xx and leaves nothing behind when it refuses', async () => {
    const body = valid.payload;
    const boundary = /boundary=(.+)$/.exec(valid.contentType)?.[1] ?? '';
    const mutation = fc.oneof(
      fc.array(fc.tuple(fc.nat(body.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }).map((muts) => {
        const b = Buffer.from(body);
        for (const [i, v] of muts) b[i] = v;
        return { payload: b, contentType: valid.contentType };
      }),
      fc.tuple(fc.nat(body.length), fc.nat(body.length)).map(([a, b]) => ({ payload: Buffer.concat([body.subarray(0, Math.min(a, b)), body.subarray(Math.max(a, b))]), contentType: valid.contentType })),
      fc.uint8Array({ maxLength: 512 }).map((g) => ({ payload: Buffer.concat([body, Buffer.from(g)]), contentType: valid.contentType })),
      fc.uint8Array({ maxLength: 2048 }).map((g) => ({ payload: Buffer.from(g), contentType: valid.contentType })),
      fc.string({ maxLength: 80 }).map((s) => ({ payload: body, contentType: `multipart/form-data; boundary=${s}` })),
      fc.constantFrom('multipart/form-data', 'multipart/mixed; boundary=' + boundary, 'application/json', 'text/plain', '').map((ct) => ({ payload: body, contentType: ct })),
    );
    let refused = 0;
    let accepted = 0;
    await fc.assert(fc.asyncProperty(mutation, async (m) => {
      const before = files(artifactsDir);
      const headers: Record<string, string> = m.contentType === '' ? {} : { 'content-type': m.contentType };
      const res = await app.inject({ method: 'POST', url: '/v1/scanners/lane3/results', payload: m.payload, headers });
      expect(res.statusCode, res.body.slice(0, 300)).toBeLessThan(500);
      if (res.statusCode === 201 || res.statusCode === 200) {
        accepted += 1;
        return;
      }
      refused += 1;
      const problem = res.json() as { code?: string; status?: number };
      expect(Object.keys(ERROR_CODES), JSON.stringify(problem)).toContain(problem.code);
      expect(problem.status).toBe(res.statusCode);
      // a refused upload stores nothing
      const after = files(artifactsDir);
      for (const f of after) expect(before.has(f), `left behind: ${f}`).toBe(true);
    }), { numRuns: RUNS });
    expect(refused).toBeGreaterThan(0);
    expect(accepted + refused).toBe(RUNS);
    expect(process.memoryUsage().heapUsed).toBeLessThan(1024 * 1024 * 1024);
  }, 600_000);
});
