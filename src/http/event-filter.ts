/**
 * The event filters shared by GET /v1/events (the store applies them) and the SSE stream (applied
 * here, in memory, to replayed and live rows), with one query schema so both accept the same words.
 */
import type { EventQuery } from '../outbox/types.js';
import {
  DEVICE_CLASSES, EVENT_TYPES, OUTCOME_STATES,
  type DetectionEvent, type DeviceClass, type EventType, type OutcomeState,
} from '../schema/detection-event.js';
import type { ProblemIssue } from './problem.js';

/** The filter words as they arrive in the query string (after schema coercion). */
export interface EventFilterQuery {
  site?: string;
  device?: string;
  deviceClass?: DeviceClass;
  eventType?: EventType;
  outcome?: OutcomeState;
  since?: string;
  until?: string;
  afterSequence?: number;
}

/** The filter in the outbox's words; times normalised to RFC 3339 UTC with milliseconds. */
export type EventFilter = Omit<EventQuery, 'cursor' | 'limit'>;

const ID_SCHEMA = { type: 'string', minLength: 1, maxLength: 128 } as const;

/** JSON Schema properties of the filter words (also the OpenAPI query parameters). */
export const eventFilterProperties = {
  site: { ...ID_SCHEMA, description: 'source.siteId (UN/LOCODE style)' },
  device: { ...ID_SCHEMA, description: 'source.device.id' },
  deviceClass: { type: 'string', enum: [...DEVICE_CLASSES] },
  eventType: { type: 'string', enum: [...EVENT_TYPES] },
  outcome: { type: 'string', enum: [...OUTCOME_STATES], description: 'outcome.state' },
  since: { type: 'string', format: 'date-time', description: 'RFC 3339; events observed at or after' },
  until: { type: 'string', format: 'date-time', description: 'RFC 3339; events observed before' },
  afterSequence: {
    type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER,
    description: 'only events of `device` with a greater sequence; requires device',
  },
} as const;

/** JSON Schema `dependencies`: afterSequence is per device, so it needs one. */
export const eventFilterDependencies = { afterSequence: ['device'] } as const;

function normaliseTime(value: string | undefined, name: string, issues: ProblemIssue[]): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    issues.push({ in: 'query', name, message: 'must be an RFC 3339 date-time' });
    return undefined;
  }
  return new Date(ms).toISOString();
}

/**
 * Builds the store filter and reports what the schema cannot say (since after until). Tolerates
 * a query that already failed schema validation, so one answer lists every problem.
 */
export function eventFilterFrom(q: EventFilterQuery): { filter: EventFilter; issues: ProblemIssue[] } {
  const issues: ProblemIssue[] = [];
  const since = typeof q.since === 'string' ? normaliseTime(q.since, 'since', issues) : undefined;
  const until = typeof q.until === 'string' ? normaliseTime(q.until, 'until', issues) : undefined;
  if (since !== undefined && until !== undefined && since > until) {
    issues.push({ in: 'query', name: 'until', message: 'must not be earlier than since' });
  }
  const filter: EventFilter = {};
  if (q.site !== undefined) filter.siteId = q.site;
  if (q.device !== undefined) filter.deviceId = q.device;
  if (q.deviceClass !== undefined) filter.deviceClass = q.deviceClass;
  if (q.eventType !== undefined) filter.eventType = q.eventType;
  if (q.outcome !== undefined) filter.outcomeState = q.outcome;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (q.afterSequence !== undefined) filter.afterSequence = q.afterSequence;
  return { filter, issues };
}

/** In-memory form of the filter: since inclusive, until exclusive, so windows tile exactly. */
export function matchesFilter(event: DetectionEvent, f: EventFilter): boolean {
  if (f.siteId !== undefined && event.source.siteId !== f.siteId) return false;
  if (f.deviceId !== undefined && event.source.device.id !== f.deviceId) return false;
  if (f.deviceClass !== undefined && event.source.device.class !== f.deviceClass) return false;
  if (f.eventType !== undefined && event.eventType !== f.eventType) return false;
  if (f.outcomeState !== undefined && event.outcome?.state !== f.outcomeState) return false;
  if (f.afterSequence !== undefined && !(event.sequence > f.afterSequence)) return false;
  if (f.since !== undefined || f.until !== undefined) {
    const observed = Date.parse(event.observedAt);
    if (f.since !== undefined && !(observed >= Date.parse(f.since))) return false;
    if (f.until !== undefined && !(observed < Date.parse(f.until))) return false;
  }
  return true;
}
