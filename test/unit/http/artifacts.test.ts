import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifactPath } from '../../../src/http/routes/artifacts.js';
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';

let fx: HttpFixture;
const n42 = Buffer.from('<?xml version="1.0"?><RadInstrumentData/>');
const blob = Buffer.from([0, 1, 2, 3, 254, 255]);
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function store(dir: string, data: Buffer, sidecar?: string): string {
  const h = sha(data);
  fs.mkdirSync(path.join(dir, h.slice(0, 2)), { recursive: true });
  fs.writeFileSync(path.join(dir, h.slice(0, 2), h), data);
  if (sidecar !== undefined) fs.writeFileSync(path.join(dir, h.slice(0, 2), `${h}.json`), sidecar);
  return h;
}

beforeAll(async () => {
  fx = await httpFixture();
  // a secret outside the artifacts dir that traversal attempts would aim at
  fs.writeFileSync(path.join(path.dirname(fx.artifactsDir), `${path.basename(fx.artifactsDir)}-secret`), 'SECRET');
});
afterAll(async () => {
  fs.rmSync(path.join(path.dirname(fx.artifactsDir), `${path.basename(fx.artifactsDir)}-secret`), { force: true });
  await fx.close();
});

describe('GET /v1/artifacts/:sha256', () => {
  it('serves the bytes with the sidecar media type', async () => {
    const h = store(fx.artifactsDir, n42, JSON.stringify({ mediaType: 'application/xml' }));
    const res = await fx.app.inject({ method: 'GET', url: `/v1/artifacts/${h}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/xml');
    expect(res.headers['content-length']).toBe(String(n42.length));
    expect(res.headers['etag']).toBe(`"${h}"`);
    expect(res.rawPayload).toEqual(n42);
  });

  it('falls back to application/octet-stream without a usable sidecar', async () => {
    const h = store(fx.artifactsDir, blob);
    const res = await fx.app.inject({ method: 'GET', url: `/v1/artifacts/${h}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    expect(res.rawPayload).toEqual(blob);

    const bad = Buffer.from('bad sidecar');
    const hb = store(fx.artifactsDir, bad, JSON.stringify({ mediaType: 'text/html\r\nx-evil: 1' }));
    const res2 = await fx.app.inject({ method: 'GET', url: `/v1/artifacts/${hb}` });
    expect(res2.headers['content-type']).toBe('application/octet-stream');
    expect(res2.headers['x-evil']).toBeUndefined();
  });

  it('accepts upper-case hex', async () => {
    const h = store(fx.artifactsDir, Buffer.from('upper'));
    const res = await fx.app.inject({ method: 'GET', url: `/v1/artifacts/${h.toUpperCase()}` });
    expect(res.statusCode).toBe(200);
  });

  it('404 problem for a well-formed but unknown sha256', async () => {
    const res = await fx.app.inject({ method: 'GET', url: `/v1/artifacts/${'0'.repeat(64)}` });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 404, code: 'BL_ERR_ARTIFACT_NOT_FOUND' });
  });

  it('404 when the name is a directory', async () => {
    const h = 'ab'.repeat(32);
    fs.mkdirSync(path.join(fx.artifactsDir, 'ab', h), { recursive: true });
    const res = await fx.app.inject({ method: 'GET', url: `/v1/artifacts/${h}` });
    expect(res.statusCode).toBe(404);
  });

  it.each([
    '/v1/artifacts/..%2F..%2Fetc%2Fpasswd',
    '/v1/artifacts/..%2F..%2Fsecret',
    '/v1/artifacts/../../etc/passwd',
    '/v1/artifacts/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    `/v1/artifacts/${'a'.repeat(63)}`,
    `/v1/artifacts/${'a'.repeat(65)}`,
    `/v1/artifacts/${'g'.repeat(64)}`,
    `/v1/artifacts/${'a'.repeat(62)}%00a`,
    `/v1/artifacts/${'a'.repeat(63)}%2F`,
    '/v1/artifacts/%2Fetc%2Fpasswd',
  ])('rejects %s', async (url) => {
    const res = await fx.app.inject({ method: 'GET', url });
    expect([400, 404]).toContain(res.statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).not.toContain('SECRET');
    expect(res.body).not.toContain('root:');
    expect(res.body).not.toContain(fx.artifactsDir);
  });

  it('a malformed name is a 400 naming the parameter', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/artifacts/..%2F..%2Fetc%2Fpasswd' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'BL_ERR_HTTP_BAD_REQUEST', errors: [{ in: 'path', name: 'sha256' }] });
  });

  it('artifactPath only builds paths for lowercase sha256 names', () => {
    expect(artifactPath('/d', 'ab'.repeat(32))).toBe(path.join('/d', 'ab', 'ab'.repeat(32)));
    expect(artifactPath('/d', '../'.repeat(21) + 'a')).toBeUndefined();
    expect(artifactPath('/d', 'AB'.repeat(32))).toBeUndefined();
  });
});
