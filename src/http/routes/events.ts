/** GET /events (filtered, cursor-paged) and GET /events/:id. */
import type { FastifyPluginAsync } from 'fastify';
import type { Outbox } from '../../outbox/types.js';
import type { EventView } from '../event-view.js';
import { eventFilterDependencies, eventFilterFrom, eventFilterProperties, type EventFilterQuery } from '../event-filter.js';
import { nextCursorSchema, pageProperties, problemResponses } from '../api-schemas.js';
import { pageSize, setNextLink, type PageLimits } from '../paging.js';
import { badRequest, mergeIssues, notFound, problemOf, sendProblem, validationIssues } from '../problem.js';

export interface EventsRoutesOptions {
  store: Pick<Outbox, 'query' | 'get'>;
  limits: PageLimits;
  /** whether the group is behind credentials (documents the 401 and 403; server.ts enforces them) */
  authenticated: boolean;
  /** multi-agency: the copy an identity may see (undefined: none) */
  view?: EventView;
}

interface EventsQuery extends EventFilterQuery {
  cursor?: string;
  limit?: number;
}

export const eventsRoutes: FastifyPluginAsync<EventsRoutesOptions> = async (app, opts) => {
  const auth = opts.authenticated ? [401, 403] : [];

  app.get<{ Querystring: EventsQuery }>('/events', {
    // validation errors reach the handler, which adds the cross-field ones: one 400 lists all
    attachValidation: true,
    schema: {
      summary: 'List detection events matching the filters: newest first, or by ascending sequence with afterSequence',
      tags: ['events'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { ...eventFilterProperties, ...pageProperties },
        dependencies: eventFilterDependencies,
      },
      response: {
        200: {
          description: 'One page of events; follow nextCursor (or the Link header) for the next',
          type: 'object',
          required: ['items', 'nextCursor'],
          properties: {
            items: { type: 'array', items: { $ref: 'DetectionEvent#' } },
            nextCursor: nextCursorSchema,
          },
        },
        ...problemResponses(400, ...auth),
      },
    },
  }, async (request, reply) => {
    const invalid = request.validationError;
    const issues = invalid === undefined ? [] : validationIssues(invalid.validation, invalid.validationContext);
    const { filter, issues: crossIssues } = eventFilterFrom(request.query);
    mergeIssues(issues, crossIssues);
    if (issues.length > 0) return sendProblem(reply, badRequest(issues));

    const q = request.query;
    const page = opts.store.query({
      ...filter,
      ...(q.cursor === undefined ? {} : { cursor: q.cursor }),
      limit: pageSize(q.limit, opts.limits),
    });
    setNextLink(reply, request.url, page.nextCursor);
    // a policy may leave a page with fewer items than the limit (even none): follow nextCursor
    const view = opts.view;
    const items = view === undefined ? page.events : page.events.flatMap((e) => view(request.identity, e) ?? []);
    return { items, nextCursor: page.nextCursor ?? null };
  });

  app.get<{ Params: { id: string } }>('/events/:id', {
    schema: {
      summary: 'One detection event by eventId',
      tags: ['events'],
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', minLength: 1, maxLength: 128, description: 'eventId' } },
      },
      response: { 200: { $ref: 'DetectionEvent#' }, ...problemResponses(400, ...auth, 404) },
    },
  }, async (request, reply) => {
    const event = opts.store.get(request.params.id);
    if (event === undefined) return sendProblem(reply, notFound('No event has that eventId.'));
    if (opts.view === undefined) return event;
    const seen = opts.view(request.identity, event);
    if (seen === undefined) return sendProblem(reply, problemOf('BL_ERR_HTTP_FORBIDDEN', 403, "Your agency's sharing policy does not include this event."));
    return seen;
  });
};
