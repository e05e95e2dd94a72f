/** GET /docs/json: the OpenAPI 3 document @fastify/swagger builds from the route schemas. */
import type { FastifyPluginAsync } from 'fastify';

export const openApiRoutes: FastifyPluginAsync = async (app) => {
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
};
