/**
 * Per-agency MQTT trees: an agency reads the redacted copies of its events under
 * borderlink/v1/agency/{agency}/<the normal topic below borderlink/v1/>, and nothing else.
 *
 * topicAgency is the check the broker's subscribe authorisation asks: which agency tree does a
 * topic filter lie entirely within? A filter with a wildcard at or above the agency level
 * (borderlink/v1/#, borderlink/+/agency/customs/#, borderlink/v1/agency/+/...) spans other trees
 * and belongs to no agency, so an agency user is refused it.
 */
import { TOPIC_ROOT, eventTopic } from '../publish/topics.js';
import type { DetectionEvent } from '../schema/detection-event.js';
import { AGENCY_ID_PATTERN, RESERVED_AGENCY_IDS } from './policy-types.js';

export const AGENCY_LEVEL = 'agency';
/** borderlink/v1/agency */
export const AGENCY_TREE_ROOT = `${TOPIC_ROOT}/${AGENCY_LEVEL}`;

/** borderlink/v1/agency/{agency}: the root of one agency's tree (its filter is this plus /#). */
export function agencyTreeRoot(agencyId: string): string {
  return `${AGENCY_TREE_ROOT}/${agencyId}`;
}

/**
 * The agency copy of a normal topic: borderlink/v1/X/Y -> borderlink/v1/agency/{agency}/X/Y.
 * undefined when the topic is not below borderlink/v1/ or already in an agency tree, or when
 * the agency id is not a valid one (it would not be a single topic level).
 */
export function agencyTopic(agencyId: string, topic: string): string | undefined {
  if (!isAgencyId(agencyId)) return undefined;
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix) || topic.length === prefix.length) return undefined;
  if (topic.startsWith(`${AGENCY_TREE_ROOT}/`) && isAgencyTreeTopic(topic)) return undefined;
  return `${agencyTreeRoot(agencyId)}/${topic.slice(prefix.length)}`;
}

/** Where an event's copy for this agency is published. */
export function agencyEventTopic(agencyId: string, event: Pick<DetectionEvent, 'eventType' | 'source'>): string | undefined {
  return agencyTopic(agencyId, eventTopic(event));
}

/**
 * Whether a topic already lies in some agency tree. A normal topic of a site called "agency"
 * starts the same way but has a device class or "gateway" as its fourth level, which no agency
 * id may be (RESERVED_AGENCY_IDS).
 */
function isAgencyTreeTopic(topic: string): boolean {
  const level = topic.split('/')[3];
  return level !== undefined && isAgencyId(level);
}

/** A valid, unreserved agency id. */
function isAgencyId(id: string): boolean {
  return AGENCY_ID_PATTERN.test(id) && !RESERVED_AGENCY_IDS.includes(id);
}

/** A topic filter as MQTT allows it: non-empty levels may not mix wildcards with text; # only last. */
function wellFormedFilter(levels: readonly string[]): boolean {
  return levels.every((l, i) => {
    if (l === '#') return i === levels.length - 1;
    if (l === '+') return true;
    return !l.includes('#') && !l.includes('+') && !l.includes('\u0000');
  });
}

/**
 * The agency whose tree contains every topic the filter can match, or undefined when there is
 * none: the first four levels must be literally borderlink / v1 / agency / {valid agency id}.
 * A shared subscription ($share/{group}/{filter}) is judged by its filter; any other $ topic
 * ($SYS/...) belongs to no agency.
 */
export function topicAgency(topicFilter: string): string | undefined {
  let filter = topicFilter;
  if (filter.startsWith('$share/')) {
    const parts = filter.split('/');
    const group = parts[1];
    if (group === undefined || group === '' || group.includes('+') || group.includes('#') || parts.length < 3) return undefined;
    filter = parts.slice(2).join('/');
  }
  if (filter.startsWith('$')) return undefined;
  const levels = filter.split('/');
  if (!wellFormedFilter(levels)) return undefined;
  const [b, v, a, id] = levels;
  if (`${b}/${v}` !== TOPIC_ROOT || a !== AGENCY_LEVEL || id === undefined) return undefined;
  return isAgencyId(id) ? id : undefined;
}

/** Whether a user of this agency may subscribe to the filter: only within its own tree. */
export function mayAgencySubscribe(agencyId: string, topicFilter: string): boolean {
  return topicAgency(topicFilter) === agencyId || isGatewayStatusFilter(topicFilter);
}

/**
 * The gateway's own retained status (borderlink/v1/{site}/gateway/{gatewayId}/status, with the
 * last will) holds no event data, only liveness and the outbox state, and every agency needs it to
 * tell "no alarms" from "gateway down": any agency may read it, by name or with + for site and
 * gateway, never with #.
 */
export const GATEWAY_STATUS_FILTER = `${TOPIC_ROOT}/+/gateway/+/status`;

export function isGatewayStatusFilter(filter: string): boolean {
  const levels = filter.split('/');
  const root = TOPIC_ROOT.split('/');
  if (levels.length !== root.length + 4) return false;
  if (levels[0] !== root[0] || levels[1] !== root[1]) return false;
  const [site, gateway, id, status] = levels.slice(root.length);
  const named = (s: string | undefined): boolean => s === '+' || (s !== undefined && s !== '' && !/[+#]/.test(s));
  return named(site) && gateway === 'gateway' && named(id) && status === 'status';
}
