/**
 * REST hardening: security headers, rate limits, request timeouts that spare the event stream,
 * HTTPS (and mutual TLS) from certificate files made by a test CA, errors without internals,
 * and logs without secrets. The CA is generated here with openssl, in a temp dir removed after.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BorderlinkError } from '../../../src/errors.js';
import { clientSafeMessage, installProblemHandlers } from '../../../src/http/problem.js';
import { createLogger } from '../../../src/log.js';
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';
import { sampleEvent } from '../../helpers/sample-events.js';
import { openSse, type SseClient } from '../../helpers/sse-client.js';

const KEY_A = 'rate-key-a-0000000000001';
const KEY_B = 'rate-key-b-0000000000002';

let fx: HttpFixture | undefined;
afterEach(async () => {
  await fx?.close();
  fx = undefined;
});

async function listening(f: HttpFixture): Promise<number> {
  await f.app.listen({ host: '127.0.0.1', port: 0 });
  return (f.app.server.address() as AddressInfo).port;
}

describe('security headers', () => {
  it('are on open, secured and not-found responses; no HSTS over plain HTTP', async () => {
    fx = await httpFixture();
    for (const url of ['/healthz', '/v1/events', '/nope']) {
      const res = await fx.app.inject({ method: 'GET', url });
      expect(res.headers['x-content-type-options'], url).toBe('nosniff');
      expect(res.headers['content-security-policy'], url).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['x-frame-options'], url).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy'], url).toBe('no-referrer');
      expect(res.headers['cross-origin-resource-policy'], url).toBe('same-origin');
      expect(res.headers['strict-transport-security'], url).toBeUndefined();
      expect(res.headers['x-powered-by'], url).toBeUndefined();
    }
  });
});

describe('rate limits', () => {
  it('429 problem with Retry-After per identity; other identities and /healthz unaffected', async () => {
    fx = await httpFixture({ apiKeys: [KEY_A, KEY_B], limits: { rateLimitMax: 3, rateLimitWindowMs: 60_000 } });
    for (let i = 0; i < 3; i += 1) {
      const ok = await fx.app.inject({ method: 'GET', url: '/v1/devices', headers: { 'x-api-key': KEY_A } });
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const over = await fx.app.inject({ method: 'GET', url: '/v1/events', headers: { 'x-api-key': KEY_A } });
    expect(over.statusCode).toBe(429);
    expect(over.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.json()).toMatchObject({ status: 429, code: 'BL_ERR_HTTP_RATE_LIMITED', title: 'Too Many Requests' });
    expect((await fx.app.inject({ method: 'GET', url: '/v1/events', headers: { 'x-api-key': KEY_B } })).statusCode).toBe(200);
    for (let i = 0; i < 6; i += 1) expect((await fx.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('counts requests without valid credentials against the client address', async () => {
    fx = await httpFixture({ apiKeys: [KEY_A], limits: { rateLimitMax: 3 } });
    const statuses: number[] = [];
    for (const key of ['wrong-1', 'wrong-2', undefined, 'wrong-3']) {
      const res = await fx.app.inject({ method: 'GET', url: '/v1/events', headers: key === undefined ? {} : { 'x-api-key': key } });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
    // /readyz and /docs/json share the address's bucket; the valid key has its own
    expect((await fx.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(429);
    expect((await fx.app.inject({ method: 'GET', url: '/v1/events', headers: { 'x-api-key': KEY_A } })).statusCode).toBe(200);
  });
});

describe('timeouts', () => {
  const clients: SseClient[] = [];
  afterEach(() => { for (const c of clients.splice(0)) c.close(); });

  it('an event stream outlives requestTimeout and connectionTimeout; a slow request does not', async () => {
    fx = await httpFixture({ limits: { requestTimeoutMs: 200, connectionTimeoutMs: 400, sseHeartbeatMs: 100, timeoutCheckIntervalMs: 50 } });
    const port = await listening(fx);
    const sse = await openSse(`http://127.0.0.1:${port}/v1/events/stream`);
    clients.push(sse);
    expect(sse.status).toBe(200);
    await sse.waitForComment('stream open');

    // a request whose headers never finish is answered 408 once requestTimeout has passed
    const slow = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
      let got = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => { got += d; });
      socket.on('close', () => resolve(got));
      socket.on('error', reject);
    });
    expect(slow).toMatch(/^HTTP\/1\.1 408/);

    // by now the stream has lived past both timeouts several times over
    await new Promise((r) => setTimeout(r, 1_000));
    const row = fx.store.add(sampleEvent({ n: 500, site: 'BGSOF', device: 'rpm-9', deviceClass: 'radiation-portal-monitor', eventType: 'result', sequence: 500, outcome: 'clear' }));
    fx.hub.publish(row);
    const frames = await sse.waitForFrames(1);
    expect(Number(frames[0]?.id)).toBe(row.id);
  });

  it('refuses an idle timeout that would cut streams between heartbeats', async () => {
    await expect(httpFixture({ limits: { connectionTimeoutMs: 1_000, sseHeartbeatMs: 1_000 } })).rejects.toMatchObject({ code: 'BL_ERR_CONFIG_INVALID' });
  });
});

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe.skipIf(!hasOpenssl)('HTTPS from certificate files', () => {
  let pki = '';
  beforeAll(() => {
    pki = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-https-pki-'));
    const run = (args: string[]): void => { execFileSync('openssl', args, { cwd: pki, stdio: 'ignore' }); };
    run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=BorderLink Test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
    fs.writeFileSync(path.join(pki, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
    run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
    run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=control-room', '-keyout', 'client.key', '-out', 'client.csr']);
    run(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.pem']);
  });
  afterAll(() => { if (pki !== '') fs.rmSync(pki, { recursive: true, force: true }); });

  const file = (name: string): string => path.join(pki, name);
  const get = (port: number, urlPath: string, opts: https.RequestOptions = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> =>
    new Promise((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path: urlPath, agent: false, ca: fs.readFileSync(file('ca.pem')), ...opts }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
    });

  it('serves HTTPS with HSTS to a client trusting the CA; refuses one that does not', async () => {
    fx = await httpFixture({ apiKeys: [KEY_A], tls: { certFile: file('server.pem'), keyFile: file('server.key') } });
    const port = await listening(fx);
    const health = await get(port, '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers['strict-transport-security']).toBe('max-age=31536000');
    const events = await get(port, '/v1/events', { headers: { 'x-api-key': KEY_A } });
    expect(events.status).toBe(200);
    await expect(get(port, '/healthz', { ca: undefined })).rejects.toThrow(/self.signed|unable to (get|verify)/i);
  });

  it('with caFile, requires a client certificate signed by that CA', async () => {
    fx = await httpFixture({ tls: { certFile: file('server.pem'), keyFile: file('server.key'), caFile: file('ca.pem') } });
    const port = await listening(fx);
    await expect(get(port, '/healthz')).rejects.toThrow();
    const ok = await get(port, '/healthz', { cert: fs.readFileSync(file('client.pem')), key: fs.readFileSync(file('client.key')) });
    expect(ok.status).toBe(200);
  });

  it('refuses to start when a certificate file cannot be read, naming the file but no content', async () => {
    await expect(httpFixture({ tls: { certFile: file('nope.pem'), keyFile: file('server.key') } })).rejects.toMatchObject({ code: 'BL_ERR_CONFIG_SECRET_FILE' });
  });
});

describe('errors to clients', () => {
  it('scrub file paths and stack lines from client messages, keep API paths', () => {
    expect(clientSafeMessage("ENOENT: no such file or directory, open '/var/lib/borderlink/outbox.db'")).toBe("ENOENT: no such file or directory, open '[path]'");
    expect(clientSafeMessage('cannot read C:\\data\\x.n42 now')).toBe('cannot read [path] now');
    expect(clientSafeMessage('bad\n    at Object.<anonymous> (/app/dist/src/x.js:1:2)')).toBe('bad');
    expect(clientSafeMessage('No route GET /v1/events/x; see /metrics or https://example.org/a/b')).toBe('No route GET /v1/events/x; see /metrics or https://example.org/a/b');
  });

  it('a thrown error with a path yields a generic 500; an input error is told without its path', async () => {
    const app = Fastify({ logger: false });
    try {
      installProblemHandlers(app);
      app.get('/boom', async () => { throw new Error("EACCES: permission denied, open '/srv/borderlink/data/secret.key'"); });
      app.get('/input', async () => { throw new BorderlinkError('BL_ERR_FOLDER_NOT_A_FILE', 'entry /srv/borderlink/drop/incoming/x.n42 is not a regular file'); });
      app.get('/wrapped', async () => { throw Object.assign(new Error('/etc/borderlink/secret.yaml broke'), { statusCode: 400 }); });
      const boom = await app.inject({ method: 'GET', url: '/boom' });
      expect(boom.statusCode).toBe(500);
      expect(boom.json()).toEqual({ type: 'urn:borderlink:error:BL_ERR_HTTP_INTERNAL', title: 'Internal Server Error', status: 500, detail: 'The server failed while handling the request.', code: 'BL_ERR_HTTP_INTERNAL' });
      const input = await app.inject({ method: 'GET', url: '/input' });
      expect(input.statusCode).toBe(400);
      for (const res of [boom, input, await app.inject({ method: 'GET', url: '/wrapped' })]) {
        expect(res.body).not.toContain('/srv/');
        expect(res.body).not.toContain('/etc/');
        expect(res.body).not.toMatch(/stack|\bat \w/);
      }
    } finally {
      await app.close();
    }
  });
});

describe('logs', () => {
  it('never carry credential headers or JWTs', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: { write: (s: string) => { lines.push(s); } } });
    const jwt = `${Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')}.${Buffer.from('{"sub":"alice"}').toString('base64url')}.c2lnbmF0dXJl`;
    log.info({ headers: { authorization: 'Bearer secret-key-1', 'x-api-key': 'secret-key-2', cookie: 'sid=secret-key-3' } }, 'top-level headers');
    log.info({ req: { headers: { authorization: 'Bearer secret-key-4', 'x-api-key': 'secret-key-5' } } }, 'request headers');
    log.info({ request: { raw: { headers: { authorization: 'Bearer secret-key-6' } } } }, 'nested headers');
    log.warn({ err: new Error(`token ${jwt} refused`), other: { value: jwt } }, `refused ${jwt}`);
    const text = lines.join('');
    expect(lines).toHaveLength(4);
    expect(text).not.toMatch(/secret-key-\d/);
    expect(text).not.toContain(jwt);
    expect(text).not.toContain('eyJ');
    expect(text).toContain('[redacted-jwt]');
    expect(text).toContain('[redacted]');
    for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
  });
});
