/**
 * Multi-agency publishing: every event goes to the operating authority's tree
 * (borderlink/v1/{site}/...) and, redacted by each agency's policy, to the tree of every agency
 * whose policy admits it (borderlink/v1/agency/{agency}/{site}/...). The outbox row is acked only
 * when EVERY copy has its PUBACK, so an agency never misses an event the authority got; after a
 * crash the whole set is sent again (at-least-once per tree, same eventId).
 *
 * Redaction happens here, per agency, from the stored (unredacted) event; the copy's `sharing`
 * label names that agency only, so a copy never tells one agency who else received the event.
 */
import type { DetectionEvent } from '../schema/detection-event.js';
import type { OutboxRow } from '../outbox/types.js';
import type { MqttPublisher } from './mqtt-publisher.js';

export interface AgencyView {
  /** agencies configured, in order */
  agencyIds: readonly string[];
  /** the copy an agency may receive, or undefined when its policy does not admit the event */
  forAgency(agencyId: string, event: DetectionEvent): DetectionEvent | undefined;
  /** the agency's topic for a topic of the authority's tree (undefined: none, the copy is not sent) */
  agencyTopic(agencyId: string, topic: string): string | undefined;
}

export function withAgencyFanout(inner: MqttPublisher, view: AgencyView, topicOf: (e: DetectionEvent) => string): MqttPublisher {
  if (view.agencyIds.length === 0) return inner;
  return {
    get connected() {
      return inner.connected;
    },
    publish(row, topic) {
      const copies: Promise<void>[] = [inner.publish(row, topic)];
      for (const agency of view.agencyIds) {
        const event = view.forAgency(agency, row.event);
        if (event === undefined) continue;
        const target = view.agencyTopic(agency, topic ?? topicOf(row.event));
        if (target === undefined) continue;
        const copy: OutboxRow = { ...row, event, json: JSON.stringify(event) };
        copies.push(inner.publish(copy, target));
      }
      return Promise.all(copies).then(() => undefined);
    },
    onConnectionChange(l) {
      inner.onConnectionChange(l);
    },
    reportOutbox(status) {
      inner.reportOutbox?.(status);
    },
    stop(timeoutMs) {
      return inner.stop(timeoutMs);
    },
  };
}
