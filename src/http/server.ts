/**
 * The REST API: fastify with one plugin per route group. Built here, listened on by the
 * composition root. Only the outbox's read side is used: the API never writes to it directly
 * (documents posted to /v1/ingest go through the device's pipeline, like any other frame).
 *
 *   open          /healthz, /readyz, /docs/json
 *   API keys      /metrics and everything under /v1 (when keys are configured)
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import type { Registry } from 'prom-client';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/types.js';
import { createApiKeyHook } from './api-key-auth.js';
import { SHARED_SCHEMAS } from './api-schemas.js';
import type { LiveEvents } from './live-events.js';
import { installProblemHandlers } from './problem.js';
import { artifactsRoutes } from './routes/artifacts.js';
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
}

export interface HttpDeps {
  store: HttpStore;
  live: LiveEvents;
  metrics: Registry;
  readiness: () => Readiness;
  /** no keys: no auth */
  auth: { apiKeys: readonly string[] };
  limits?: HttpLimits;
  /** artifacts live at <artifactsDir>/<aa>/<sha256>, with an optional <sha256>.json sidecar */
  artifactsDir: string;
  logger: Logger;
  version: string;
  /** POST /v1/ingest/<path>: documents pushed to the device configured for each path (none: no route) */
  ingest?: ReadonlyMap<string, IngestTarget>;
  /** POST /v1/scanners/<path>/results: X-ray scanner uploads (multipart), by scanner path (none: no route) */
  scannerUploads?: Omit<ScannerUploadRoutesOptions, 'authenticated'>;
}

export const HTTP_LIMIT_DEFAULTS: Required<HttpLimits> = {
  maxPageSize: 500,
  defaultPageSize: 100,
  bodyLimitBytes: 1024 * 1024,
  sseHeartbeatMs: 15_000,
  sseReplayPageSize: 500,
  sseMaxBufferedRows: 10_000,
};

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
  const authHook = createApiKeyHook(deps.auth.apiKeys);
  const authenticated = authHook !== undefined;

  // typed as fastify's base logger so route plugins need not carry pino's generic
  const logger: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance: logger,
    logController: new QuietLogController(),
    bodyLimit: limits.bodyLimitBytes,
    return503OnClosing: true,
    ajv: {
      // every problem in one answer; unknown parameters are reported, not silently dropped
      customOptions: { allErrors: true, removeAdditional: false, coerceTypes: 'array', useDefaults: true },
    },
  });

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
            bearer: { type: 'http', scheme: 'bearer' },
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

  await app.register(healthRoutes, { readiness: deps.readiness, version: deps.version });
  await app.register(openApiRoutes);

  // API keys are enforced per matched route through this scope's hook, never by URL prefix
  await app.register(async (secured) => {
    if (authHook !== undefined) secured.addHook('onRequest', authHook);
    await secured.register(metricsRoutes, { metrics: deps.metrics, authenticated });
    await secured.register(async (v1) => {
      await v1.register(eventsRoutes, { store: deps.store, limits: pageLimits, authenticated });
      await v1.register(eventStreamRoutes, {
        store: deps.store,
        live: deps.live,
        heartbeatMs: limits.sseHeartbeatMs,
        replayPageSize: limits.sseReplayPageSize,
        maxBufferedRows: limits.sseMaxBufferedRows,
        authenticated,
      });
      await v1.register(devicesRoutes, { store: deps.store, authenticated });
      await v1.register(quarantineRoutes, { store: deps.store, limits: pageLimits, authenticated });
      await v1.register(artifactsRoutes, { artifactsDir: deps.artifactsDir, authenticated });
      if (deps.ingest !== undefined && deps.ingest.size > 0) await v1.register(ingestRoutes, { ingest: deps.ingest, authenticated });
      if (deps.scannerUploads !== undefined && deps.scannerUploads.targets.size > 0) await v1.register(scannerUploadRoutes, { ...deps.scannerUploads, authenticated });
    }, { prefix: '/v1' });
  });

  return app;
}

function stripUndefined(limits: HttpLimits): HttpLimits {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as HttpLimits;
}
