/**
 * The SQLite outbox (better-sqlite3, WAL, synchronous=FULL): the gateway's one durable queue and
 * its event store. Appends are group-committed so that many devices share one fsync; everything
 * else is a short synchronous statement on the same connection (better-sqlite3 is synchronous,
 * so keep the writer and the readers in one process and let WAL serve readers during commits).
 *
 * Ordering: the events row id (AUTOINCREMENT, never reused) is the global order; per-device
 * sequences come from devices.last_sequence, committed with the events, so they survive
 * restarts and retention alike.
 *
 * Queries: pages are newest first by row id; with afterSequence (which needs deviceId: the
 * consumer's gap-recovery API) they are that device's events with sequence > N, ascending.
 * `since` is inclusive and `until` exclusive, both read as instants and compared with observedAt.
 * Cursors are opaque (see cursor.ts); limits are taken as given, the REST layer caps them.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { createGroupCommitter } from './group-commit.js';
import { applyMigrations, OUTBOX_MIGRATIONS } from './migrations.js';
import { createReader } from './sqlite-reader.js';
import { createBatchWriter } from './sqlite-writer.js';
import type { AppendBatch, AppendResult, Outbox, OutboxStats } from './types.js';

export interface SqliteOutboxOptions {
  /** database file; its directory is created if missing */
  path: string;
  clock: Clock;
  logger: Logger;
  /** a group commit is written as soon as it holds this many events + quarantine records (default 500) */
  batchMaxEvents?: number;
  /** how long a statement waits for a lock held by another connection (default 5000 ms) */
  busyTimeoutMs?: number;
}

export interface PruneOptions {
  /** delete acknowledged events created more than this many ms ago (by the outbox clock) */
  ackedOlderThanMs: number;
  /** at most this many rows per call, to keep the write lock short; call again while it returns maxRows */
  maxRows?: number;
}

export interface OutboxWriteCounters {
  /** group-commit transactions committed */
  commits: number;
  /** group-commit transactions that failed (every caller got BL_ERR_OUTBOX_WRITE) */
  failedCommits: number;
  /** events committed */
  events: number;
  /** batches refused alone with BL_ERR_OUTBOX_REJECTED */
  rejectedBatches: number;
}

export interface SqliteOutbox extends Outbox {
  readonly path: string;
  /**
   * Retention: deletes acknowledged events created before now - ackedOlderThanMs. Never deletes
   * an unacknowledged event, nor a device's last event (devices() keeps showing it). Sequences
   * and row ids continue after pruning. Returns the number of rows deleted.
   */
  prune(opts: PruneOptions): number;
  /** monotonic counters for metrics */
  writeCounters(): OutboxWriteCounters;
}

const ACK_CHUNK = 5000;

function closedError(): BorderlinkError {
  return new BorderlinkError('BL_ERR_OUTBOX_CLOSED', 'The outbox is closed');
}

function openDatabase(file: string, busyTimeoutMs: number): Database.Database {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const db = new Database(file, { timeout: busyTimeoutMs });
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      // bound the WAL file once checkpointed; keep a modest page cache
      db.pragma('journal_size_limit = 67108864');
      db.pragma('cache_size = -16384');
      db.pragma('temp_store = MEMORY');
      return db;
    } catch (e) {
      db.close();
      throw e;
    }
  } catch (e) {
    throw new BorderlinkError('BL_ERR_OUTBOX_OPEN', 'The outbox database could not be opened', {
      cause: e, detail: { path: file, reason: describeError(e).message },
    });
  }
}

export function openSqliteOutbox(opts: SqliteOutboxOptions): SqliteOutbox {
  const { clock, logger } = opts;
  const busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
  const batchMaxEvents = Math.max(1, opts.batchMaxEvents ?? 500);
  const db = openDatabase(opts.path, busyTimeoutMs);

  let schemaVersion: number;
  let reader: ReturnType<typeof createReader>;
  let writer: ReturnType<typeof createBatchWriter>;
  try {
    schemaVersion = applyMigrations(db, OUTBOX_MIGRATIONS, { clock, logger });
    reader = createReader(db);
    writer = createBatchWriter(db, clock);
  } catch (e) {
    db.close();
    if (e instanceof BorderlinkError) throw e;
    throw new BorderlinkError('BL_ERR_OUTBOX_OPEN', 'The outbox database could not be migrated', {
      cause: e, detail: { path: opts.path, reason: describeError(e).message },
    });
  }

  const ackChunk = db.prepare(
    'UPDATE events SET acked_at_ms = ? WHERE acked_at_ms IS NULL AND id IN (SELECT value FROM json_each(?))',
  );
  const ackAll = db.transaction((ids: readonly number[], nowMs: number): number => {
    let changed = 0;
    for (let i = 0; i < ids.length; i += ACK_CHUNK) {
      changed += ackChunk.run(nowMs, JSON.stringify(ids.slice(i, i + ACK_CHUNK))).changes;
    }
    return changed;
  });
  const pruneStmt = db.prepare(`DELETE FROM events WHERE id IN (
      SELECT id FROM events
      WHERE acked_at_ms IS NOT NULL AND created_at_ms < ?
        AND id NOT IN (SELECT last_event_row FROM devices WHERE last_event_row IS NOT NULL)
      ORDER BY created_at_ms LIMIT ?)`);

  // depth is read on every relay turn and metrics scrape: keep it in memory, exact, from open
  let depth = reader.countUnacked();
  let state: 'open' | 'closing' | 'closed' = 'open';
  let closing: Promise<void> | undefined;
  const counters: OutboxWriteCounters = { commits: 0, failedCommits: 0, events: 0, rejectedBatches: 0 };

  const committer = createGroupCommitter<AppendBatch, AppendResult>({
    maxWeight: batchMaxEvents,
    weigh: (b) => b.events.length + (b.quarantine?.length ?? 0),
    write: (batches) => {
      const result = writer.writeGroup(batches);
      counters.commits += 1;
      counters.events += result.events;
      depth += result.events;
      for (const o of result.outcomes) {
        if (!o.ok) {
          counters.rejectedBatches += 1;
          logger.error({ code: o.error.code, err: o.error.message, detail: o.error.detail }, 'outbox batch rejected');
        }
      }
      return result.outcomes;
    },
    failure: (cause, callers) => {
      counters.failedCommits += 1;
      const why = describeError(cause);
      logger.error({ callers, err: why.message }, 'outbox group commit failed');
      return new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'The outbox could not commit a group of appends', {
        cause, detail: { callers, reason: why.message },
      });
    },
  });

  /** sync methods run only while the database is open */
  const live = <T>(fn: () => T): T => {
    if (state === 'closed') throw closedError();
    return fn();
  };

  logger.info({ path: opts.path, schemaVersion, depth, batchMaxEvents }, 'outbox opened');

  return {
    path: opts.path,

    append(batch) {
      if (state !== 'open') return Promise.reject(closedError());
      return committer.submit(batch);
    },

    loadState: (deviceId) => live(() => reader.loadState(deviceId)),
    lease: (afterId, limit) => live(() => reader.lease(afterId, limit)),

    ack(ids) {
      live(() => {
        const valid = ids.filter((id) => Number.isSafeInteger(id));
        if (valid.length === 0) return;
        // An ack need not be fsynced on its own: losing one in a crash only means that event is
        // published again (at-least-once, same eventId). The next FULL commit of events syncs the
        // WAL, acks included. Measured: halves the fsyncs under load.
        try {
          db.pragma('synchronous = NORMAL');
          try {
            depth -= ackAll.immediate(valid, clock.now());
          } finally {
            db.pragma('synchronous = FULL');
          }
        } catch (e) {
          throw new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'The outbox could not record acknowledgements', {
            cause: e, detail: { ids: valid.length, reason: describeError(e).message },
          });
        }
      });
    },

    stats: (nowMs): OutboxStats => live(() => {
      if (depth === 0) return { depth: 0, oldestAgeSeconds: 0 };
      const oldest = reader.oldestUnackedMs();
      return { depth, oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (nowMs - oldest) / 1000) };
    }),

    eventsAfter: (afterId, limit) => live(() => reader.eventsAfter(afterId, limit)),
    rowIdOf: (eventId) => live(() => reader.rowIdOf(eventId)),
    query: (q) => live(() => reader.query(q)),
    get: (eventId) => live(() => reader.get(eventId)),
    devices: () => live(() => reader.devices()),
    device: (id) => live(() => reader.device(id)),
    quarantine: (q) => live(() => reader.quarantine(q)),

    integrityCheck: () => live(() => {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[];
      return rows.map((r) => r.integrity_check).join('\n');
    }),

    prune: (p) => live(() => {
      if (!Number.isFinite(p.ackedOlderThanMs) || p.ackedOlderThanMs < 0) {
        throw new BorderlinkError('BL_ERR_OUTBOX_QUERY_INVALID', 'ackedOlderThanMs must be a non-negative number', {
          detail: { ackedOlderThanMs: p.ackedOlderThanMs },
        });
      }
      const maxRows = p.maxRows === undefined ? -1 : Math.max(0, Math.floor(p.maxRows));
      try {
        const deleted = pruneStmt.run(clock.now() - p.ackedOlderThanMs, maxRows).changes;
        if (deleted > 0) logger.info({ deleted, ackedOlderThanMs: p.ackedOlderThanMs }, 'outbox pruned');
        return deleted;
      } catch (e) {
        throw new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'The outbox could not prune old events', {
          cause: e, detail: { reason: describeError(e).message },
        });
      }
    }),

    writeCounters: () => ({ ...counters }),

    close() {
      closing ??= new Promise<void>((resolve) => {
        state = 'closing';
        committer.flush();
        try {
          db.pragma('optimize');
        } catch (e) {
          logger.warn({ err: describeError(e).message }, 'outbox optimize failed');
        }
        try {
          db.close();
        } catch (e) {
          logger.error({ err: describeError(e).message }, 'outbox close failed');
        }
        state = 'closed';
        logger.info({ path: opts.path, depth }, 'outbox closed');
        resolve();
      });
      return closing;
    },
  };
}
