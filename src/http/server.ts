/**
 * The REST API: fastify with one plugin per route group. Built here, listened on by the
 * composition root. Only the outbox's read side is used: the API never writes to it directly
 * (documents posted to /v1/ingest go through the device's pipeline, like any other frame).
 *
 *   open          /healthz, /readyz, /docs/json
 *   secured       /metrics and everything under /v1: one onRequest hook authenticates (API key or
 *                 JWT, src/security) and sets request.identity; each route group declares the
 *                 permission it needs. No credentials configured at all: every request is the
 *                 anonymous admin, as before identities (config load allows that on loopback only).
 *
 * Hardening: security headers (helmet), rate limits per identity or client address (/healthz
 * exempt), body limit, request and idle-connection timeouts, optional TLS from files.
 *
 * Timeouts and the SSE stream: `requestTimeout` (node's server.requestTimeout) bounds the time to
 * RECEIVE a request; once the request is in, the response may last as long as it likes, so a
 * stream is not cut by it. `connectionTimeout` (socket idle timeout) would cut a silent stream,
 * which is why it must exceed the SSE heartbeat interval (checked here).
 */
import type { Server } from 'node:http';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyHttpOptions, type FastifyInstance, type FastifyReply, type FastifyRequest, type onRequestAsyncHookHandler } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { Registry } from 'prom-client';
import { BorderlinkError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/types.js';
import { createAuthenticator, type ApiKeySpec, type AuthenticatorOptions, type JwtSpec } from '../security/authenticator.js';
import { createAccessControl, decorateIdentity, type OnAccess } from '../security/http-access.js';
import { helmetOptions, RATE_LIMIT_DEFAULTS, rateLimitedError, rateLimitKey, readHttpsOptions, type HttpTlsFiles } from '../security/http-hardening.js';
import { SHARED_SCHEMAS } from './api-schemas.js';
import type { LiveEvents } from './live-events.js';
import { installProblemHandlers, problemOf, sendProblem } from './problem.js';
import { artifactsRoutes } from './routes/artifacts.js';
import { decisionRoutes, type DecisionRoutesOptions } from './routes/decision.js';
import type { ArtifactAccess, DeviceView, EventView } from './event-view.js';
import { devicesRoutes } from './routes/devices.js';
import { eventStreamRoutes } from './routes/event-stream.js';
import { eventsRoutes } from './routes/events.js';
import { healthRoutes, type Readiness } from './routes/health.js';
import { ingestRoutes, type IngestTarget } from './routes/ingest.js';
import { metricsRoutes } from './routes/metrics.js';
import { openApiRoutes } from './routes/openapi-document.js';
import { quarantineRoutes } from './routes/quarantine.js';
import { scannerUploadRoutes, type ScannerUploadRoutesOptions } from './routes/scanner-upload.js';

export type { Readiness } from './routes/health.js';
export type { IngestTarget } from './routes/ingest.js';

/** What the API reads from the outbox. */
export type HttpStore = Pick<Outbox, 'query' | 'get' | 'eventsAfter' | 'devices' | 'device' | 'quarantine'>;

export interface HttpLimits {
  /** page size cap for /v1/events and /v1/quarantine (default 500) */
  maxPageSize?: number;
  /** page size when the client gives none (default 100, never above maxPageSize) */
  defaultPageSize?: number;
  /** request body cap (default 1 MiB; the API takes no bodies today) */
  bodyLimitBytes?: number;
  /** SSE heartbeat comment interval (default 15 s) */
  sseHeartbeatMs?: number;
  /** rows read from the outbox per SSE replay step (default 500) */
  sseReplayPageSize?: number;
  /** live rows an SSE client may have waiting while it catches up (default 10 000) */
  sseMaxBufferedRows?: number;
  /** time to receive a whole request, headers and body (default 30 s; 0: none). Does not bound responses (SSE). */
  requestTimeoutMs?: number;
  /** idle socket timeout (default 60 s; 0: none); must exceed sseHeartbeatMs */
  connectionTimeoutMs?: number;
  /** how often node checks requestTimeout (default 30 s, node's; tests shorten it) */
  timeoutCheckIntervalMs?: number;
  /** requests per window per identity, or per client address before one is known (default 1200) */
  rateLimitMax?: number;
  /** rate-limit window (default 60 s) */
  rateLimitWindowMs?: number;
}

/** Credentials of the REST API, secrets already read. None at all: the API is open (loopback only). */
export interface HttpAuth {
  /** scoped keys: name, agency, roles */
  apiKeys: readonly ApiKeySpec[];
  /** unscoped keys (http.apiKeys): admin, operating authority */
  legacyKeys: readonly string[];
  jwt?: JwtSpec;
  /** configured agency ids; a JWT naming another agency is refused (403) */
  knownAgencies: ReadonlySet<string>;
}

/** The shape before identities: every key is an unscoped admin key. */
export interface LegacyHttpAuth {
  apiKeys: readonly string[];
}

export interface HttpDeps {
  store: HttpStore;
  live: LiveEvents;
  metrics: Registry;
  readiness: () => Readiness;
  /** no credentials of any kind: no auth (anonymous admin) */
  auth: HttpAuth | LegacyHttpAuth;
  /** every access decision of the secured scope (audit log) */
  onAccess?: OnAccess;
  /** serve HTTPS from these files (read once, here) */
  tls?: HttpTlsFiles;
  limits?: HttpLimits;
  /** artifacts live at <artifactsDir>/<aa>/<sha256>, with an optional <sha256>.json sidecar */
  artifactsDir: string;
  logger: Logger;
  version: string;
  /** POST /v1/ingest/<path>: documents pushed to the device configured for each path (none: no route) */
  ingest?: ReadonlyMap<string, IngestTarget>;
  /** POST /v1/scanners/<path>/results: X-ray scanner uploads (multipart), by scanner path (none: no route) */
  scannerUploads?: Omit<ScannerUploadRoutesOptions, 'authenticated'>;
  /** multi-agency sharing: what each identity may see (absent: everything) */
  views?: { event: EventView; artifact: ArtifactAccess; device: DeviceView };
  /** POST /v1/events/:id/decision (absent: no route) */
  decisions?: DecisionRoutesOptions['record'];
}

export const HTTP_LIMIT_DEFAULTS: Required<HttpLimits> = {
  maxPageSize: 500,
  defaultPageSize: 100,
  bodyLimitBytes: 1024 * 1024,
  sseHeartbeatMs: 15_000,
  sseReplayPageSize: 500,
  sseMaxBufferedRows: 10_000,
  requestTimeoutMs: 30_000,
  connectionTimeoutMs: 60_000,
  timeoutCheckIntervalMs: 30_000,
  rateLimitMax: RATE_LIMIT_DEFAULTS.max,
  rateLimitWindowMs: RATE_LIMIT_DEFAULTS.timeWindowMs,
};

function authenticatorOptions(auth: HttpAuth | LegacyHttpAuth): AuthenticatorOptions {
  if ('legacyKeys' in auth) {
    return { apiKeys: auth.apiKeys, legacyKeys: auth.legacyKeys, knownAgencies: auth.knownAgencies, ...(auth.jwt !== undefined ? { jwt: auth.jwt } : {}) };
  }
  return { apiKeys: [], legacyKeys: auth.apiKeys, knownAgencies: new Set() };
}

/** Request lines at debug: at info they would cost more than serving the requests. */
class QuietLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    request.log.debug({ method: request.method, url: request.url }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) reply.log.error({ err: error, status: reply.statusCode }, 'request errored');
    else reply.log.debug({ status: reply.statusCode, ms: reply.elapsedTime }, 'request completed');
  }

  override routeNotFound(): void {
    // the not-found handler logs its own line
  }
}

function operationId(method: string, url: string): string {
  const words = url.split('/').filter((w) => w !== '').map((w) => {
    const name = w.startsWith(':') ? `by-${w.slice(1)}` : w;
    return name.split(/[^A-Za-z0-9]+/).map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
  });
  return `${method.toLowerCase()}${words.join('')}`;
}

function isProtectedUrl(url: string): boolean {
  return url === '/metrics' || url.startsWith('/v1/');
}

export async function createHttpServer(deps: HttpDeps): Promise<FastifyInstance> {
  const limits = { ...HTTP_LIMIT_DEFAULTS, ...stripUndefined(deps.limits ?? {}) };
  const pageLimits = {
    maxPageSize: limits.maxPageSize,
    defaultPageSize: Math.min(limits.defaultPageSize, limits.maxPageSize),
  };
  if (limits.connectionTimeoutMs > 0 && limits.connectionTimeoutMs <= limits.sseHeartbeatMs) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `http.connectionTimeoutMs (${limits.connectionTimeoutMs}) must exceed the SSE heartbeat interval (${limits.sseHeartbeatMs} ms), or event streams would be cut`);
  }
  const authenticator = createAuthenticator(authenticatorOptions(deps.auth));
  const access = createAccessControl(authenticator, deps.onAccess);
  const authenticated = authenticator.enabled;
  const httpsOptions = deps.tls === undefined ? undefined : readHttpsOptions(deps.tls);

  // typed as fastify's base logger so route plugins need not carry pino's generic
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  const serverOptions: FastifyHttpOptions<Server, FastifyBaseLogger> = {
    loggerInstance: logger,
    logController: new QuietLogController(),
    bodyLimit: limits.bodyLimitBytes,
    return503OnClosing: true,
    requestTimeout: limits.requestTimeoutMs,
    connectionTimeout: limits.connectionTimeoutMs,
    http: { connectionsCheckingInterval: limits.timeoutCheckIntervalMs },
    ajv: {
      // every problem in one answer; unknown parameters are reported, not silently dropped
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  };
  // fastify types an https instance apart from an http one; the routes and callers need only the
  // common surface (inject, listen, close, server.address), so the instance keeps the http type
  if (httpsOptions !== undefined) Object.assign(serverOptions, { https: { ...httpsOptions, connectionsCheckingInterval: limits.timeoutCheckIntervalMs } });
  const app = Fastify(serverOptions);

  decorateIdentity(app);
  await app.register(helmet, helmetOptions(httpsOptions !== undefined));
  await app.register(rateLimit, {
    global: false,
    max: limits.rateLimitMax,
    timeWindow: limits.rateLimitWindowMs,
    keyGenerator: rateLimitKey,
    errorResponseBuilder: rateLimitedError,
  });
  const limitRate = app.rateLimit() as unknown as onRequestAsyncHookHandler;

  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'BorderLink Gateway API',
        version: deps.version,
        description: 'Detection events (DetectionEvent v1), devices, quarantine and artifacts. Errors are RFC 9457 problem details.',
      },
      components: authenticated
        ? {
          securitySchemes: {
            apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
            bearer: authenticator.acceptsJwt ? { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } : { type: 'http', scheme: 'bearer' },
          },
        }
        : {},
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`),
    },
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? String(route.method[0]) : String(route.method);
      const transformed = { ...schema, operationId: operationId(method, url) };
      if (authenticated && isProtectedUrl(url)) transformed.security = [{ apiKey: [] }, { bearer: [] }];
      return { schema: transformed, url };
    },
  });

  installProblemHandlers(app);

  await app.register(async (open) => {
    // probes poll /healthz as often as they like; the rest of the open scope is limited per address
    open.addHook('onRequest', async (request, reply) => {
      if (request.routeOptions.url !== '/healthz') await limitRate.call(open, request, reply);
    });
    await open.register(healthRoutes, { readiness: deps.readiness, version: deps.version });
    await open.register(openApiRoutes);
  });

  // credentials are enforced per matched route through this scope's hooks, never by URL prefix
  await app.register(async (secured) => {
    secured.addHook('onRequest', access.identify);
    secured.addHook('onRequest', limitRate);
    secured.addHook('onRequest', access.refuseUnauthenticated);
    secured.addHook('preHandler', access.requireDeclared);
    const { guarded } = access;
    await secured.register(guarded('metrics:read', metricsRoutes), { metrics: deps.metrics, authenticated });
    await secured.register(async (v1) => {
      const view = deps.views?.event;
      await v1.register(guarded('events:read', eventsRoutes), { store: deps.store, limits: pageLimits, authenticated, ...(view ? { view } : {}) });
      if (deps.decisions !== undefined) await v1.register(guarded('decisions:write', decisionRoutes), { store: deps.store, record: deps.decisions, authenticated, ...(view ? { view } : {}) });
      await v1.register(guarded('events:read', eventStreamRoutes), {
        store: deps.store,
        live: deps.live,
        heartbeatMs: limits.sseHeartbeatMs,
        replayPageSize: limits.sseReplayPageSize,
        maxBufferedRows: limits.sseMaxBufferedRows,
        authenticated,
        ...(view ? { view } : {}),
      });
      await v1.register(guarded('devices:read', devicesRoutes), { store: deps.store, authenticated, ...(deps.views ? { view: deps.views.device } : {}) });
      await v1.register(async (q) => {
        // quarantine holds devices' raw bytes, which no policy can redact: with agencies configured
        // it is for the operating authority (identities without agency) only
        if (deps.views !== undefined) {
          q.addHook('preHandler', async (request, reply) => {
            if (request.identity?.agency !== undefined) {
              return sendProblem(reply, problemOf('BL_ERR_HTTP_FORBIDDEN', 403, 'Quarantined input holds unredacted device data: it is for the operating authority only.'));
            }
            return undefined;
          });
        }
        await q.register(guarded('quarantine:read', quarantineRoutes), { store: deps.store, limits: pageLimits, authenticated });
      });
      await v1.register(guarded('artifacts:read', artifactsRoutes), { artifactsDir: deps.artifactsDir, authenticated, ...(deps.views ? { mayRead: deps.views.artifact } : {}) });
      if (deps.ingest !== undefined && deps.ingest.size > 0) await v1.register(guarded('ingest:write', ingestRoutes), { ingest: deps.ingest, authenticated });
      if (deps.scannerUploads !== undefined && deps.scannerUploads.targets.size > 0) await v1.register(guarded('ingest:write', scannerUploadRoutes), { ...deps.scannerUploads, authenticated });
    }, { prefix: '/v1' });
  });

  return app;
}

function stripUndefined(limits: HttpLimits): HttpLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as HttpLimits;
}
