/**
 * Identities on a real fastify instance (inject): each role against each route group, legacy
 * keys, JWT outcomes, the WWW-Authenticate challenges, and the onAccess reports.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { DocumentPlan } from '../../../src/adapter/types.js';
import { createLiveEvents } from '../../../src/http/live-events.js';
import { installProblemHandlers } from '../../../src/http/problem.js';
import { createHttpServer } from '../../../src/http/server.js';
import { silentLogger } from '../../../src/log.js';
import { createAuthenticator } from '../../../src/security/authenticator.js';
import { createAccessControl, decorateIdentity, type AccessOutcome } from '../../../src/security/http-access.js';
import type { Identity } from '../../../src/security/identity.js';
import { createMemoryStore } from '../../helpers/memory-store.js';
import { sampleEvents } from '../../helpers/sample-events.js';
import { createTokenKit, type TokenKit } from '../security/token-kit.js';

const KEYS = {
  viewer: 'viewer-key-customs-000001',
  operator: 'operator-key-customs-00001',
  integrator: 'integrator-key-lane-000001',
  admin: 'admin-key-police-000000001',
  legacy: 'legacy-key-000000000000001',
} as const;

const plan: DocumentPlan = { kind: 'document', mediaTypes: ['application/xml'], extensions: ['.xml'], maxBytes: 1_000, artifactMediaType: 'application/xml' };

interface Access { identity: Identity | undefined; url: string; outcome: AccessOutcome; reason: string | undefined }

let app: FastifyInstance;
let kit: TokenKit;
let artifactsDir: string;
const accesses: Access[] = [];

beforeAll(async () => {
  kit = await createTokenKit();
  artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-identities-'));
  app = await createHttpServer({
    store: createMemoryStore(sampleEvents()),
    live: createLiveEvents(),
    metrics: new Registry(),
    readiness: () => ({ ready: true, checks: {} }),
    auth: {
      apiKeys: [
        { name: 'customs-viewer', key: KEYS.viewer, agency: 'customs', roles: ['viewer'] },
        { name: 'customs-operator', key: KEYS.operator, agency: 'customs', roles: ['operator'] },
        { name: 'lane-integration', key: KEYS.integrator, roles: ['integrator'] },
        { name: 'police-admin', key: KEYS.admin, agency: 'border-police', roles: ['admin'] },
      ],
      legacyKeys: [KEYS.legacy],
      jwt: kit.spec,
      knownAgencies: new Set(['customs', 'border-police']),
    },
    onAccess: (identity, request, outcome, reason) => { accesses.push({ identity, url: request.url, outcome, reason }); },
    artifactsDir,
    logger: silentLogger(),
    version: '0.1.0-test',
    ingest: new Map([['n42', { deviceId: 'n42-1', plan, push: async () => ({ status: 'accepted' as const, eventIds: ['e1'] }) }]]),
  });
});

afterAll(async () => {
  await app.close();
  fs.rmSync(artifactsDir, { recursive: true, force: true });
  kit.remove();
});

beforeEach(() => { accesses.length = 0; });

const SHA = 'a'.repeat(64);
type Who = keyof typeof KEYS;
const ROUTES: { name: string; method: 'GET' | 'POST'; url: string; ok: number; allowed: Who[] }[] = [
  { name: 'events', method: 'GET', url: '/v1/events', ok: 200, allowed: ['viewer', 'operator', 'integrator', 'admin', 'legacy'] },
  { name: 'event by id', method: 'GET', url: '/v1/events/nope', ok: 404, allowed: ['viewer', 'operator', 'integrator', 'admin', 'legacy'] },
  { name: 'devices', method: 'GET', url: '/v1/devices', ok: 200, allowed: ['viewer', 'operator', 'integrator', 'admin', 'legacy'] },
  { name: 'artifacts', method: 'GET', url: `/v1/artifacts/${SHA}`, ok: 404, allowed: ['viewer', 'operator', 'integrator', 'admin', 'legacy'] },
  { name: 'quarantine', method: 'GET', url: '/v1/quarantine', ok: 200, allowed: ['integrator', 'admin', 'legacy'] },
  { name: 'metrics', method: 'GET', url: '/metrics', ok: 200, allowed: ['integrator', 'admin', 'legacy'] },
  { name: 'ingest', method: 'POST', url: '/v1/ingest/n42', ok: 201, allowed: ['integrator', 'admin', 'legacy'] },
  { name: 'unknown ingest path', method: 'POST', url: '/v1/ingest/zzz', ok: 404, allowed: ['integrator', 'admin', 'legacy'] },
];

const call = (route: (typeof ROUTES)[number], headers: Record<string, string>) => app.inject({
  method: route.method, url: route.url, headers: route.method === 'POST' ? { 'content-type': 'application/xml', ...headers } : headers,
  ...(route.method === 'POST' ? { payload: '<x/>' } : {}),
});

describe('roles against route groups', () => {
  const cases = ROUTES.flatMap((r) => (Object.keys(KEYS) as Who[]).map((who) => ({ ...r, who })));
  it.each(cases)('$who $method $url', async ({ who, ...route }) => {
    const res = await call(route, { 'x-api-key': KEYS[who] });
    if (route.allowed.includes(who)) {
      expect(res.statusCode).toBe(route.ok);
    } else {
      expect(res.statusCode).toBe(403);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ status: 403, code: 'BL_ERR_HTTP_FORBIDDEN', title: 'Forbidden' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="borderlink", error="insufficient_scope"');
    }
    expect(accesses).toHaveLength(1);
    expect(accesses[0]?.outcome).toBe(route.allowed.includes(who) ? 'allow' : 'deny');
  });

  it('refuses the event stream, before it opens, to a token granting no role', async () => {
    // every role holds events:read, so the refusal a stream can meet is a token without a usable role
    const noRole = await kit.sign({ sub: 'nobody', agency: 'customs', roles: ['unknown'] });
    const res = await app.inject({ method: 'GET', url: '/v1/events/stream', headers: { authorization: `Bearer ${noRole}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'BL_ERR_HTTP_FORBIDDEN' });
    expect(accesses).toEqual([{ identity: undefined, url: '/v1/events/stream', outcome: 'deny', reason: 'jwt-no-role' }]);
  });

  it.each(ROUTES)('401 with a bare challenge without credentials: $method $url', async (route) => {
    const res = await call(route, {});
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="borderlink"');
    expect(res.json()).toMatchObject({ code: 'BL_ERR_HTTP_UNAUTHORIZED' });
    expect(accesses).toEqual([{ identity: undefined, url: route.url, outcome: 'deny', reason: 'missing-credentials' }]);
  });
});

describe('JWT over HTTP', () => {
  const claims = { sub: 'alice', agency: 'customs', roles: ['viewer'] };
  const get = (token: string) => app.inject({ method: 'GET', url: '/v1/events', headers: { authorization: `Bearer ${token}` } });

  it('200 with a valid token; the identity reaches onAccess', async () => {
    const res = await get(await kit.sign(claims));
    expect(res.statusCode).toBe(200);
    expect(accesses).toEqual([{ identity: { name: 'alice', agency: 'customs', roles: ['viewer'], via: 'jwt' }, url: '/v1/events', outcome: 'allow', reason: 'events:read' }]);
  });

  it.each<[string, (k: TokenKit) => Promise<string>, number]>([
    ['expired', (k) => k.sign(claims, { expSecondsFromNow: -300 }), 401],
    ['wrong issuer', (k) => k.sign(claims, { issuer: 'https://other.example' }), 401],
    ['wrong audience', (k) => k.sign(claims, { audience: 'other' }), 401],
    ['bad signature', (k) => k.sign(claims, { key: 'stranger', kid: 'rsa-1' }), 401],
    ['alg none', async (k) => k.unsigned(claims), 401],
    ['unknown kid', (k) => k.sign(claims, { kid: 'gone' }), 401],
    ['unknown agency', (k) => k.sign({ ...claims, agency: 'coastguard' }), 403],
  ])('%s -> %i', async (_what, make, status) => {
    const token = await make(kit);
    const res = await get(token);
    expect(res.statusCode).toBe(status);
    expect(res.headers['www-authenticate']).toContain(status === 401 ? 'error="invalid_token"' : 'error="insufficient_scope"');
    expect(res.body).not.toContain(token);
    expect(accesses).toHaveLength(1);
    expect(accesses[0]).toMatchObject({ identity: undefined, outcome: 'deny' });
  });

  it('401 for a token that is a JWT in form only (garbage payload)', async () => {
    const header = Buffer.from('{"alg":"RS256","kid":"rsa-1"}').toString('base64url');
    const res = await get(`${header}.bm90LWpzb24.c2ln`);
    expect(res.statusCode).toBe(401);
  });
});

describe('the API description', () => {
  it('documents 401 and 403 and the JWT bearer format', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{
      components: { securitySchemes: Record<string, Record<string, string>> };
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    }>();
    expect(doc.components.securitySchemes['bearer']).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    for (const [p, m] of [['/v1/events', 'get'], ['/v1/quarantine', 'get'], ['/metrics', 'get'], ['/v1/ingest/n42', 'post']] as const) {
      expect(Object.keys(doc.paths[p]?.[m]?.responses ?? {}), p).toEqual(expect.arrayContaining(['401', '403']));
    }
  });
});

describe('access control helpers on a bare instance', () => {
  it('fails closed for a secured route that declares no permission', async () => {
    const bare = Fastify({ logger: false });
    try {
      decorateIdentity(bare);
      installProblemHandlers(bare);
      const seen: (Identity | undefined)[] = [];
      const access = createAccessControl(createAuthenticator({ apiKeys: [], legacyKeys: [KEYS.legacy], knownAgencies: new Set() }), (id, _r: FastifyRequest, outcome, reason) => { seen.push(id); void outcome; void reason; });
      await bare.register(async (secured) => {
        secured.addHook('onRequest', access.identify);
        secured.addHook('onRequest', access.refuseUnauthenticated);
        secured.addHook('preHandler', access.requireDeclared);
        secured.get('/forgotten', async () => ({ leaked: true }));
        await secured.register(access.guarded('devices:read', async (s) => {
          s.get('/declared', async (request) => ({ who: request.identity?.name }));
        }), { prefix: '/x' });
      });
      const forgotten = await bare.inject({ method: 'GET', url: '/forgotten', headers: { 'x-api-key': KEYS.legacy } });
      expect(forgotten.statusCode).toBe(403);
      expect(forgotten.body).not.toContain('leaked');
      const declared = await bare.inject({ method: 'GET', url: '/x/declared', headers: { 'x-api-key': KEYS.legacy } });
      expect(declared.statusCode).toBe(200);
      expect(declared.json()).toEqual({ who: 'legacy-key-1' });
      expect(seen.map((s) => s?.name)).toEqual(['legacy-key-1', 'legacy-key-1']);
    } finally {
      await bare.close();
    }
  });
});
