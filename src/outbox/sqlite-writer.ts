/**
 * The write side of the SQLite outbox: one IMMEDIATE transaction per group commit, one
 * savepoint per caller's batch. A batch that breaks an invariant (an event of another device,
 * a duplicate eventId) is rolled back to its savepoint and refused alone; any other failure
 * aborts the whole transaction, so nothing is ever half-written.
 *
 * A batch with a documentKey first looks the key up: found, the batch writes nothing and is a
 * duplicate; not found, the key is inserted in the batch's savepoint, so it commits (or rolls
 * back) with the document's events. Batches of one group run in order, so of two batches with
 * the same key in one group the first wins and the second sees its key.
 */
import Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { BorderlinkError } from '../errors.js';
import type { DetectionEvent } from '../schema/detection-event.js';
import type { Outcome } from './group-commit.js';
import type { AppendBatch, AppendResult, OutboxRow, UnsequencedEvent } from './types.js';

export interface GroupWriteResult {
  outcomes: Outcome<AppendResult>[];
  /** events committed by this write */
  events: number;
}

export interface BatchWriter {
  /** Writes the batches in one transaction; throws when the transaction itself fails. */
  writeGroup(batches: readonly AppendBatch[]): GroupWriteResult;
}

/** keys are hashes ("sha256:<hex>" is 71 characters); anything far longer is a caller's bug */
const MAX_DOCUMENT_KEY_LENGTH = 512;

const CANONICAL_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** observed_at is compared as text, so it is stored in the one canonical RFC 3339 form. */
export function canonicalTime(value: string): string | undefined {
  if (CANONICAL_TIME.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** The event with its sequence placed right after receivedAt, where readers look for it. */
function withSequence(e: UnsequencedEvent, sequence: number): DetectionEvent {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === 'sequence') continue;
    out[k] = v;
    if (k === 'receivedAt') out['sequence'] = sequence;
  }
  if (!('sequence' in out)) out['sequence'] = sequence;
  return out as unknown as DetectionEvent;
}

function refuse(message: string, detail: Record<string, unknown>, cause?: unknown): BorderlinkError {
  return new BorderlinkError('BL_ERR_OUTBOX_REJECTED', message, { detail, cause });
}

export function createBatchWriter(db: Database.Database, clock: Clock): BatchWriter {
  const ensureDevice = db.prepare('INSERT INTO devices (id) VALUES (?) ON CONFLICT(id) DO NOTHING');
  const lastSequence = db.prepare('SELECT last_sequence FROM devices WHERE id = ?').pluck();
  const insertEvent = db.prepare(`INSERT INTO events
    (event_id, device_id, sequence, site_id, device_class, event_type, outcome_state, observed_at, json, created_at_ms)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const updateDevice = db.prepare(`UPDATE devices SET last_sequence = ?, device_class = ?, site_id = ?,
    last_event_row = ?, events_count = events_count + ? WHERE id = ?`);
  const updateStatus = db.prepare(
    'UPDATE devices SET status_state = ?, status_detail = ?, status_since = ? WHERE id = ?',
  );
  const updateState = db.prepare('UPDATE devices SET adapter_state = ? WHERE id = ?');
  const insertArtifactRef = db.prepare('INSERT OR IGNORE INTO event_artifacts (sha256, event_row) VALUES (?, ?)');
  const insertQuarantine = db.prepare(`INSERT INTO quarantine
    (device_id, adapter_id, adapter_version, code, message, raw, received_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const countQuarantine = db.prepare('UPDATE devices SET quarantined_count = quarantined_count + ? WHERE id = ?');
  const documentSeen = db.prepare('SELECT 1 FROM document_keys WHERE device_id = ? AND document_key = ?').pluck();
  const insertDocumentKey = db.prepare('INSERT INTO document_keys (device_id, document_key, committed_at_ms) VALUES (?, ?, ?)');

  const check = (batch: AppendBatch): void => {
    const key: unknown = batch.documentKey;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > MAX_DOCUMENT_KEY_LENGTH)) {
      throw refuse('A batch has an empty, overlong or non-string documentKey', { deviceId: batch.deviceId });
    }
    for (const e of batch.events) {
      if (e.source.device.id !== batch.deviceId) {
        throw refuse('An event belongs to another device than its batch', {
          deviceId: batch.deviceId, eventDeviceId: e.source.device.id, eventId: e.eventId,
        });
      }
      if (canonicalTime(e.observedAt) === undefined) {
        throw refuse('An event has an unreadable observedAt', { eventId: e.eventId, observedAt: e.observedAt });
      }
    }
    for (const q of batch.quarantine ?? []) {
      if (q.deviceId !== batch.deviceId) {
        throw refuse('A quarantine record belongs to another device than its batch', {
          deviceId: batch.deviceId, quarantineDeviceId: q.deviceId,
        });
      }
    }
  };

  /**
   * The adapter state last committed per device, as stored: most frames leave the state as it
   * was (a poll with nothing new), and rewriting an unchanged row costs a B-tree update per frame.
   * Updated only after the transaction commits, so a rolled-back write never poisons it.
   */
  const storedState = new Map<string, string>();
  /** states written by the current transaction's batches, applied to storedState on commit */
  let stateWrites: Array<[string, string]> = [];

  /** Runs inside a savepoint (a nested better-sqlite3 transaction). */
  const writeBatch = db.transaction((batch: AppendBatch, nowMs: number): OutboxRow[] | 'duplicate' => {
    if (batch.documentKey !== undefined) {
      if (documentSeen.get(batch.deviceId, batch.documentKey) !== undefined) return 'duplicate';
      insertDocumentKey.run(batch.deviceId, batch.documentKey, nowMs);
    }
    const quarantine = batch.quarantine ?? [];
    if (batch.events.length === 0 && quarantine.length === 0 && batch.state === undefined) return [];
    ensureDevice.run(batch.deviceId);
    const out: OutboxRow[] = [];
    let sequence = lastSequence.get(batch.deviceId) as number;
    let lastRow = 0;
    let status: DetectionEvent['status'];
    let statusAt = '';
    for (const e of batch.events) {
      sequence += 1;
      const event = withSequence(e, sequence);
      const observedAt = canonicalTime(e.observedAt) as string;
      const json = JSON.stringify(event);
      const info = insertEvent.run(
        e.eventId, batch.deviceId, sequence, e.source.siteId, e.source.device.class, e.eventType,
        e.outcome?.state ?? null, observedAt, json, nowMs,
      );
      lastRow = Number(info.lastInsertRowid);
      for (const a of e.artifacts ?? []) insertArtifactRef.run(a.sha256, lastRow);
      if (e.eventType === 'status' && e.status !== undefined) {
        status = e.status;
        statusAt = e.observedAt;
      }
      out.push({ id: lastRow, event, json, createdAtMs: nowMs });
    }
    const last = batch.events[batch.events.length - 1];
    if (last !== undefined) {
      updateDevice.run(sequence, last.source.device.class, last.source.siteId, lastRow, batch.events.length, batch.deviceId);
    }
    if (status !== undefined) {
      updateStatus.run(status.state, status.detail ?? null, status.since ?? statusAt, batch.deviceId);
    }
    if (batch.state !== undefined) {
      const json = JSON.stringify(batch.state);
      if (storedState.get(batch.deviceId) !== json) {
        updateState.run(json, batch.deviceId);
        stateWrites.push([batch.deviceId, json]);
      }
    }
    for (const q of quarantine) {
      insertQuarantine.run(
        batch.deviceId, q.adapterId, q.adapterVersion, q.code, q.message, q.raw, q.receivedAt,
        q.detail === undefined ? null : JSON.stringify(q.detail),
      );
    }
    if (quarantine.length > 0) countQuarantine.run(quarantine.length, batch.deviceId);
    return out;
  });

  const writeAll = db.transaction((batches: readonly AppendBatch[]): GroupWriteResult => {
    const nowMs = clock.now();
    let events = 0;
    const outcomes = batches.map((batch): Outcome<AppendResult> => {
      const statesBefore = stateWrites.length;
      try {
        check(batch);
        const written = writeBatch(batch, nowMs);
        if (written === 'duplicate') return { ok: true, value: { events: [], rows: [], duplicate: true } };
        events += written.length;
        return { ok: true, value: { events: written.map((r) => r.event), rows: written } };
      } catch (e) {
        // the batch's savepoint was rolled back: so were its state writes
        stateWrites.length = statesBefore;
        if (e instanceof BorderlinkError) return { ok: false, error: e };
        if (e instanceof Database.SqliteError && !e.code.startsWith('SQLITE_CONSTRAINT')) {
          // not this batch's fault (disk full, I/O, busy): abort the whole group
          throw e;
        }
        // a constraint (duplicate eventId) or an unserialisable event: this batch only
        const code = e instanceof Database.SqliteError ? e.code : 'unserialisable';
        return { ok: false, error: refuse('A batch breaks an outbox constraint', { deviceId: batch.deviceId, reason: code }, e) };
      }
    });
    return { outcomes, events };
  });

  return {
    writeGroup: (batches) => {
      stateWrites = [];
      const result = writeAll.immediate(batches);
      for (const [deviceId, json] of stateWrites) storedState.set(deviceId, json);
      stateWrites = [];
      return result;
    },
  };
}
