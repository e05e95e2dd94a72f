/** GET /healthz (liveness) and GET /readyz (readiness): open to all, for orchestrators and probes. */
import type { FastifyPluginAsync } from 'fastify';

export interface Readiness {
  ready: boolean;
  /** per-dependency verdicts: true, false, or a short reason */
  checks: Record<string, boolean | string>;
}

export interface HealthRoutesOptions {
  readiness: () => Readiness;
  version: string;
}

const readinessSchema = {
  type: 'object',
  required: ['ready', 'checks'],
  properties: {
    ready: { type: 'boolean' },
    checks: { type: 'object', additionalProperties: { anyOf: [{ type: 'boolean' }, { type: 'string' }] } },
  },
} as const;

export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, opts) => {
  app.get('/healthz', {
    schema: {
      summary: 'Liveness: 200 while the process serves requests',
      tags: ['health'],
      response: {
        200: {
          description: 'The process is up',
          type: 'object',
          required: ['status', 'version'],
          properties: { status: { type: 'string', enum: ['ok'] }, version: { type: 'string' } },
        },
      },
    },
  }, async () => ({ status: 'ok' as const, version: opts.version }));

  app.get('/readyz', {
    schema: {
      summary: 'Readiness: 200 when every check passes, 503 with the checks otherwise',
      tags: ['health'],
      response: {
        200: { ...readinessSchema, description: 'Ready to serve' },
        503: { ...readinessSchema, description: 'Not ready; checks say why' },
      },
    },
  }, async (_request, reply) => {
    const r = opts.readiness();
    reply.header('cache-control', 'no-store');
    return reply.code(r.ready ? 200 : 503).send({ ready: r.ready, checks: r.checks });
  });
};
