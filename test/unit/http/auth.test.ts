import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyIndex, presentedCredential } from '../../../src/security/authenticator.js';
import { httpFixture, type HttpFixture } from '../../helpers/http-fixture.js';

const PROTECTED = ['/v1/events', '/v1/events/stream', '/v1/events/some-id', '/v1/devices', '/v1/devices/rpm-1', '/v1/quarantine',
  `/v1/artifacts/${'a'.repeat(64)}`, '/metrics'];
const OPEN = ['/healthz', '/readyz', '/docs/json'];

describe('API keys configured', () => {
  let fx: HttpFixture;
  beforeAll(async () => { fx = await httpFixture({ apiKeys: ['first-key-0123456789', 'second-key'] }); });
  afterAll(async () => { await fx.close(); });

  it.each(PROTECTED)('401 problem with WWW-Authenticate without a key: %s', async (url) => {
    const res = await fx.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="borderlink"');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 401, code: 'BL_ERR_HTTP_UNAUTHORIZED', title: 'Unauthorized' });
  });

  it.each([
    { 'x-api-key': 'wrong' },
    { 'x-api-key': 'first-key-012345678' },
    { authorization: 'Bearer wrong' },
    { authorization: 'Basic Zmlyc3Qta2V5LTAxMjM0NTY3ODk=' },
    { authorization: 'first-key-0123456789' },
  ])('401 with a wrong key %j', async (headers) => {
    const res = await fx.app.inject({ method: 'GET', url: '/v1/events', headers });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'BL_ERR_HTTP_UNAUTHORIZED' });
  });

  it('says the key is invalid in the challenge when one was sent', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': 'nope' } });
    expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
  });

  it.each([
    { 'x-api-key': 'first-key-0123456789' },
    { 'x-api-key': 'second-key' },
    { authorization: 'Bearer second-key' },
    { authorization: 'bearer first-key-0123456789' },
  ])('200 with a right key %j', async (headers) => {
    for (const url of ['/v1/events', '/v1/devices', '/metrics']) {
      const res = await fx.app.inject({ method: 'GET', url, headers });
      expect(res.statusCode, url).toBe(200);
    }
  });

  it.each(OPEN)('%s stays open', async (url) => {
    const res = await fx.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
  });

  it('a percent-encoded path cannot slip past the check', async () => {
    const res = await fx.app.inject({ method: 'GET', url: '/%761/events' });
    expect([401, 404]).toContain(res.statusCode);
    expect(res.body).not.toContain('eventId');
  });

  it('documents the security schemes on protected routes only', async () => {
    const doc = (await fx.app.inject({ method: 'GET', url: '/docs/json' })).json<{
      components: { securitySchemes: Record<string, unknown> };
      paths: Record<string, { get: { security?: unknown[] } }>;
    }>();
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(['apiKey', 'bearer']);
    expect(doc.paths['/v1/events']?.get.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    expect(doc.paths['/healthz']?.get.security).toBeUndefined();
  });
});

describe('no API keys configured', () => {
  let fx: HttpFixture;
  beforeAll(async () => { fx = await httpFixture(); });
  afterAll(async () => { await fx.close(); });

  it.each(['/v1/events', '/v1/devices', '/v1/quarantine', '/metrics'])('%s is open', async (url) => {
    const res = await fx.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(200);
  });
});

describe('key matching', () => {
  it('matches only configured keys, whatever their length', () => {
    const m = createKeyIndex(['abc', 'a-much-longer-key']);
    expect(m('abc')).toBe(0);
    expect(m('a-much-longer-key')).toBe(1);
    expect(m('ab')).toBe(-1);
    expect(m('abcd')).toBe(-1);
    expect(m('')).toBe(-1);
  });

  it('reads x-api-key first, then a Bearer token', () => {
    expect(presentedCredential({ 'x-api-key': 'k1', authorization: 'Bearer k2' })).toEqual({ kind: 'api-key', key: 'k1' });
    expect(presentedCredential({ authorization: 'Bearer k2' })).toEqual({ kind: 'api-key', key: 'k2' });
    expect(presentedCredential({ authorization: 'Bearer' })).toEqual({ kind: 'none' });
    expect(presentedCredential({})).toEqual({ kind: 'none' });
  });
});
