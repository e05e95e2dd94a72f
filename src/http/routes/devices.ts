/** GET /devices and GET /devices/:id: status, last event and counters per device. */
import type { FastifyPluginAsync } from 'fastify';
import type { Outbox } from '../../outbox/types.js';
import { problemResponses } from '../api-schemas.js';
import type { DeviceView } from '../event-view.js';
import { notFound, sendProblem } from '../problem.js';

export interface DevicesRoutesOptions {
  store: Pick<Outbox, 'devices' | 'device'>;
  authenticated: boolean;
  /** multi-agency: which devices (and which view of their last event) an identity may see */
  view?: DeviceView;
}

export const devicesRoutes: FastifyPluginAsync<DevicesRoutesOptions> = async (app, opts) => {
  const auth = opts.authenticated ? [401, 403] : [];

  app.get('/devices', {
    schema: {
      summary: 'Every device the gateway has heard from or is configured for',
      tags: ['devices'],
      response: {
        200: {
          description: 'The devices, sorted by id',
          type: 'object',
          required: ['items'],
          properties: { items: { type: 'array', items: { $ref: 'Device#' } } },
        },
        ...problemResponses(...auth),
      },
    },
  }, async (request) => {
    const view = opts.view;
    const all = opts.store.devices();
    return { items: view === undefined ? all : all.flatMap((d) => view(request.identity, d) ?? []) };
  });

  app.get<{ Params: { id: string } }>('/devices/:id', {
    schema: {
      summary: 'One device: status, last event, counters',
      tags: ['devices'],
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
      },
      response: { 200: { $ref: 'Device#' }, ...problemResponses(400, ...auth, 404) },
    },
  }, async (request, reply) => {
    const device = opts.store.device(request.params.id);
    if (device === undefined) return sendProblem(reply, notFound('No device has that id.'));
    if (opts.view === undefined) return device;
    const seen = opts.view(request.identity, device);
    // outside the policy reads as unknown: a device list must not reveal other agencies' equipment
    return seen ?? sendProblem(reply, notFound('No device has that id.'));
  });
};
