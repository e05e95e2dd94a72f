/**
 * An operator's verdict on a result, posted over REST (POST /v1/events/:id/decision), becomes an
 * `operator-decision` event of the device that made the result: the same subject (inspectionId,
 * conveyances, documents) so it links to the result and to other equipment's events on the same
 * shipment, `decisionBy: operator`, the person in `source.operatorId`, and the result it decides
 * in `raw.nativeIds.resultEventId`. It goes through the device's pipeline (its sequence, the
 * outbox, every channel) like any event the device made.
 *
 * Pure: builds the draft or says why it cannot.
 */
import type { EventDraft } from '../adapter/types.js';
import type { Category, DetectionEvent } from '../schema/detection-event.js';

export type DecisionState = 'clear' | 'alarm' | 'indeterminate';

export interface DecisionInput {
  state: DecisionState;
  categories?: Category[];
  /** free text, kept in raw.extensions.comment */
  comment?: string;
}

export interface DecisionActor {
  name: string;
  agency?: string;
}

export type DecisionDraft = { ok: true; draft: EventDraft } | { ok: false; reason: 'not-a-result'; detail: string };

export const DECISION_RAW_FORMAT = 'borderlink-operator-decision';

export function decisionDraft(target: DetectionEvent, input: DecisionInput, actor: DecisionActor, nowIso: string): DecisionDraft {
  if (target.eventType !== 'result') {
    return { ok: false, reason: 'not-a-result', detail: `event ${target.eventId} is a ${target.eventType} event; decisions are recorded on result events only` };
  }
  const extensions: { [k: string]: string } = {};
  if (input.comment !== undefined && input.comment !== '') extensions.comment = input.comment;
  if (actor.agency !== undefined) extensions.agency = actor.agency;
  const draft: EventDraft = {
    eventType: 'operator-decision',
    observedAt: nowIso,
    decidedAt: nowIso,
    quality: 'good',
    outcome: {
      state: input.state,
      decisionBy: 'operator',
      ...(input.categories !== undefined && input.categories.length > 0 ? { categories: [...input.categories] } : {}),
    },
    source: { operatorId: actor.name },
    raw: {
      format: DECISION_RAW_FORMAT,
      nativeIds: { resultEventId: target.eventId },
      ...(Object.keys(extensions).length > 0 ? { extensions } : {}),
    },
  };
  if (target.subject !== undefined) draft.subject = structuredClone(target.subject);
  return { ok: true, draft };
}
