/**
 * An in-memory fake of the outbox's read side, for the HTTP tests. Deliberately naive (linear
 * scans) and independent of src/http's own filter code, so the tests check the API, not a mirror.
 * Mirrors the SQLite outbox's contract: newest first (ascending sequence with afterSequence),
 * since inclusive and until exclusive on observedAt, BL_ERR_OUTBOX_QUERY_INVALID for a bad cursor.
 */
import { BorderlinkError } from '../../src/errors.js';
import type {
  DeviceRecord, EventPage, EventQuery, OutboxRow, QuarantineInput, QuarantineRecord,
} from '../../src/outbox/types.js';
import type { HttpStore } from '../../src/http/server.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';

export interface MemoryStore extends HttpStore {
  /** Stores an event under the next row id and returns its row (publish it to a hub yourself). */
  add(event: DetectionEvent): OutboxRow;
  addQuarantine(input: QuarantineInput): QuarantineRecord;
  /** Called at the start / end of every eventsAfter, to play concurrent appends. */
  hooks: { beforeEventsAfter?: (afterId: number) => void; afterEventsAfter?: (afterId: number, rows: OutboxRow[]) => void };
  readonly rows: readonly OutboxRow[];
  eventsAfterCalls: number;
}

function encodeCursor(key: number): string {
  return Buffer.from(JSON.stringify({ key }), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { key?: unknown };
    if (typeof parsed.key === 'number' && Number.isInteger(parsed.key) && parsed.key >= 0) return parsed.key;
  } catch {
    // fall through
  }
  throw new BorderlinkError('BL_ERR_OUTBOX_QUERY_INVALID', 'The cursor is not one this listing issued');
}

function matches(e: DetectionEvent, q: EventQuery): boolean {
  if (q.siteId !== undefined && e.source.siteId !== q.siteId) return false;
  if (q.deviceId !== undefined && e.source.device.id !== q.deviceId) return false;
  if (q.deviceClass !== undefined && e.source.device.class !== q.deviceClass) return false;
  if (q.eventType !== undefined && e.eventType !== q.eventType) return false;
  if (q.outcomeState !== undefined && e.outcome?.state !== q.outcomeState) return false;
  if (q.since !== undefined && e.observedAt < q.since) return false;
  if (q.until !== undefined && e.observedAt >= q.until) return false;
  if (q.afterSequence !== undefined && e.sequence <= q.afterSequence) return false;
  return true;
}

export function createMemoryStore(events: readonly DetectionEvent[] = []): MemoryStore {
  const rows: OutboxRow[] = [];
  const quarantine: QuarantineRecord[] = [];
  let nextId = 1;

  const deviceRecord = (id: string): DeviceRecord | undefined => {
    const own = rows.filter((r) => r.event.source.device.id === id);
    const quarantined = quarantine.filter((q) => q.deviceId === id).length;
    const last = own.at(-1)?.event;
    if (last === undefined && quarantined === 0) return undefined;
    const record: DeviceRecord = {
      id,
      lastSequence: last?.sequence ?? 0,
      counters: { events: own.length, quarantined },
    };
    if (last !== undefined) {
      record.deviceClass = last.source.device.class;
      record.siteId = last.source.siteId;
      record.lastEvent = last;
    }
    const lastStatus = [...own].reverse().find((r) => r.event.status !== undefined)?.event;
    if (lastStatus?.status !== undefined) {
      record.status = { state: lastStatus.status.state, since: lastStatus.status.since ?? lastStatus.observedAt };
      if (lastStatus.status.detail !== undefined) record.status.detail = lastStatus.status.detail;
    }
    return record;
  };

  const store: MemoryStore = {
    hooks: {},
    rows,
    eventsAfterCalls: 0,
    add(event) {
      const row: OutboxRow = { id: nextId++, event, json: JSON.stringify(event), createdAtMs: Date.parse(event.receivedAt) };
      rows.push(row);
      return row;
    },
    addQuarantine(input) {
      const record: QuarantineRecord = { ...input, id: quarantine.length + 1 };
      quarantine.push(record);
      return record;
    },
    query(q): EventPage {
      if (q.afterSequence !== undefined) {
        const from = q.cursor === undefined ? q.afterSequence : Math.max(q.afterSequence, decodeCursor(q.cursor));
        const hits = rows.filter((r) => matches(r.event, { ...q, afterSequence: from }))
          .sort((a, b) => a.event.sequence - b.event.sequence);
        const page = hits.slice(0, q.limit);
        const last = page.at(-1);
        const result: EventPage = { events: page.map((r) => r.event) };
        if (hits.length > page.length && last !== undefined) result.nextCursor = encodeCursor(last.event.sequence);
        return result;
      }
      const before = q.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(q.cursor);
      const hits = rows.filter((r) => r.id < before && matches(r.event, q)).reverse();
      const page = hits.slice(0, q.limit);
      const result: EventPage = { events: page.map((r) => r.event) };
      const last = page.at(-1);
      if (hits.length > page.length && last !== undefined) result.nextCursor = encodeCursor(last.id);
      return result;
    },
    get(eventId) {
      return rows.find((r) => r.event.eventId === eventId)?.event;
    },
    eventsAfter(afterId, limit) {
      store.eventsAfterCalls += 1;
      store.hooks.beforeEventsAfter?.(afterId);
      const page = rows.filter((r) => r.id > afterId).slice(0, limit);
      store.hooks.afterEventsAfter?.(afterId, page);
      return page;
    },
    devices() {
      const ids = new Set([...rows.map((r) => r.event.source.device.id), ...quarantine.map((q) => q.deviceId)]);
      return [...ids].sort().map((id) => deviceRecord(id)).filter((d): d is DeviceRecord => d !== undefined);
    },
    device: deviceRecord,
    quarantine(q) {
      const before = q.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(q.cursor);
      const hits = quarantine.filter((r) => r.id < before && (q.deviceId === undefined || r.deviceId === q.deviceId)).reverse();
      const items = hits.slice(0, q.limit);
      const last = items.at(-1);
      return hits.length > items.length && last !== undefined ? { items, nextCursor: encodeCursor(last.id) } : { items };
    },
  };
  for (const e of events) store.add(e);
  return store;
}
