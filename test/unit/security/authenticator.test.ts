import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BorderlinkError } from '../../../src/errors.js';
import { createAuthenticator, isJwtShaped, rolesFromClaim, type AuthenticatorOptions, type AuthResult } from '../../../src/security/authenticator.js';
import { createTokenKit, type TokenKit } from './token-kit.js';

const CUSTOMS_KEY = 'customs-control-room-key-0001';
const LEGACY_KEY = 'legacy-operating-authority-key';

const base = (over: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions => ({
  apiKeys: [
    { name: 'customs-control-room', key: CUSTOMS_KEY, agency: 'customs', roles: ['viewer', 'operator'] },
    { name: 'lane-integration', key: 'integration-key-000000001', roles: ['integrator'] },
  ],
  legacyKeys: [LEGACY_KEY],
  knownAgencies: new Set(['customs', 'border-police']),
  ...over,
});

const bearer = (v: string): Record<string, string> => ({ authorization: `Bearer ${v}` });

function failed(r: AuthResult): Exclude<AuthResult, { ok: true }> {
  if (r.ok) throw new Error(`expected a refusal, got ${JSON.stringify(r.identity)}`);
  return r;
}

describe('API keys', () => {
  const auth = createAuthenticator(base());

  it('maps a scoped key to its name, agency and roles', async () => {
    const r = await auth.authenticate({ 'x-api-key': CUSTOMS_KEY });
    expect(r).toEqual({ ok: true, identity: { name: 'customs-control-room', agency: 'customs', roles: ['viewer', 'operator'], via: 'api-key' } });
    expect(await auth.authenticate(bearer(CUSTOMS_KEY))).toEqual(r);
  });

  it('maps a legacy key to an unscoped admin', async () => {
    const r = await auth.authenticate(bearer(LEGACY_KEY));
    expect(r).toEqual({ ok: true, identity: { name: 'legacy-key-1', roles: ['admin'], via: 'api-key' } });
  });

  it('refuses a missing key (401, bare challenge) and a wrong one (401, invalid_token)', async () => {
    const none = failed(await auth.authenticate({}));
    expect(none).toMatchObject({ status: 401, code: 'BL_ERR_HTTP_UNAUTHORIZED', challenge: 'Bearer realm="borderlink"', reason: 'missing-credentials' });
    const wrong = failed(await auth.authenticate({ 'x-api-key': `${CUSTOMS_KEY}x` }));
    expect(wrong).toMatchObject({ status: 401, challenge: 'Bearer realm="borderlink", error="invalid_token"', reason: 'api-key-invalid' });
    expect(wrong.detail).not.toContain(CUSTOMS_KEY);
  });

  it('is open (anonymous admin) when nothing is configured', async () => {
    const open = createAuthenticator({ apiKeys: [], legacyKeys: [], knownAgencies: new Set() });
    expect(open.enabled).toBe(false);
    expect(await open.authenticate({})).toMatchObject({ ok: true, identity: { name: 'anonymous', roles: ['admin'], via: 'anonymous' } });
  });

  it.each<[string, Partial<AuthenticatorOptions>, RegExp]>([
    ['a key naming an agency not configured', { apiKeys: [{ name: 'x', key: 'k'.repeat(20), agency: 'coastguard', roles: ['viewer'] }] }, /agency "coastguard" is not configured/],
    ['the same key twice', { legacyKeys: [CUSTOMS_KEY] }, /same key is configured twice/],
    ['two keys with one name', { apiKeys: [{ name: 'x', key: 'a'.repeat(20), roles: ['viewer'] }, { name: 'x', key: 'b'.repeat(20), roles: ['viewer'] }] }, /used more than once/],
    ['a key without roles', { apiKeys: [{ name: 'x', key: 'a'.repeat(20), roles: [] }] }, /roles must list/],
    ['a key shaped like a JWT', { legacyKeys: [`${Buffer.from('{"alg":"x"}').toString('base64url')}.abc.def`] }, /looks like a JWT/],
  ])('refuses at start: %s', (_what, over, message) => {
    expect(() => createAuthenticator(base(over))).toThrow(message);
  });
});

describe('JWT', () => {
  let kit: TokenKit;
  let auth: ReturnType<typeof createAuthenticator>;
  beforeAll(async () => {
    kit = await createTokenKit();
    auth = createAuthenticator(base({ jwt: kit.spec }));
  });
  afterAll(() => kit.remove());

  it('accepts a valid RS256 or ES256 token with agency and roles', async () => {
    for (const alg of ['RS256', 'ES256'] as const) {
      const r = await auth.authenticate(bearer(await kit.sign({ sub: 'alice', agency: 'customs', roles: ['viewer'] }, { alg })));
      expect(r).toEqual({ ok: true, identity: { name: 'alice', agency: 'customs', roles: ['viewer'], via: 'jwt' } });
    }
  });

  it('reads roles as an array or a space-separated string and ignores names it does not know', async () => {
    const r = await auth.authenticate(bearer(await kit.sign({ sub: 'bob', agency: 'border-police', roles: 'viewer operator superuser' })));
    expect(r).toMatchObject({ ok: true, identity: { roles: ['viewer', 'operator'] } });
    expect(rolesFromClaim(['admin', 'admin', 7, 'viewer'])).toEqual(['admin', 'viewer']);
    expect(rolesFromClaim(undefined)).toEqual([]);
  });

  it('takes an admin token without agency as the operating authority', async () => {
    const r = await auth.authenticate(bearer(await kit.sign({ sub: 'root', roles: ['admin'] })));
    expect(r).toEqual({ ok: true, identity: { name: 'root', roles: ['admin'], via: 'jwt' } });
  });

  it('never compares a token as an API key, even in x-api-key', async () => {
    const token = await kit.sign({ sub: 'alice', agency: 'customs', roles: ['viewer'] });
    expect(isJwtShaped(token)).toBe(true);
    expect(isJwtShaped(CUSTOMS_KEY)).toBe(false);
    expect(isJwtShaped('not.a.jwt')).toBe(false);
    expect(await auth.authenticate({ 'x-api-key': token })).toMatchObject({ ok: true, identity: { via: 'jwt' } });
    const noJwt = createAuthenticator(base());
    expect(failed(await noJwt.authenticate(bearer(token)))).toMatchObject({ status: 401, reason: 'jwt-not-configured' });
  });

  const refusals: [string, (k: TokenKit) => Promise<string>, 401 | 403, string][] = [
    ['expired', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { expSecondsFromNow: -120 }), 401, 'jwt-expired'],
    ['not yet valid', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { nbfSecondsFromNow: 300 }), 401, 'jwt-not-yet-valid'],
    ['wrong issuer', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { issuer: 'https://evil.example' }), 401, 'jwt-wrong-issuer'],
    ['wrong audience', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { audience: 'someone-else' }), 401, 'jwt-wrong-audience'],
    ['bad signature (another key under a known kid)', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { key: 'stranger', kid: 'rsa-1' }), 401, 'jwt-bad-signature'],
    ['unknown kid', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { kid: 'rsa-9' }), 401, 'jwt-unknown-key'],
    ['alg none', async (k) => k.unsigned({ sub: 'a', agency: 'customs', roles: ['admin'] }), 401, 'jwt-algorithm'],
    ['HS256 (symmetric)', (k) => k.hmac({ sub: 'a', agency: 'customs', roles: ['admin'] }), 401, 'jwt-algorithm'],
    ['no sub', (k) => k.sign({ agency: 'customs', roles: ['viewer'] }), 401, 'jwt-missing-sub'],
    ['agency not a string', (k) => k.sign({ sub: 'a', agency: ['customs'], roles: ['viewer'] }), 401, 'jwt-bad-agency'],
    ['unknown agency', (k) => k.sign({ sub: 'a', agency: 'coastguard', roles: ['viewer'] }), 403, 'jwt-unknown-agency'],
    ['no agency, not admin', (k) => k.sign({ sub: 'a', roles: ['viewer', 'operator'] }), 403, 'jwt-no-agency'],
    ['no known role', (k) => k.sign({ sub: 'a', agency: 'customs', roles: ['superuser'] }), 403, 'jwt-no-role'],
  ];

  it.each(refusals)('refuses a token: %s', async (_what, make, status, reason) => {
    const token = await make(kit);
    const r = failed(await auth.authenticate(bearer(token)));
    expect(r.status).toBe(status);
    expect(r.reason).toBe(reason);
    expect(r.code).toBe(status === 401 ? 'BL_ERR_HTTP_UNAUTHORIZED' : 'BL_ERR_HTTP_FORBIDDEN');
    expect(r.challenge).toContain(status === 401 ? 'error="invalid_token"' : 'error="insufficient_scope"');
    expect(r.detail).not.toContain(token);
  });

  it('allows clock skew within clockToleranceS and uses the injected clock', async () => {
    const token = await kit.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { expSecondsFromNow: -10 });
    expect((await auth.authenticate(bearer(token))).ok).toBe(true);
    const later = createAuthenticator(base({ jwt: kit.spec, clock: { now: () => Date.now() + 3_600_000 } }));
    const fresh = await kit.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] });
    expect(failed(await later.authenticate(bearer(fresh))).reason).toBe('jwt-expired');
  });

  it.each<[string, string | object, RegExp]>([
    ['missing', '(none)', /cannot be read: ENOENT/],
    ['not JSON', 'nope', /is not JSON/],
    ['no keys', { keys: [] }, /at least one key/],
    ['a private key', { keys: [{ kty: 'RSA', n: 'x', e: 'AQAB', d: 'secret', kid: 'k' }] }, /private or symmetric key \(kid k\)/],
    ['a symmetric key', { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] }, /private or symmetric key/],
  ])('refuses at start a JWKS file that is %s', (_what, content, message) => {
    const file = path.join(kit.dir, `jwks-${Math.random().toString(36).slice(2)}.json`);
    if (content !== '(none)') fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    try {
      createAuthenticator(base({ jwt: { ...kit.spec, jwksFile: file } }));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(BorderlinkError);
      expect((e as BorderlinkError).code).toBe('BL_ERR_CONFIG_JWKS');
      expect((e as Error).message).toMatch(message);
      expect((e as Error).message).not.toContain('secret');
    }
  });

  it('refuses a token signed with an algorithm the configuration does not list', async () => {
    const rsOnly = createAuthenticator(base({ jwt: { ...kit.spec, algorithms: ['RS256'] } }));
    const es = await kit.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] }, { alg: 'ES256' });
    expect(failed(await rsOnly.authenticate(bearer(es)))).toMatchObject({ status: 401, reason: 'jwt-algorithm' });
    expect((await rsOnly.authenticate(bearer(await kit.sign({ sub: 'a', agency: 'customs', roles: ['viewer'] })))).ok).toBe(true);
  });

  it('refuses at start algorithm lists with none or HMAC', () => {
    for (const algorithms of [[], ['none'], ['HS256']]) {
      expect(() => createAuthenticator(base({ jwt: { ...kit.spec, algorithms: algorithms as never } }))).toThrow(/never none or HMAC/);
    }
  });
});
