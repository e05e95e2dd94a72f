/**
 * Live event fan-out for the SSE stream. The pipeline publishes a row only after it is durable,
 * so a subscriber that misses rows (or arrives late) can always catch up from the outbox.
 */
import type { Logger } from '../log.js';
import { describeError } from '../errors.js';
import type { DetectionEvent } from '../schema/detection-event.js';

/** One stored event as it leaves the outbox: its insertion id (the SSE id), the event and its JSON. */
export interface LiveRow {
  id: number;
  event: DetectionEvent;
  json: string;
}

export type LiveListener = (row: LiveRow) => void;

/** The read side: what the HTTP server needs. */
export interface LiveEvents {
  /** Registers a listener; returns the function that removes it (idempotent). */
  subscribe(listener: LiveListener): () => void;
}

/** The write side too: the composition root hands `publish` to the pipeline. */
export interface LiveEventsHub extends LiveEvents {
  /** Call after the row is durable, in insertion-id order. Never throws. */
  publish(row: LiveRow): void;
  /** How many listeners are subscribed (metrics and tests). */
  subscriberCount(): number;
}

export function createLiveEvents(opts: { logger?: Logger } = {}): LiveEventsHub {
  const listeners = new Set<LiveListener>();
  return {
    subscribe(listener) {
      // A wrapper makes each subscription distinct even when the same function subscribes twice.
      const entry: LiveListener = (row) => listener(row);
      listeners.add(entry);
      return () => {
        listeners.delete(entry);
      };
    },
    publish(row) {
      // Listeners added or removed during delivery take effect from the next row.
      for (const listener of [...listeners]) {
        try {
          listener(row);
        } catch (e) {
          // A broken listener must never stall the pipeline that publishes.
          opts.logger?.error({ err: describeError(e), rowId: row.id }, 'live event listener failed');
        }
      }
    },
    subscriberCount() {
      return listeners.size;
    },
  };
}
