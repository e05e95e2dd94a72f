import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load-config.js';
import { BorderlinkError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/e2e-fixtures.js';

const dir = tempDir('bl-config-identities-');
afterAll(() => dir.remove());

const minimal = 'gateway:\n  id: gw-1\n  siteId: BGSOF\n';
const agencies = 'agencies:\n  - id: customs\n  - id: border-police\n';

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml', { env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(BorderlinkError);
    return ((e as BorderlinkError).detail?.problems as string[] | undefined) ?? [(e as Error).message];
  }
  return [];
}

describe('identities and REST hardening config', () => {
  it('defaults: no identities, timeouts, rate limit, no TLS', () => {
    const c = parseConfig(minimal, 'test.yaml', { env: {} });
    expect(c.identities).toEqual({ apiKeys: [] });
    expect(c.http).toMatchObject({ requestTimeoutMs: 30_000, connectionTimeoutMs: 60_000, rateLimit: { max: 1200, timeWindowMs: 60_000 } });
    expect(c.http.tls).toBeUndefined();
  });

  it('reads scoped keys (inline or from a file relative to the config) and the JWT settings with defaults', () => {
    writeFileSync(path.join(dir.path, 'police.key'), 'police-admin-key-0000000001\n');
    const text = `${minimal}${agencies}identities:
  apiKeys:
    - { name: customs-control-room, key: customs-key-00000000001, agency: customs, roles: [viewer, operator] }
    - { name: police-admin, keyFile: police.key, agency: border-police, roles: [admin] }
    - { name: integration, key: integration-key-0000001, roles: [integrator] }
  jwt:
    issuer: https://idp.border.example
    audience: borderlink
    jwksFile: secrets/jwks.json
http:
  requestTimeoutMs: 10000
  connectionTimeoutMs: 0
  rateLimit: { max: 50 }
  tls: { certFile: tls/server.pem, keyFile: tls/server.key, caFile: /etc/ca.pem }
`;
    const file = path.join(dir.path, 'gw.yaml');
    writeFileSync(file, text);
    const c = loadConfig(file, { env: {} });
    expect(c.identities.apiKeys).toEqual([
      { name: 'customs-control-room', key: 'customs-key-00000000001', agency: 'customs', roles: ['viewer', 'operator'] },
      { name: 'police-admin', key: 'police-admin-key-0000000001', agency: 'border-police', roles: ['admin'] },
      { name: 'integration', key: 'integration-key-0000001', roles: ['integrator'] },
    ]);
    expect(c.identities.jwt).toEqual({
      issuer: 'https://idp.border.example', audience: 'borderlink', jwksFile: path.join(dir.path, 'secrets', 'jwks.json'),
      agencyClaim: 'agency', rolesClaim: 'roles', clockToleranceS: 30, algorithms: ['RS256', 'ES256'],
    });
    expect(c.http).toMatchObject({
      requestTimeoutMs: 10_000, connectionTimeoutMs: 0, rateLimit: { max: 50, timeWindowMs: 60_000 },
      tls: { certFile: path.join(dir.path, 'tls', 'server.pem'), keyFile: path.join(dir.path, 'tls', 'server.key'), caFile: '/etc/ca.pem' },
    });
  });

  it('refuses keys without exactly one of key and keyFile, duplicate names, unknown agencies, bad roles', () => {
    const p = problemsOf(`${minimal}${agencies}identities:
  apiKeys:
    - { name: a, roles: [viewer] }
    - { name: a, key: aaaaaaaaaaaaaaaaaaaa, keyFile: x, roles: [viewer] }
    - { name: c, key: cccccccccccccccccccc, agency: coastguard, roles: [viewer] }
`);
    expect(p.some((x) => x.startsWith('identities.apiKeys[0] (line 9): give exactly one of key and keyFile'))).toBe(true);
    expect(p.some((x) => x.startsWith('identities.apiKeys[1]') && x.includes('give exactly one of key and keyFile'))).toBe(true);
    expect(p.some((x) => x.startsWith('identities.apiKeys[1]') && x.includes('name "a" is used more than once'))).toBe(true);
    expect(p.some((x) => x.includes('agency "coastguard" is not configured under agencies (known: customs, border-police)'))).toBe(true);
    expect(problemsOf(`${minimal}identities:\n  apiKeys:\n    - { name: a, key: aaaaaaaaaaaaaaaaaaaa, agency: customs, roles: [viewer] }\n`).join('\n')).toMatch(/known: none/);
    expect(problemsOf(`${minimal}identities:\n  apiKeys:\n    - { name: a, key: aaaaaaaaaaaaaaaaaaaa, roles: [root] }\n`).join('\n')).toMatch(/roles\/0|roles\[0\]/);
    expect(problemsOf(`${minimal}identities:\n  apiKeys:\n    - { name: a, key: short, roles: [viewer] }\n`).join('\n')).toMatch(/must NOT have fewer than 16 characters/);
  });

  it('refuses JWT algorithms none and HMAC, and an idle timeout that would cut event streams', () => {
    for (const alg of ['none', 'HS256']) {
      expect(problemsOf(`${minimal}identities:\n  jwt: { issuer: i, audience: a, jwksFile: j.json, algorithms: [${alg}] }\n`).join('\n')).toMatch(/must be one of/);
    }
    expect(problemsOf(`${minimal}http:\n  connectionTimeoutMs: 15000\n`).join('\n')).toMatch(/would cut event streams/);
  });

  it('counts scoped keys and JWT as credentials for a bind beyond loopback', () => {
    const open = `${minimal}http:\n  host: 0.0.0.0\n`;
    expect(problemsOf(open).join('\n')).toMatch(/beyond loopback, with no credentials/);
    expect(problemsOf(`${open}identities:\n  jwt: { issuer: i, audience: a, jwksFile: j.json }\n`)).toEqual([]);
    expect(problemsOf(`${open}identities:\n  apiKeys:\n    - { name: a, key: aaaaaaaaaaaaaaaaaaaa, roles: [viewer] }\n`)).toEqual([]);
  });

  it('a short key file is refused without its content in the message', () => {
    const keyFile = path.join(dir.path, 'short.key');
    writeFileSync(keyFile, 'tiny-secret\n');
    try {
      parseConfig(`${minimal}identities:\n  apiKeys:\n    - { name: a, keyFile: ${keyFile}, roles: [viewer] }\n`, path.join(dir.path, 'x.yaml'), { env: {} });
      expect.unreachable();
    } catch (e) {
      expect((e as BorderlinkError).code).toBe('BL_ERR_CONFIG_INVALID');
      expect((e as Error).message).not.toContain('tiny-secret');
    }
  });
});
