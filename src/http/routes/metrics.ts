/** GET /metrics: the Prometheus text exposition of the gateway's registry. */
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { problemResponses } from '../api-schemas.js';

export interface MetricsRoutesOptions {
  metrics: Registry;
  authenticated: boolean;
}

export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, opts) => {
  app.get('/metrics', {
    schema: {
      summary: 'Prometheus metrics',
      tags: ['health'],
      response: {
        200: {
          description: 'Prometheus text exposition format',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        ...problemResponses(...(opts.authenticated ? [401, 403] : [])),
      },
    },
  }, async (_request, reply) => {
    const text = await opts.metrics.metrics();
    return reply.type(opts.metrics.contentType).send(text);
  });
};
