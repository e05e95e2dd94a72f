/**
 * The read side of the SQLite outbox: the relay's lease, SSE resume and the REST queries.
 * Every listing walks an index in row-id (or per-device sequence) order and stops at the page
 * size, so a page costs the same on a day-old store as on a year-old one.
 */
import type Database from 'better-sqlite3';
import { BorderlinkError, type ErrorCode } from '../errors.js';
import type { DetectionEvent, DeviceClass, DeviceState, JsonValue } from '../schema/detection-event.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { canonicalTime } from './sqlite-writer.js';
import type { DeviceRecord, EventPage, EventQuery, OutboxRow, QuarantineRecord } from './types.js';

/**
 * `maxId` (lease, eventsAfter, query) is the highest row id known to be on disk: rows committed
 * but still waiting for their fsync (wal-sync.ts) are not handed out, so nothing is published or
 * served that a power cut could take back.
 */
export interface OutboxReader {
  lease(afterId: number, limit: number, maxId: number): OutboxRow[];
  eventsAfter(afterId: number, limit: number, maxId: number): OutboxRow[];
  rowIdOf(eventId: string): number | undefined;
  get(eventId: string): DetectionEvent | undefined;
  /** the events referencing an artifact in event.artifacts, newest first, at most `limit` */
  eventsWithArtifact(sha256: string, limit: number, maxId: number): DetectionEvent[];
  query(q: EventQuery, maxId: number): EventPage;
  devices(): DeviceRecord[];
  device(id: string): DeviceRecord | undefined;
  quarantine(q: { deviceId?: string; cursor?: string; limit: number }): { items: QuarantineRecord[]; nextCursor?: string };
  loadState(deviceId: string): JsonValue | undefined;
  /** created_at_ms of the oldest unacknowledged row */
  oldestUnackedMs(): number | undefined;
  countUnacked(): number;
  countAll(): number;
  maxId(): number;
  /** bytes the quarantine records take, by quarantineRecordBytes' measure */
  quarantineBytes(): number;
}

interface EventRowDb { id: number; json: string; created_at_ms: number }
interface DeviceRowDb {
  id: string;
  device_class: string | null;
  site_id: string | null;
  last_sequence: number;
  status_state: string | null;
  status_detail: string | null;
  status_since: string | null;
  events_count: number;
  quarantined_count: number;
  last_json: string | null;
}
interface QuarantineRowDb {
  id: number;
  device_id: string;
  adapter_id: string;
  adapter_version: string;
  code: string;
  message: string;
  raw: Buffer;
  received_at: string;
  detail: string | null;
}

function invalid(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_OUTBOX_QUERY_INVALID', message, { detail });
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw invalid('limit must be a positive integer', { limit });
}

/** The event is parsed on first use: the relay publishes `json` as stored and rarely needs more. */
function toRow(r: EventRowDb): OutboxRow {
  let parsed: DetectionEvent | undefined;
  return {
    id: r.id,
    json: r.json,
    createdAtMs: r.created_at_ms,
    get event(): DetectionEvent {
      parsed ??= JSON.parse(r.json) as DetectionEvent;
      return parsed;
    },
  };
}

function toDevice(r: DeviceRowDb): DeviceRecord {
  const d: DeviceRecord = {
    id: r.id,
    lastSequence: r.last_sequence,
    counters: { events: r.events_count, quarantined: r.quarantined_count },
  };
  if (r.device_class !== null) d.deviceClass = r.device_class as DeviceClass;
  if (r.site_id !== null) d.siteId = r.site_id;
  if (r.status_state !== null) {
    d.status = { state: r.status_state as DeviceState, since: r.status_since ?? '' };
    if (r.status_detail !== null) d.status.detail = r.status_detail;
  }
  if (r.last_json !== null) d.lastEvent = JSON.parse(r.last_json) as DetectionEvent;
  return d;
}

function toQuarantine(r: QuarantineRowDb): QuarantineRecord {
  const q: QuarantineRecord = {
    id: r.id,
    deviceId: r.device_id,
    adapterId: r.adapter_id,
    adapterVersion: r.adapter_version,
    code: r.code as ErrorCode,
    message: r.message,
    raw: r.raw,
    receivedAt: r.received_at,
  };
  if (r.detail !== null) q.detail = JSON.parse(r.detail) as { [key: string]: JsonValue };
  return q;
}

function queryTime(name: 'since' | 'until', value: string): string {
  const t = canonicalTime(value);
  if (t === undefined) throw invalid(`${name} is not an RFC 3339 time`, { [name]: value });
  return t;
}

export function createReader(db: Database.Database): OutboxReader {
  const leaseStmt = db.prepare<[number, number, number], EventRowDb>(
    'SELECT id, json, created_at_ms FROM events WHERE acked_at_ms IS NULL AND id > ? AND id <= ? ORDER BY id LIMIT ?',
  );
  const afterStmt = db.prepare<[number, number, number], EventRowDb>(
    'SELECT id, json, created_at_ms FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?',
  );
  const rowIdStmt = db.prepare<[string], number>('SELECT id FROM events WHERE event_id = ?').pluck();
  const getStmt = db.prepare<[string], string>('SELECT json FROM events WHERE event_id = ?').pluck();
  const artifactEventsStmt = db.prepare<[string, number, number], string>(`SELECT e.json FROM event_artifacts x JOIN events e ON e.id = x.event_row
    WHERE x.sha256 = ? AND x.event_row <= ? ORDER BY x.event_row DESC LIMIT ?`).pluck();
  const deviceSql = `SELECT d.id, d.device_class, d.site_id, d.last_sequence, d.status_state, d.status_detail,
      d.status_since, d.events_count, d.quarantined_count, e.json AS last_json
    FROM devices d LEFT JOIN events e ON e.id = d.last_event_row`;
  const devicesStmt = db.prepare<[], DeviceRowDb>(`${deviceSql} ORDER BY d.id`);
  const deviceStmt = db.prepare<[string], DeviceRowDb>(`${deviceSql} WHERE d.id = ?`);
  const stateStmt = db.prepare<[string], string | null>('SELECT adapter_state FROM devices WHERE id = ?').pluck();
  const oldestStmt = db.prepare<[], number>(
    'SELECT created_at_ms FROM events WHERE acked_at_ms IS NULL ORDER BY id LIMIT 1',
  ).pluck();
  const countStmt = db.prepare<[], number>('SELECT COUNT(*) FROM events WHERE acked_at_ms IS NULL').pluck();
  const countAllStmt = db.prepare<[], number>('SELECT COUNT(*) FROM events').pluck();
  const maxIdStmt = db.prepare<[], number>('SELECT COALESCE(MAX(id), 0) FROM events').pluck();
  // the same measure as capacity.ts quarantineRecordBytes
  const quarantineBytesStmt = db.prepare<[], number>(`SELECT COALESCE(SUM(length(raw) + length(message)
    + length(adapter_id) + COALESCE(length(detail), 0) + 96), 0) FROM quarantine`).pluck();

  /** dynamic filters make a bounded set of statements: prepare each shape once */
  const shapes = new Map<string, Database.Statement<unknown[], unknown>>();
  const shaped = (sql: string): Database.Statement<unknown[], unknown> => {
    let s = shapes.get(sql);
    if (s === undefined) {
      s = db.prepare<unknown[], unknown>(sql);
      shapes.set(sql, s);
    }
    return s;
  };

  const query = (q: EventQuery, maxId: number): EventPage => {
    checkLimit(q.limit);
    const where: string[] = ['id <= ?'];
    const params: unknown[] = [maxId];
    const eq = (column: string, value: string | undefined): void => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    eq('device_id', q.deviceId);
    eq('site_id', q.siteId);
    eq('device_class', q.deviceClass);
    eq('event_type', q.eventType);
    eq('outcome_state', q.outcomeState);
    if (q.since !== undefined) {
      where.push('observed_at >= ?');
      params.push(queryTime('since', q.since));
    }
    if (q.until !== undefined) {
      where.push('observed_at < ?');
      params.push(queryTime('until', q.until));
    }
    const bySequence = q.afterSequence !== undefined;
    let order: string;
    if (q.afterSequence !== undefined) {
      if (q.deviceId === undefined) throw invalid('afterSequence needs deviceId', { afterSequence: q.afterSequence });
      if (!Number.isSafeInteger(q.afterSequence) || q.afterSequence < 0) {
        throw invalid('afterSequence must be a non-negative integer', { afterSequence: q.afterSequence });
      }
      const from = q.cursor === undefined ? q.afterSequence : Math.max(q.afterSequence, decodeCursor('s', q.cursor));
      where.push('sequence > ?');
      params.push(from);
      order = 'sequence ASC';
    } else {
      if (q.cursor !== undefined) {
        where.push('id < ?');
        params.push(decodeCursor('r', q.cursor));
      }
      order = 'id DESC';
    }
    const sql = `SELECT id, sequence, json FROM events WHERE ${where.join(' AND ')}
      ORDER BY ${order} LIMIT ?`;
    const rows = shaped(sql).all(...params, q.limit + 1) as { id: number; sequence: number; json: string }[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const result: EventPage = { events: page.map((r) => JSON.parse(r.json) as DetectionEvent) };
    const last = page[page.length - 1];
    if (more && last !== undefined) {
      result.nextCursor = bySequence ? encodeCursor('s', last.sequence) : encodeCursor('r', last.id);
    }
    return result;
  };

  const quarantine = (q: { deviceId?: string; cursor?: string; limit: number }): {
    items: QuarantineRecord[]; nextCursor?: string;
  } => {
    checkLimit(q.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.deviceId !== undefined) {
      where.push('device_id = ?');
      params.push(q.deviceId);
    }
    if (q.cursor !== undefined) {
      where.push('id < ?');
      params.push(decodeCursor('q', q.cursor));
    }
    const sql = `SELECT id, device_id, adapter_id, adapter_version, code, message, raw, received_at, detail
      FROM quarantine${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    const rows = shaped(sql).all(...params, q.limit + 1) as QuarantineRowDb[];
    const more = rows.length > q.limit;
    const page = more ? rows.slice(0, q.limit) : rows;
    const last = page[page.length - 1];
    const out: { items: QuarantineRecord[]; nextCursor?: string } = { items: page.map(toQuarantine) };
    if (more && last !== undefined) out.nextCursor = encodeCursor('q', last.id);
    return out;
  };

  return {
    lease: (afterId, limit, maxId) => (limit < 1 || afterId >= maxId ? [] : leaseStmt.all(afterId, maxId, limit).map(toRow)),
    eventsAfter: (afterId, limit, maxId) => (limit < 1 || afterId >= maxId ? [] : afterStmt.all(afterId, maxId, limit).map(toRow)),
    rowIdOf: (eventId) => rowIdStmt.get(eventId),
    eventsWithArtifact: (sha256, limit, maxId) => (artifactEventsStmt.all(sha256, maxId, limit) as string[]).map((j) => JSON.parse(j) as DetectionEvent),
    get: (eventId) => {
      const json = getStmt.get(eventId);
      return json === undefined ? undefined : (JSON.parse(json) as DetectionEvent);
    },
    query,
    devices: () => devicesStmt.all().map(toDevice),
    device: (id) => {
      const r = deviceStmt.get(id);
      return r === undefined ? undefined : toDevice(r);
    },
    quarantine,
    loadState: (deviceId) => {
      const s = stateStmt.get(deviceId);
      return s === undefined || s === null ? undefined : (JSON.parse(s) as JsonValue);
    },
    oldestUnackedMs: () => oldestStmt.get(),
    countUnacked: () => countStmt.get() ?? 0,
    countAll: () => countAllStmt.get() ?? 0,
    maxId: () => maxIdStmt.get() ?? 0,
    quarantineBytes: () => quarantineBytesStmt.get() ?? 0,
  };
}
