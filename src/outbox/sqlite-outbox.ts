/**
 * The SQLite outbox (better-sqlite3, WAL, durable commits): the gateway's one durable queue and
 * its event store. Appends are group-committed so that many devices share one fsync; everything
 * else is a short synchronous statement on the same connection (better-sqlite3 is synchronous,
 * so keep the writer and the readers in one process and let WAL serve readers during commits).
 *
 * Ordering: the events row id (AUTOINCREMENT, never reused) is the global order; per-device
 * sequences come from devices.last_sequence, committed with the events, so they survive
 * restarts and retention alike.
 *
 * Durability: the connection runs synchronous=NORMAL and wal-sync.ts fdatasyncs the WAL off the
 * event loop; an append resolves, and its rows become visible to lease/eventsAfter/query and to
 * subscribers, only once that sync is done: the guarantee of synchronous=FULL without blocking
 * the loop for the disk. (get, rowIdOf and devices() may show a row during its sync, a few ms.)
 *
 * Capacity (capacity.ts): live bytes are measured after every commit; past outbox.maxBytes event
 * appends are refused with BL_ERR_OUTBOX_FULL, quarantine records draw on their own budget.
 * Retention runs in maintain() (a timer): acknowledged events past their age or count, then, while
 * the store is above the warning level, the oldest acknowledged events first; quarantine records
 * past their age. Unacknowledged events are never deleted.
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
import {
  admit, checkCapacityPolicy, DEFAULT_CAPACITY, HYSTERESIS_FRACTION, nextCapacityState, quarantineRecordBytes,
  type CapacityPolicy, type CapacityReport, type CapacityState,
} from './capacity.js';
import { AUTOCHECKPOINT_BACKSTOP_PAGES, startCheckpointer, type Checkpointer } from './checkpointer.js';
import { createGroupCommitter } from './group-commit.js';
import { applyMigrations, OUTBOX_MIGRATIONS } from './migrations.js';
import { createReader } from './sqlite-reader.js';
import { createBatchWriter } from './sqlite-writer.js';
import type { AppendBatch, AppendResult, Outbox, OutboxRow, OutboxStats } from './types.js';
import { createWalSyncer } from './wal-sync.js';

export interface SqliteOutboxOptions {
  /** database file; its directory is created if missing */
  path: string;
  clock: Clock;
  logger: Logger;
  /** a group commit is written as soon as it holds this many events + quarantine records (default 500) */
  batchMaxEvents?: number;
  /** how long a statement waits for a lock held by another connection (default 5000 ms) */
  busyTimeoutMs?: number;
  /** the disk cap (defaults: 1 GiB, warn at 0.8, quarantine budget 64 MiB) */
  capacity?: Partial<CapacityPolicy>;
  retention?: RetentionPolicy;
  /**
   * ms between maintain() runs (retention, pressure pruning, capacity state); default 1000.
   * 0: no timer (tests call maintain() themselves).
   */
  maintenanceIntervalMs?: number;
  /**
   * ms between PASSIVE checkpoints on a worker thread (checkpointer.ts); default 100.
   * 0: SQLite's own autocheckpoint, on the committing (JavaScript) thread.
   */
  checkpointIntervalMs?: number;
}

export interface RetentionPolicy {
  /** acknowledged events older than this are deleted; 0 or absent: no age limit */
  ackedMaxAgeMs?: number;
  /** at most this many acknowledged events are kept, oldest deleted first; 0 or absent: no limit */
  maxAckedEvents?: number;
  /** quarantine records received longer ago than this are deleted; 0 or absent: kept */
  quarantineMaxAgeMs?: number;
}

/** What one maintain() run did. */
export interface MaintenanceResult {
  prunedByAge: number;
  prunedByCount: number;
  /** acknowledged events deleted because the store was above its warning level */
  prunedForSpace: number;
  quarantinePruned: number;
  capacity: CapacityReport;
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
  /** appends refused with BL_ERR_OUTBOX_FULL (event cap or quarantine budget) */
  refusedFull: number;
  /** fdatasyncs of the WAL that answered appends */
  syncs: number;
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
  subscribe(listener: (rows: readonly OutboxRow[]) => void): () => void;
  /** the last measured size and cap state (in memory, cheap) */
  capacity(): CapacityReport;
  /** Called with the new report whenever the state changes (ok / warn / full). */
  onCapacityChange(listener: (report: CapacityReport) => void): void;
  /** Retention and pressure pruning, then a fresh measure; runs on a timer, callable directly. */
  maintain(): MaintenanceResult;
}

const ACK_CHUNK = 5000;
/** rows per retention DELETE: a short write lock, a short stall of the event loop */
const PRUNE_CHUNK = 2000;
/** chunks per maintain() run: up to 10 000 deletions a second at the default interval */
const PRUNE_CHUNKS_PER_RUN = 5;

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
      // commits write the WAL without fsync; wal-sync.ts syncs it before anyone is answered
      db.pragma('synchronous = NORMAL');
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
  const policy: CapacityPolicy = { ...DEFAULT_CAPACITY, ...opts.capacity };
  const policyProblem = checkCapacityPolicy(policy);
  if (policyProblem !== undefined) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `outbox capacity: ${policyProblem}`, { detail: { ...policy } });
  }
  const retention = opts.retention ?? {};
  const db = openDatabase(opts.path, busyTimeoutMs);

  let schemaVersion: number;
  let reader: ReturnType<typeof createReader>;
  let writer: ReturnType<typeof createBatchWriter>;
  const syncer = createWalSyncer(opts.path);
  try {
    schemaVersion = applyMigrations(db, OUTBOX_MIGRATIONS, { clock, logger });
    reader = createReader(db);
    writer = createBatchWriter(db, clock);
    // whatever a crashed run committed without its sync is made durable before it is served
    syncer.syncNow();
  } catch (e) {
    syncer.close();
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
  const pruneQuarantineStmt = db.prepare(
    'DELETE FROM quarantine WHERE id IN (SELECT id FROM quarantine WHERE received_at < ? ORDER BY id LIMIT ?)',
  );
  const pageCount = db.prepare('PRAGMA page_count').pluck();
  const freePages = db.prepare('PRAGMA freelist_count').pluck();
  const pageSize = db.pragma('page_size', { simple: true }) as number;

  // depth is read on every relay turn and metrics scrape: keep it in memory, exact, from open
  let depth = reader.countUnacked();
  /** all event rows, acknowledged or not (retention by count needs the acknowledged ones) */
  let rowCount = reader.countAll();
  /** the highest row id on disk: readers see nothing above it */
  let durableId = reader.maxId();
  let quarantineBytes = reader.quarantineBytes();
  let capState: CapacityState = 'ok';
  let liveBytes = 0;
  let state: 'open' | 'closing' | 'closed' = 'open';
  /** a failed WAL sync leaves commits of unknown durability: refuse writes until a restart */
  let broken: BorderlinkError | undefined;
  let closing: Promise<void> | undefined;
  const counters = { commits: 0, failedCommits: 0, events: 0, rejectedBatches: 0, refusedFull: 0 };
  const subscribers = new Set<(rows: readonly OutboxRow[]) => void>();
  const capacityListeners: Array<(r: CapacityReport) => void> = [];

  const report = (): CapacityReport => ({
    state: capState,
    bytes: liveBytes,
    capBytes: policy.maxBytes,
    warnBytes: Math.floor(policy.warnAtFraction * policy.maxBytes),
    quarantineBytes,
    quarantineCapBytes: policy.quarantineMaxBytes,
  });

  /** Measures live bytes (two header reads) and moves the cap state; tells listeners of a change. */
  const measure = (): void => {
    liveBytes = ((pageCount.get() as number) - (freePages.get() as number)) * pageSize;
    const next = nextCapacityState(capState, liveBytes, policy);
    if (next === capState) return;
    const before = capState;
    capState = next;
    const r = report();
    const fields = { from: before, to: next, bytes: liveBytes, capBytes: policy.maxBytes, depth };
    if (next === 'full') logger.error({ ...fields, code: 'BL_ERR_OUTBOX_FULL' }, 'outbox at its size cap: device events refused');
    else if (next === 'warn') logger.warn(fields, 'outbox nearing its size cap');
    else logger.info(fields, 'outbox below its size warning level');
    for (const l of capacityListeners) {
      try {
        l(r);
      } catch (e) {
        logger.error({ err: describeError(e).message }, 'outbox capacity listener threw');
      }
    }
  };

  const committer = createGroupCommitter<AppendBatch, AppendResult>({
    maxWeight: batchMaxEvents,
    weigh: (b) => b.events.length + (b.quarantine?.length ?? 0),
    write: (batches) => {
      const result = writer.writeGroup(batches);
      counters.commits += 1;
      counters.events += result.events;
      depth += result.events;
      rowCount += result.events;
      result.outcomes.forEach((o, i) => {
        if (!o.ok) {
          counters.rejectedBatches += 1;
          logger.error({ code: o.error.code, err: o.error.message, detail: o.error.detail }, 'outbox batch rejected');
        } else if (o.value.duplicate !== true) {
          for (const q of batches[i]?.quarantine ?? []) quarantineBytes += quarantineRecordBytes(q);
        }
      });
      measure();
      return result.outcomes;
    },
    durable: (outcomes) => {
      const rows: OutboxRow[] = [];
      for (const o of outcomes) if (o.ok) rows.push(...o.value.rows);
      return syncer.sync().then(() => {
        const last = rows[rows.length - 1];
        if (last !== undefined && last.id > durableId) durableId = last.id;
        if (rows.length > 0) {
          for (const l of subscribers) {
            try {
              l(rows);
            } catch (e) {
              logger.error({ err: describeError(e).message }, 'outbox subscriber threw');
            }
          }
        }
      }, (cause: unknown) => {
        broken ??= new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'The outbox WAL could not be synced to disk; restart the gateway', {
          cause, detail: { reason: describeError(cause).message },
        });
        logger.fatal({ err: describeError(cause).message, path: opts.path }, 'outbox fsync failed: appends refused until restart');
        throw cause;
      });
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

  const prune = (olderThanMs: number, maxRows: number): number => {
    const deleted = pruneStmt.run(olderThanMs, maxRows).changes;
    rowCount -= deleted;
    return deleted;
  };

  /** Runs `step` (a chunked DELETE) until it deletes less than a chunk or the run's budget is spent. */
  const chunked = (step: (limit: number) => number, budget: { chunks: number }): number => {
    let total = 0;
    while (budget.chunks > 0) {
      budget.chunks -= 1;
      const n = step(PRUNE_CHUNK);
      total += n;
      if (n < PRUNE_CHUNK) break;
    }
    return total;
  };

  const maintain = (): MaintenanceResult => live(() => {
    const budget = { chunks: PRUNE_CHUNKS_PER_RUN };
    const now = clock.now();
    let prunedByAge = 0;
    let prunedByCount = 0;
    let prunedForSpace = 0;
    let quarantinePruned = 0;
    try {
      if ((retention.ackedMaxAgeMs ?? 0) > 0) {
        prunedByAge = chunked((n) => prune(now - (retention.ackedMaxAgeMs as number), n), budget);
      }
      const maxAcked = retention.maxAckedEvents ?? 0;
      if (maxAcked > 0) {
        prunedByCount = chunked((n) => {
          const excess = rowCount - depth - maxAcked;
          return excess <= 0 ? 0 : prune(Number.MAX_SAFE_INTEGER, Math.min(n, excess));
        }, budget);
      }
      if ((retention.quarantineMaxAgeMs ?? 0) > 0) {
        const horizon = new Date(now - (retention.quarantineMaxAgeMs as number)).toISOString();
        quarantinePruned = chunked((n) => pruneQuarantineStmt.run(horizon, n).changes, budget);
        if (quarantinePruned > 0) quarantineBytes = reader.quarantineBytes();
      }
      measure();
      // the cap wins over retention: above the warning level, published events go first, oldest first
      const target = (policy.warnAtFraction - HYSTERESIS_FRACTION) * policy.maxBytes;
      while (liveBytes >= target && rowCount - depth > 0 && budget.chunks > 0) {
        budget.chunks -= 1;
        const n = prune(Number.MAX_SAFE_INTEGER, PRUNE_CHUNK);
        prunedForSpace += n;
        measure();
        if (n === 0) break;
      }
    } catch (e) {
      logger.warn({ err: describeError(e).message }, 'outbox maintenance failed');
    }
    const pruned = prunedByAge + prunedByCount + prunedForSpace;
    if (pruned > 0 || quarantinePruned > 0) {
      logger.info({ prunedByAge, prunedByCount, prunedForSpace, quarantinePruned, bytes: liveBytes }, 'outbox pruned');
    }
    return { prunedByAge, prunedByCount, prunedForSpace, quarantinePruned, capacity: report() };
  });

  measure();
  const checkpointIntervalMs = opts.checkpointIntervalMs ?? 100;
  let checkpointer: Checkpointer | undefined;
  if (checkpointIntervalMs > 0) {
    db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_BACKSTOP_PAGES}`);
    checkpointer = startCheckpointer({ path: opts.path, intervalMs: checkpointIntervalMs, logger });
  }
  const intervalMs = opts.maintenanceIntervalMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  if (intervalMs > 0) {
    timer = setInterval(() => {
      if (state === 'open') maintain();
    }, intervalMs);
    timer.unref();
  }

  logger.info({ path: opts.path, schemaVersion, depth, batchMaxEvents, bytes: liveBytes, capBytes: policy.maxBytes, capacity: capState }, 'outbox opened');

  return {
    path: opts.path,

    append(batch) {
      if (state !== 'open') return Promise.reject(closedError());
      if (broken !== undefined) return Promise.reject(broken);
      const quarantine = batch.quarantine ?? [];
      const verdict = admit(capState, {
        events: batch.events.length,
        quarantine: quarantine.length,
        quarantineBytes: quarantine.reduce((n, q) => n + quarantineRecordBytes(q), 0),
        essential: batch.essential === true,
      }, quarantineBytes, policy);
      if (verdict === 'refuse') {
        counters.refusedFull += 1;
        const what = batch.events.length > 0 && capState === 'full' ? 'events' : 'quarantine';
        return Promise.reject(new BorderlinkError('BL_ERR_OUTBOX_FULL', what === 'events'
          ? 'The outbox is at its size cap; events are refused until published events can be pruned'
          : 'The quarantine is at its size budget', {
          detail: { deviceId: batch.deviceId, bytes: liveBytes, capBytes: policy.maxBytes, quarantineBytes, quarantineCapBytes: policy.quarantineMaxBytes, refused: what },
        }));
      }
      return committer.submit(batch);
    },

    loadState: (deviceId) => live(() => reader.loadState(deviceId)),
    lease: (afterId, limit) => live(() => reader.lease(afterId, limit, durableId)),

    ack(ids) {
      live(() => {
        const valid = ids.filter((id) => Number.isSafeInteger(id));
        if (valid.length === 0) return;
        // An ack is not synced on its own: losing one in a crash only means that event is
        // published again (at-least-once, same eventId). The next synced commit carries it.
        try {
          depth -= ackAll.immediate(valid, clock.now());
        } catch (e) {
          throw new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'The outbox could not record acknowledgements', {
            cause: e, detail: { ids: valid.length, reason: describeError(e).message },
          });
        }
      });
    },

    subscribe(listener) {
      subscribers.add(listener);
      return () => {
        subscribers.delete(listener);
      };
    },

    stats: (nowMs): OutboxStats => live(() => {
      if (depth === 0) return { depth: 0, oldestAgeSeconds: 0 };
      const oldest = reader.oldestUnackedMs();
      return { depth, oldestAgeSeconds: oldest === undefined ? 0 : Math.max(0, (nowMs - oldest) / 1000) };
    }),

    eventsAfter: (afterId, limit) => live(() => reader.eventsAfter(afterId, limit, durableId)),
    rowIdOf: (eventId) => live(() => reader.rowIdOf(eventId)),
    query: (q) => live(() => reader.query(q, durableId)),
    get: (eventId) => live(() => reader.get(eventId)),
    eventsWithArtifact: (sha256, limit) => live(() => reader.eventsWithArtifact(sha256, limit, durableId)),
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
        const deleted = prune(clock.now() - p.ackedOlderThanMs, maxRows);
        if (deleted > 0) logger.info({ deleted, ackedOlderThanMs: p.ackedOlderThanMs }, 'outbox pruned');
        measure();
        return deleted;
      } catch (e) {
        throw new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'The outbox could not prune old events', {
          cause: e, detail: { reason: describeError(e).message },
        });
      }
    }),

    writeCounters: () => ({ ...counters, syncs: syncer.syncs }),
    capacity: () => report(),
    onCapacityChange(listener) {
      capacityListeners.push(listener);
    },
    maintain,

    close() {
      closing ??= (async () => {
        state = 'closing';
        if (timer !== undefined) clearInterval(timer);
        committer.flush();
        // answer the last group(s): their sync must finish before the file is closed
        await syncer.idle();
        // the checkpointer's connection closes first: the last one out checkpoints and removes the WAL
        await checkpointer?.stop();
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
        syncer.close();
        state = 'closed';
        logger.info({ path: opts.path, depth }, 'outbox closed');
      })();
      return closing;
    },
  };
}
