/**
 * GET /events/stream: Server-Sent Events, `id` the outbox row id, `event` the eventType, `data`
 * the event JSON. Resume with the Last-Event-ID header (what EventSource sends on reconnect) or
 * ?lastEventId= (the header wins). Same filters as GET /events.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Outbox } from '../../outbox/types.js';
import type { DetectionEvent } from '../../schema/detection-event.js';
import type { EventView } from '../event-view.js';
import { problemResponses } from '../api-schemas.js';
import { eventFilterDependencies, eventFilterFrom, eventFilterProperties, type EventFilterQuery } from '../event-filter.js';
import { startEventStream, type EventStreamSession } from '../event-stream.js';
import type { LiveEvents } from '../live-events.js';
import { badRequest, mergeIssues, sendProblem, validationIssues } from '../problem.js';

export interface EventStreamRoutesOptions {
  store: Pick<Outbox, 'eventsAfter'>;
  live: LiveEvents;
  heartbeatMs: number;
  replayPageSize: number;
  maxBufferedRows: number;
  authenticated: boolean;
  /** multi-agency: the copy an identity may see (undefined: none) */
  view?: EventView;
}

interface StreamQuery extends EventFilterQuery {
  lastEventId?: number;
}

const ROW_ID = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

export const eventStreamRoutes: FastifyPluginAsync<EventStreamRoutesOptions> = async (app, opts) => {
  // streams outlive requests: end them on shutdown so close() is not held open by clients
  const sessions = new Set<EventStreamSession>();
  app.addHook('preClose', async () => {
    for (const s of sessions) s.close();
  });

  app.get<{ Querystring: StreamQuery; Headers: { 'last-event-id'?: string } }>('/events/stream', {
    attachValidation: true,
    // a HEAD would hold a body-less stream open for nothing
    exposeHeadRoute: false,
    schema: {
      summary: 'Live detection events as Server-Sent Events, resumable with Last-Event-ID',
      tags: ['events'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...eventFilterProperties,
          lastEventId: { ...ROW_ID, description: 'resume after this event id (the Last-Event-ID header wins)' },
        },
        dependencies: eventFilterDependencies,
      },
      headers: {
        type: 'object',
        properties: { 'last-event-id': { type: 'string', pattern: '^[0-9]{1,15}$' } },
      },
      response: {
        200: {
          description: 'text/event-stream: `id` outbox row id, `event` eventType, `data` DetectionEvent JSON',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...problemResponses(400, ...(opts.authenticated ? [401, 403] : [])),
      },
    },
  }, async (request, reply) => {
    const invalid = request.validationError;
    const issues = invalid === undefined ? [] : validationIssues(invalid.validation, invalid.validationContext);
    const { filter, issues: crossIssues } = eventFilterFrom(request.query);
    mergeIssues(issues, crossIssues);
    if (issues.length > 0) return sendProblem(reply, badRequest(issues));

    const header = request.headers['last-event-id'];
    const lastEventId = typeof header === 'string' ? Number(header) : request.query.lastEventId;

    reply.hijack();
    const session = startEventStream(reply.raw, {
      store: opts.store,
      live: opts.live,
      filter,
      lastEventId,
      heartbeatMs: opts.heartbeatMs,
      replayPageSize: opts.replayPageSize,
      maxBufferedRows: opts.maxBufferedRows,
      log: request.log,
      ...(opts.view !== undefined ? { view: (e: DetectionEvent) => opts.view?.(request.identity, e) } : {}),
    });
    sessions.add(session);
    request.log.debug({ lastEventId, filter }, 'event stream opened');
    void session.closed.then(() => {
      sessions.delete(session);
      request.log.debug('event stream closed');
    });
    return reply;
  });
};
