/** GET /quarantine: input the gateway could not turn into events, with its raw bytes (base64). */
import type { FastifyPluginAsync } from 'fastify';
import type { Outbox, QuarantineRecord } from '../../outbox/types.js';
import type { JsonValue } from '../../schema/detection-event.js';
import { nextCursorSchema, pageProperties, problemResponses } from '../api-schemas.js';
import { pageSize, setNextLink, type PageLimits } from '../paging.js';

export interface QuarantineRoutesOptions {
  store: Pick<Outbox, 'quarantine'>;
  limits: PageLimits;
  authenticated: boolean;
}

/** A quarantine record as the API shows it: the same fields, raw bytes as base64. */
export interface QuarantineItem {
  id: number;
  deviceId: string;
  adapterId: string;
  adapterVersion: string;
  code: string;
  message: string;
  receivedAt: string;
  raw: string;
  detail?: { [key: string]: JsonValue };
}

export function quarantineItemOf(r: QuarantineRecord): QuarantineItem {
  const item: QuarantineItem = {
    id: r.id,
    deviceId: r.deviceId,
    adapterId: r.adapterId,
    adapterVersion: r.adapterVersion,
    code: r.code,
    message: r.message,
    receivedAt: r.receivedAt,
    raw: r.raw.toString('base64'),
  };
  if (r.detail !== undefined) item.detail = r.detail;
  return item;
}

export const quarantineRoutes: FastifyPluginAsync<QuarantineRoutesOptions> = async (app, opts) => {
  const auth = opts.authenticated ? [401, 403] : [];

  app.get<{ Querystring: { device?: string; cursor?: string; limit?: number } }>('/quarantine', {
    schema: {
      summary: 'Quarantined input, newest first',
      tags: ['quarantine'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          device: { type: 'string', minLength: 1, maxLength: 128, description: 'device id' },
          ...pageProperties,
        },
      },
      response: {
        200: {
          description: 'One page of quarantine records; follow nextCursor (or the Link header) for the next',
          type: 'object',
          required: ['items', 'nextCursor'],
          properties: {
            items: { type: 'array', items: { $ref: 'QuarantineItem#' } },
            nextCursor: nextCursorSchema,
          },
        },
        ...problemResponses(400, ...auth),
      },
    },
  }, async (request, reply) => {
    const q = request.query;
    const page = opts.store.quarantine({
      ...(q.device === undefined ? {} : { deviceId: q.device }),
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      limit: pageSize(q.limit, opts.limits),
    });
    setNextLink(reply, request.url, page.nextCursor);
    return { items: page.items.map(quarantineItemOf), nextCursor: page.nextCursor ?? null };
  });
};
