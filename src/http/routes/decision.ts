/**
 * POST /events/:id/decision: an operator records a verdict on a result (operators and admins only;
 * server.ts guards the group with decisions:write). The decision becomes an `operator-decision`
 * event of the result's device, linked by inspectionId and raw.nativeIds.resultEventId, made
 * durable through that device's pipeline before the 201 (src/decisions/operator-decision.ts).
 * An agency may decide only on results its policy lets it see.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { DecisionActor, DecisionInput } from '../../decisions/operator-decision.js';
import type { Outbox } from '../../outbox/types.js';
import type { DetectionEvent } from '../../schema/detection-event.js';
import { problemResponses } from '../api-schemas.js';
import type { EventView } from '../event-view.js';
import { badRequest, notFound, problemOf, sendProblem, validationIssues } from '../problem.js';

export type DecisionResult =
  | { ok: true; eventId: string }
  | { ok: false; status: 409 | 503; detail: string };

export interface DecisionRoutesOptions {
  store: Pick<Outbox, 'get'>;
  view?: EventView;
  /** makes the decision event durable (or says why not) */
  record(target: DetectionEvent, input: DecisionInput, actor: DecisionActor): Promise<DecisionResult>;
  authenticated: boolean;
}

const CATEGORIES = ['gamma', 'neutron', 'isotope', 'narcotic', 'explosive', 'precursor', 'chemical', 'contraband', 'weapon', 'anomaly', 'other', 'environmental', 'benign'];

export const decisionRoutes: FastifyPluginAsync<DecisionRoutesOptions> = async (app, opts) => {
  const auth = opts.authenticated ? [401, 403] : [];
  app.post<{ Params: { id: string }; Body: DecisionInput }>('/events/:id/decision', {
    attachValidation: true,
    schema: {
      summary: "Record an operator's decision on a result (operators only): becomes an operator-decision event",
      tags: ['events'],
      params: {
        type: 'object',
        required: ['id'],
        properties: { id: { type: 'string', minLength: 1, maxLength: 128, description: 'eventId of the result' } },
      },
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['state'],
        properties: {
          state: { enum: ['clear', 'alarm', 'indeterminate'], description: "the operator's verdict" },
          categories: { type: 'array', maxItems: 16, uniqueItems: true, items: { enum: CATEGORIES } },
          comment: { type: 'string', maxLength: 2000 },
        },
      },
      response: {
        201: {
          description: 'The decision is durable as an operator-decision event',
          type: 'object',
          required: ['eventId', 'resultEventId'],
          properties: { eventId: { type: 'string' }, resultEventId: { type: 'string' } },
        },
        ...problemResponses(400, ...auth, 404, 409, 503),
      },
    },
  }, async (request, reply) => {
    const invalid = request.validationError;
    if (invalid !== undefined) return sendProblem(reply, badRequest(validationIssues(invalid.validation, invalid.validationContext)));
    const stored = opts.store.get(request.params.id);
    if (stored === undefined) return sendProblem(reply, notFound('No event has that eventId.'));
    const target = opts.view === undefined ? stored : opts.view(request.identity, stored);
    if (target === undefined) return sendProblem(reply, problemOf('BL_ERR_HTTP_FORBIDDEN', 403, "Your agency's sharing policy does not include this event."));
    const identity = request.identity;
    const actor: DecisionActor = { name: identity?.name ?? 'anonymous', ...(identity?.agency !== undefined ? { agency: identity.agency } : {}) };
    // decide on the stored event (the subject as the device reported it), never on a redacted copy
    const result = await opts.record(stored, request.body, actor);
    if (!result.ok) {
      const code = result.status === 409 ? 'BL_ERR_DECISION_CONFLICT' : 'BL_ERR_DECISION_UNAVAILABLE';
      return sendProblem(reply, problemOf(code, result.status, result.detail));
    }
    return reply.code(201).send({ eventId: result.eventId, resultEventId: stored.eventId });
  });
};
