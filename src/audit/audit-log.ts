/**
 * The tamper-evident audit log: an append-only, hash-chained JSON-lines file (line format and
 * hash: record.ts). Every access decision, configuration load and operator decision goes here;
 * `borderlink audit verify` (verify.ts) checks the chain and names the first broken line.
 *
 * Writing. append() is synchronous and never throws: it stamps seq, time, prev and hash at
 * once (so the chain order is the call order) and queues the line. The queue is written in
 * order with one write() per batch, scheduled with setImmediate, so a burst of appends in one
 * tick is one write. Nothing waits on the disk in the caller's path.
 *
 * Durability window. Written lines are fdatasync'ed at most every `syncIntervalMs` (default
 * 1000 ms): the first batch after a quiet spell is synced at once, later ones when the interval
 * since the last sync has passed. A process crash loses nothing already written (the OS has it);
 * a power loss or kernel crash can lose the lines appended in the last syncIntervalMs plus those
 * still queued (normally one tick). flush() and close() write and fdatasync everything queued.
 *
 * Failures. A failed write is logged (BL_ERR_AUDIT_WRITE) and counted in stats.writeErrors; its
 * lines stay queued, in order, and are retried (1 s, doubling to 30 s). Before a retry the file is
 * truncated back to the last byte known good, so a half-written batch never leaves a torn line
 * in the middle. While more than `maxQueuedLines` wait, new entries are dropped before they are
 * chained (so the chain in the file stays intact) and counted in stats.dropped. Export stats
 * (e.g. a prom-client Gauge with collect()) to alert on writeErrors/dropped.
 *
 * Restart. openAuditLog() reads the end of the file backwards in 64 KiB chunks (never the whole
 * file) to find the last complete line, checks that line on its own (JSON, canonical bytes,
 * hash) and continues the chain from its seq and hash. The chain as a whole is not re-verified at
 * open: that is `borderlink audit verify`'s job.
 *   - Torn tail (bytes after the last "\n": the gateway died mid-write): the fragment is cut off
 *     (ftruncate, in the same I/O step that writes the entry recording it) and the first new
 *     entry records it: kind 'start', action 'audit.recover', detail {afterSeq, bytes, sha256,
 *     fragment (its first 2048 characters)}. So nothing is lost, and every line of the file stays
 *     a chained entry. Until then `audit verify` reports the torn line (see verify.ts).
 *   - The last complete line is not a valid entry (damaged log, or another file named by
 *     mistake): openAuditLog refuses with BL_ERR_AUDIT_OPEN rather than chain onto a line it
 *     cannot trust. Move the file aside (a new chain starts) after keeping it as evidence.
 *
 * Config memory. The hash of the last 'config' entry is kept for auditConfig's `changed`. At
 * open it comes from the tail (when the 64 KiB read reaches a config entry), else from the
 * sidecar `<file>.state` ({"configSeq", "configHash"}), which is rewritten (temp + rename) each time
 * a config entry is written. The sidecar is a cache outside the chain: at worst `changed` is wrong
 * once; the entries themselves stay authoritative.
 *
 * Entries are bounded: actor fields 256 characters, action 512, reason 1024 (longer ones cut with
 * "…"); detail, after secrets are stripped, at most 4096 bytes as JSON, else replaced by
 * {"truncated": true, "bytes": n}. Secrets never enter the log: members of `detail` named like a
 * secret (secrets.ts: password, secret, token, key, authorization...) are dropped at every depth.
 * Never put a credential in actor.name, action or reason.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isoTime, systemClock, type Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import {
  AUDIT_KINDS,
  AUDIT_OUTCOMES,
  GENESIS_PREV,
  checkLine,
  decodeUtf8Strict,
  recordHash,
  serialiseRecord,
  type AuditActor,
  type AuditKind,
  type AuditOutcome,
  type AuditRecord,
  type JsonObject,
} from './record.js';
import { stripSecrets, toPlainJson } from './secrets.js';

export type { AuditActor, AuditKind, AuditOutcome, AuditRecord } from './record.js';

/** What a caller appends; the log adds seq, at, prev and hash. */
export interface AuditEntry {
  kind: AuditKind;
  actor: AuditActor;
  /** what was attempted, e.g. 'GET /v1/events', 'mqtt.subscribe borderlink/v1/agency/x/#' */
  action: string;
  outcome: AuditOutcome;
  reason?: string;
  /** a small object; members named like secrets are dropped */
  detail?: Record<string, unknown>;
}

export interface AuditLogOptions {
  file: string;
  logger: Logger;
  /** stamps `at` (default: the system clock) */
  clock?: Clock;
  /** longest time a written line waits for fdatasync (default 1000 ms) */
  syncIntervalMs?: number;
  /** lines held while writes fail; beyond it new entries are dropped (default 100 000) */
  maxQueuedLines?: number;
  /** first retry delay after a failed write, doubling to 30 s (default 1000 ms) */
  retryMs?: number;
}

/** Counters for the integrator to export; a fresh snapshot on every read. */
export interface AuditLogStats {
  /** entries chained and queued since open */
  appended: number;
  /** lines written to the file since open */
  written: number;
  /** lines waiting to be written */
  queued: number;
  writeErrors: number;
  syncErrors: number;
  /** entries not logged: queue full, or appended after close */
  dropped: number;
  /** entries refused as malformed (unknown kind or outcome): a caller's bug */
  rejected: number;
}

export interface AuditLog {
  readonly file: string;
  /** Chains and queues one entry. Never throws, never waits on the disk. */
  append(entry: AuditEntry): void;
  /** Writes and fdatasyncs everything appended so far. Never rejects: failures are logged and counted. */
  flush(): Promise<void>;
  /** flush(), then closes the file; later appends are dropped (counted). Never rejects. */
  close(): Promise<void>;
  readonly stats: AuditLogStats;
  /** seq of the last entry chained (0 for an empty log) */
  readonly lastSeq: number;
  /** configHash of the last 'config' entry, if known */
  readonly lastConfigHash: string | undefined;
}

const TAIL_CHUNK = 64 * 1024;
/** no line we write comes near this; a tail without a line break within it is not our file */
const TAIL_LIMIT = 1024 * 1024;
const MAX_BATCH_BYTES = 1024 * 1024;
const MAX_RETRY_MS = 30_000;
const MAX_ACTOR_CHARS = 256;
const MAX_ACTION_CHARS = 512;
const MAX_REASON_CHARS = 1024;
const MAX_DETAIL_BYTES = 4096;
const MAX_FRAGMENT_CHARS = 2048;

interface Pending {
  seq: number;
  line: Buffer;
}

interface TailState {
  lastSeq: number;
  lastHash: string;
  lastConfig?: { seq: number; hash: string };
  torn?: { offset: number; bytes: Buffer };
}

function cut(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function sanitiseActor(a: AuditActor): AuditActor {
  return {
    name: cut(String(a.name), MAX_ACTOR_CHARS),
    ...(a.agency !== undefined ? { agency: cut(String(a.agency), MAX_ACTOR_CHARS) } : {}),
    ...(a.via !== undefined ? { via: cut(String(a.via), MAX_ACTOR_CHARS) } : {}),
  };
}

/** detail as plain JSON, secrets stripped, bounded; undefined when there is none */
function sanitiseDetail(d: Record<string, unknown> | undefined): JsonObject | undefined {
  if (d === undefined) return undefined;
  const plain = toPlainJson(d);
  if (plain === undefined || plain === null || typeof plain !== 'object' || Array.isArray(plain)) return { unserialisable: true };
  const stripped = stripSecrets(plain) as JsonObject;
  const bytes = Buffer.byteLength(JSON.stringify(stripped));
  return bytes <= MAX_DETAIL_BYTES ? stripped : { truncated: true, bytes };
}

/** Reads backwards from the end until the last complete line (and the torn tail, if any) are in hand. */
async function readTail(fh: FileHandle, size: number, file: string): Promise<TailState> {
  if (size === 0) return { lastSeq: 0, lastHash: GENESIS_PREV };
  let start = size;
  let buf = Buffer.alloc(0);
  let lastNl = -1;
  let prevNl = -1;
  for (;;) {
    const from = Math.max(0, start - TAIL_CHUNK);
    const chunk = Buffer.alloc(start - from);
    let got = 0;
    while (got < chunk.length) {
      const { bytesRead } = await fh.read(chunk, got, chunk.length - got, from + got);
      if (bytesRead === 0) throw new Error('file shrank while reading its tail');
      got += bytesRead;
    }
    buf = Buffer.concat([chunk, buf]);
    start = from;
    lastNl = buf.lastIndexOf(0x0a);
    prevNl = lastNl > 0 ? buf.lastIndexOf(0x0a, lastNl - 1) : -1;
    const haveLastLine = lastNl >= 0 && (prevNl >= 0 || start === 0);
    if (haveLastLine || (lastNl < 0 && start === 0)) break;
    if (buf.length > TAIL_LIMIT) {
      throw new BorderlinkError('BL_ERR_AUDIT_OPEN', `${file}: no line break in its last ${TAIL_LIMIT} bytes: not an audit log`);
    }
  }
  const torn = lastNl + 1 < buf.length ? { offset: start + lastNl + 1, bytes: buf.subarray(lastNl + 1) } : undefined;
  if (lastNl < 0) return { lastSeq: 0, lastHash: GENESIS_PREV, ...(torn ? { torn } : {}) };
  const lastText = decodeUtf8Strict(buf.subarray(prevNl + 1, lastNl));
  const checked = lastText === undefined ? { ok: false as const, reason: 'not valid UTF-8' } : checkLine(lastText);
  if (!checked.ok) {
    throw new BorderlinkError(
      'BL_ERR_AUDIT_OPEN',
      `${file}: its last complete line is not a valid audit entry (${checked.reason}); run 'borderlink audit verify --file ${file}', keep the file as evidence and move it aside to start a new chain`,
    );
  }
  const state: TailState = { lastSeq: checked.record.seq, lastHash: checked.record.hash, ...(torn ? { torn } : {}) };
  // the last config entry, if the bytes already read reach it (the first piece may be partial)
  const lines = buf.subarray(0, lastNl).toString('utf8').split('\n');
  if (start > 0) lines.shift();
  for (let i = lines.length - 1; i >= 0; i--) {
    const r = checkLine(lines[i] ?? '');
    if (r.ok && r.record.kind === 'config' && typeof r.record.detail?.configHash === 'string') {
      state.lastConfig = { seq: r.record.seq, hash: r.record.detail.configHash };
      break;
    }
  }
  return state;
}

function stateFile(file: string): string {
  return `${file}.state`;
}

async function readSidecar(file: string): Promise<{ seq: number; hash: string } | undefined> {
  try {
    const v = JSON.parse(await readFile(stateFile(file), 'utf8')) as { configSeq?: unknown; configHash?: unknown };
    return typeof v.configSeq === 'number' && typeof v.configHash === 'string' ? { seq: v.configSeq, hash: v.configHash } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens (or creates, with its folder, mode 0600) the log and continues its chain.
 * Rejects with BL_ERR_AUDIT_OPEN when the file cannot be opened or its last line is not ours.
 */
export async function openAuditLog(opts: AuditLogOptions): Promise<AuditLog> {
  const { file, logger } = opts;
  const clock = opts.clock ?? systemClock;
  const syncIntervalMs = opts.syncIntervalMs ?? 1000;
  const maxQueued = opts.maxQueuedLines ?? 100_000;
  const baseRetryMs = opts.retryMs ?? 1000;

  let fh: FileHandle;
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    fh = await open(file, 'a+', 0o600);
  } catch (e) {
    throw new BorderlinkError('BL_ERR_AUDIT_OPEN', `cannot open audit log ${file}: ${(e as NodeJS.ErrnoException).code ?? describeError(e).message}`, { cause: e });
  }
  let tail: TailState;
  let goodSize: number;
  try {
    const size = (await fh.stat()).size;
    tail = await readTail(fh, size, file);
    // a torn fragment is cut off by the first write, right before the entry that records it
    goodSize = tail.torn ? tail.torn.offset : size;
  } catch (e) {
    await fh.close().catch(() => undefined);
    if (e instanceof BorderlinkError) throw e;
    throw new BorderlinkError('BL_ERR_AUDIT_OPEN', `cannot read the end of audit log ${file}: ${(e as NodeJS.ErrnoException).code ?? describeError(e).message}`, { cause: e });
  }

  let lastSeq = tail.lastSeq;
  let lastHash = tail.lastHash;
  let lastConfig = tail.lastConfig;
  if (!lastConfig && lastSeq > 0) {
    const side = await readSidecar(file);
    if (side && side.seq <= lastSeq) lastConfig = side;
  }

  const stats: AuditLogStats = { appended: 0, written: 0, queued: 0, writeErrors: 0, syncErrors: 0, dropped: 0, rejected: 0 };
  let pending: Pending[] = [];
  let lastWrittenSeq = lastSeq;
  let closed = false;
  let closing: Promise<void> | undefined;
  let writeScheduled = false;
  let needsTruncate = tail.torn !== undefined;
  let retryMs = baseRetryMs;
  let retryTimer: NodeJS.Timeout | undefined;
  let syncTimer: NodeJS.Timeout | undefined;
  let dirty = false;
  let lastSyncAt = -Infinity;
  let stateToWrite: { seq: number; hash: string } | undefined;
  let io: Promise<void> = Promise.resolve();

  /** runs I/O operations one after another, in call order */
  function runIo(op: () => Promise<void>): Promise<void> {
    const p = io.then(op).catch((e: unknown) => logger.error({ err: describeError(e), file }, 'audit log: unexpected failure'));
    io = p;
    return p;
  }

  function scheduleWrite(): void {
    if (writeScheduled || retryTimer || closed) return;
    writeScheduled = true;
    setImmediate(() => void runIo(writePending));
  }

  function scheduleRetry(): void {
    if (retryTimer || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      scheduleWrite();
    }, retryMs);
    retryTimer.unref();
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  }

  async function writeState(): Promise<void> {
    if (!stateToWrite || stateToWrite.seq > lastWrittenSeq) return;
    const s = stateToWrite;
    stateToWrite = undefined;
    const tmp = `${stateFile(file)}.tmp`;
    try {
      await writeFile(tmp, `${JSON.stringify({ configSeq: s.seq, configHash: s.hash })}\n`, { mode: 0o600 });
      await rename(tmp, stateFile(file));
    } catch (e) {
      logger.warn({ err: describeError(e), file: stateFile(file) }, 'audit log: cannot write its state sidecar');
    }
  }

  async function doSync(): Promise<void> {
    if (!dirty) return;
    dirty = false;
    try {
      await fh.datasync();
      lastSyncAt = performance.now();
    } catch (e) {
      dirty = true;
      stats.syncErrors += 1;
      logger.error({ code: 'BL_ERR_AUDIT_WRITE', err: describeError(e), file }, 'audit log: fdatasync failed');
    }
  }

  function planSync(): Promise<void> | undefined {
    if (!dirty || syncTimer) return undefined;
    const wait = lastSyncAt + syncIntervalMs - performance.now();
    if (wait <= 0) return doSync();
    syncTimer = setTimeout(() => {
      syncTimer = undefined;
      void runIo(doSync);
    }, wait);
    syncTimer.unref();
    return undefined;
  }

  /** writes every queued line, in batches; on a failure the lines stay queued and a retry is planned */
  async function writePending(): Promise<void> {
    writeScheduled = false;
    while (pending.length > 0) {
      let n = 0;
      let bytes = 0;
      while (n < pending.length && (n === 0 || bytes + (pending[n]?.line.length ?? 0) <= MAX_BATCH_BYTES)) {
        bytes += pending[n]?.line.length ?? 0;
        n += 1;
      }
      const batch = pending.slice(0, n);
      const buf = Buffer.concat(batch.map((p) => p.line), bytes);
      try {
        if (needsTruncate) {
          await fh.truncate(goodSize);
          needsTruncate = false;
        }
        let off = 0;
        while (off < buf.length) {
          const { bytesWritten } = await fh.write(buf, off, buf.length - off, null);
          off += bytesWritten;
        }
      } catch (e) {
        stats.writeErrors += 1;
        needsTruncate = true;
        logger.error({ code: 'BL_ERR_AUDIT_WRITE', err: describeError(e), file, queued: pending.length }, 'audit log: write failed; lines kept for retry');
        scheduleRetry();
        return;
      }
      pending = pending.slice(n);
      goodSize += buf.length;
      stats.written += n;
      lastWrittenSeq = batch[batch.length - 1]?.seq ?? lastWrittenSeq;
      dirty = true;
      retryMs = baseRetryMs;
    }
    await writeState();
    await planSync();
  }

  function append(entry: AuditEntry): void {
    try {
      if (closed) {
        stats.dropped += 1;
        logger.warn({ file, action: entry.action }, 'audit log: entry appended after close; dropped');
        return;
      }
      if (!(AUDIT_KINDS as readonly string[]).includes(entry.kind) || !(AUDIT_OUTCOMES as readonly string[]).includes(entry.outcome) || typeof entry.actor !== 'object' || entry.actor === null) {
        stats.rejected += 1;
        logger.error({ file, kind: String(entry.kind), outcome: String(entry.outcome) }, 'audit log: malformed entry refused');
        return;
      }
      if (pending.length >= maxQueued) {
        stats.dropped += 1;
        if (stats.dropped % 1000 === 1) logger.error({ file, dropped: stats.dropped, queued: pending.length }, 'audit log: queue full (writes failing); entries dropped');
        return;
      }
      const detail = sanitiseDetail(entry.detail);
      const unhashed: Omit<AuditRecord, 'hash'> = {
        seq: lastSeq + 1,
        at: isoTime(clock.now()),
        kind: entry.kind,
        actor: sanitiseActor(entry.actor),
        action: cut(String(entry.action), MAX_ACTION_CHARS),
        outcome: entry.outcome,
        ...(entry.reason !== undefined ? { reason: cut(String(entry.reason), MAX_REASON_CHARS) } : {}),
        ...(detail !== undefined ? { detail } : {}),
        prev: lastHash,
      };
      const record: AuditRecord = { ...unhashed, hash: recordHash(unhashed) };
      pending.push({ seq: record.seq, line: Buffer.from(`${serialiseRecord(record)}\n`, 'utf8') });
      lastSeq = record.seq;
      lastHash = record.hash;
      stats.appended += 1;
      const configHash = record.kind === 'config' ? record.detail?.configHash : undefined;
      if (typeof configHash === 'string') {
        lastConfig = { seq: record.seq, hash: configHash };
        stateToWrite = lastConfig;
      }
      scheduleWrite();
    } catch (e) {
      stats.rejected += 1;
      logger.error({ file, err: describeError(e) }, 'audit log: entry could not be recorded');
    }
  }

  async function flushNow(): Promise<void> {
    await writePending();
    if (pending.length > 0) logger.error({ file, queued: pending.length }, 'audit log: flush could not write every line');
    await doSync();
  }

  const log: AuditLog = {
    file,
    append,
    flush: () => runIo(flushNow),
    close() {
      if (closing) return closing;
      closed = true;
      clearTimeout(retryTimer);
      clearTimeout(syncTimer);
      retryTimer = undefined;
      syncTimer = undefined;
      closing = runIo(async () => {
        await flushNow();
        if (pending.length > 0) {
          stats.dropped += pending.length;
          pending = [];
        }
        await writeState();
        await fh.close().catch((e: unknown) => logger.error({ err: describeError(e), file }, 'audit log: close failed'));
      });
      return closing;
    },
    get stats() {
      return { ...stats, queued: pending.length };
    },
    get lastSeq() {
      return lastSeq;
    },
    get lastConfigHash() {
      return lastConfig?.hash;
    },
  };

  if (tail.torn) {
    const bytes = tail.torn.bytes;
    logger.warn({ file, bytes: bytes.length, afterSeq: lastSeq }, 'audit log: last line was incomplete (stopped mid-write); cut off and recorded');
    append({
      kind: 'start',
      actor: { name: 'borderlink', via: 'audit-log' },
      action: 'audit.recover',
      outcome: 'ok',
      reason: 'the last line was incomplete (the gateway stopped mid-write); its bytes were cut off and are kept in detail',
      detail: { afterSeq: lastSeq, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), fragment: fragmentText(bytes) },
    });
  }
  return log;
}

/** the start of a torn fragment, short enough that the recovery entry's detail stays under its bound */
function fragmentText(bytes: Buffer): string {
  let text = cut(bytes.toString('utf8'), MAX_FRAGMENT_CHARS);
  while (Buffer.byteLength(JSON.stringify(text)) > MAX_DETAIL_BYTES - 512) text = text.slice(0, Math.floor(text.length * 0.75));
  return text;
}
