/**
 * Turns OPC UA notifications into frames (pure): the connector keeps one assembler per device for
 * its whole life, across reconnections, so `changed` always means "differs from what the adapter
 * was last shown".
 *
 * A data-change frame carries the whole snapshot (every monitored value) and the names that
 * changed. A server may batch several changes in one publish, and with queueSize > 1 the same item
 * may appear more than once; a server lists them item by item (node-opcua: in the order the items
 * were created), not in the order they were written. So the values of one notification are first
 * put in source-timestamp order (stable; a value without a timestamp stays behind the one before
 * it), then applied in turn, and a repeat of a name flushes the frame built so far, so no value is
 * ever overwritten unseen and two results written at different times do not mix. Values that
 * equal what the adapter already has (the initial notification of every item after a rebuild,
 * which repeats the snapshot just read) make no frame.
 *
 * What this cannot undo: values that were sampled (samplingInterval > 0) at different moments, or
 * overwritten in a queue of size 1. A device that needs "these fields belong to one result" says
 * so best with an event (ScanCompletedEventType), which the server queues whole.
 */
import type { OpcUaFrame } from '../adapter/types.js';
import type { JsonValue } from '../schema/detection-event.js';
import { worstQuality, type Quality } from './opcua-values.js';

export interface ItemValue {
  name: string;
  value: JsonValue;
  quality: Quality;
  /** source (else server) timestamp, ms since the epoch, when the server gave one */
  at?: number;
}

/** Stable source-time order; a value without a timestamp keeps the place of the one before it. */
export function inTimeOrder(items: readonly ItemValue[]): ItemValue[] {
  let last = Number.NEGATIVE_INFINITY;
  const keyed = items.map((it, i) => {
    if (it.at !== undefined) last = it.at;
    return { it, key: it.at ?? last, i };
  });
  keyed.sort((a, b) => a.key - b.key || a.i - b.i);
  return keyed.map((k) => k.it);
}

export interface FrameAssembler {
  /** After each (re)connection: the values just read. Always one frame; `changed` as described in OpcUaFrame. */
  snapshot(items: readonly ItemValue[], receivedAt: number): OpcUaFrame;
  /** One DataChangeNotification's items, in order: zero or more frames. */
  dataChange(items: readonly ItemValue[], receivedAt: number): OpcUaFrame[];
  /** One event's selected fields. */
  event(fields: { [name: string]: JsonValue }, receivedAt: number): OpcUaFrame;
  /** the current values, for inspection */
  current(): { [name: string]: JsonValue };
}

function same(a: JsonValue | undefined, b: JsonValue): boolean {
  if (a === undefined) return false;
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export function createFrameAssembler(names: readonly string[]): FrameAssembler {
  const values = new Map<string, JsonValue>();
  const qualities = new Map<string, Quality>();
  for (const n of names) qualities.set(n, 'good');

  const snapshotValues = (): { [name: string]: JsonValue } => {
    const out: { [name: string]: JsonValue } = {};
    for (const n of names) out[n] = values.has(n) ? (values.get(n) as JsonValue) : null;
    return out;
  };

  const apply = (it: ItemValue): boolean => {
    const changed = !same(values.get(it.name), it.value) || qualities.get(it.name) !== it.quality;
    values.set(it.name, it.value);
    qualities.set(it.name, it.quality);
    return changed;
  };

  return {
    snapshot(items, receivedAt) {
      const changed: string[] = [];
      for (const it of items) if (apply(it)) changed.push(it.name);
      return { transport: 'opcua', receivedAt, source: 'data-change', values: snapshotValues(), changed, quality: worstQuality(items.map((i) => i.quality)) };
    },
    dataChange(items, receivedAt) {
      const frames: OpcUaFrame[] = [];
      let pending: string[] = [];
      const seen = new Set<string>();
      const flush = (): void => {
        if (pending.length > 0) {
          frames.push({ transport: 'opcua', receivedAt, source: 'data-change', values: snapshotValues(), changed: pending, quality: worstQuality(pending.map((n) => qualities.get(n) ?? 'good')) });
        }
        pending = [];
        seen.clear();
      };
      for (const it of inTimeOrder(items)) {
        if (!qualities.has(it.name)) continue;
        if (seen.has(it.name)) flush();
        seen.add(it.name);
        if (apply(it) && !pending.includes(it.name)) pending.push(it.name);
      }
      flush();
      return frames;
    },
    event(fields, receivedAt) {
      return { transport: 'opcua', receivedAt, source: 'event', values: snapshotValues(), changed: [], event: { ...fields }, quality: 'good' };
    },
    current: snapshotValues,
  };
}
