/**
 * Watched-folder connector: documents dropped into a directory become DocumentFrames.
 *
 * Layout (incoming/, processed/ and failed/ are created under `dir` at start when missing):
 *
 *   <dir>/incoming/    writers drop files here. Write elsewhere (or under a dotfile, *.tmp or
 *                      *.part name), then rename into incoming/ under the final name: a rename is
 *                      atomic, so the connector never sees half a file. Files whose size or mtime
 *                      changed within stableMs are left alone as a safety net.
 *   <dir>/processed/   documents committed to the outbox (or found to be committed before)
 *   <dir>/failed/      documents that cannot be used, each with <name>.error.json {code, message, at,
 *                      name}: quarantined by the adapter, or refused unread (extension not in the
 *                      plan, larger than plan.maxBytes, not a regular file), whose first 4 KiB then
 *                      also go to quarantine through sink.reject
 *
 * Keep all three on one file system (moves are then atomic renames) and give each folder to one
 * connector only. A name already taken in processed/ or failed/ gets a suffix (report~1.n42):
 * nothing is ever overwritten.
 *
 * Never lost, never read twice, also across restarts: a file leaves incoming/ only after
 * sink.push resolved with its outcome (durable). A crash between the commit and the move leaves
 * it in incoming/; the next start reads it again and the outbox's document key (its sha256) makes
 * that a duplicate: no second event, and the file moves to processed/ (so a quarantined document
 * caught in that window ends in processed/, not failed/; its quarantine record is in the outbox).
 * When the outbox cannot write (outcome `failed`, or a quarantine whose reason is transient, such
 * as an artifact write error) the file stays in incoming/ and is retried with backoff.
 *
 * fs.watch makes the connector prompt; a periodic scan makes it correct where watch events are
 * lost (network and FUSE file systems). Files are taken in name order, one at a time, so a slow
 * disk slows the folder instead of filling memory.
 *
 * Link status: online while incoming/ can be listed; offline (BL_ERR_FOLDER_UNREADABLE) when it
 * cannot. Once the layout exists, incoming/ is never created again: a folder that disappears
 * (unmounted, removed) is reported offline until it is back, rather than silently re-created on
 * the file system underneath. (A removed processed/ or failed/ is re-created next to incoming/.)
 *
 * The clock must be the wall clock: file mtimes are compared with it.
 */
import { watch, type FSWatcher } from 'node:fs';
import { lstat, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentFrame, DocumentPlan } from '../adapter/types.js';
import { isoTime, type Clock } from '../clock.js';
import { BorderlinkError, describeError, ERROR_CODES, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff, type BackoffOptions } from './backoff.js';
import {
  errnoOf, extensionOf, FOLDER_LAYOUT, folderDirs, isCandidateName, matchExtension, mediaTypeFor, moveToFailed,
  moveToProcessed, readBounded, readHead,
} from './folder-files.js';
import type { Connector, LinkStatus, PushOutcome, Sink } from './types.js';

export { FOLDER_LAYOUT, type FolderErrorRecord } from './folder-files.js';

export interface FolderConnectorOptions {
  deviceId: string;
  /** the watched folder; incoming/, processed/ and failed/ live under it */
  dir: string;
  plan: DocumentPlan;
  sink: Sink<DocumentFrame>;
  logger: Logger;
  clock: Clock;
  /** full scan of incoming/ at least this often, ms (default 1000) */
  scanIntervalMs?: number;
  /** a file is taken once its size and mtime have not changed for this long, ms (default 500) */
  stableMs?: number;
  /** retry delays while the outbox cannot write (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  /** uniform [0, 1) source for the jitter; Math.random by default */
  random?: () => number;
  /** longest stop() waits for the file in progress, ms (default 5000) */
  stopTimeoutMs?: number;
}

export const DEFAULT_SCAN_INTERVAL_MS = 1_000;
export const DEFAULT_STABLE_MS = 500;
export const DEFAULT_FOLDER_STOP_TIMEOUT_MS = 5_000;
/** bytes of a refused file kept in its quarantine record */
const REFUSED_HEAD_BYTES = 4_096;
/** watch events come in bursts (one per write); one scan per burst is enough */
const WATCH_DEBOUNCE_MS = 20;

interface Seen {
  /** size, mtime and inode: any change means the file is still being written or was replaced */
  signature: string;
  since: number;
}

/** A file whose outcome is durable but whose move failed: moved again without a second push. */
type PendingMove =
  | { signature: string; to: 'processed' }
  | { signature: string; to: 'failed'; reason: { code: ErrorCode; message: string } };

type FileResult = 'done' | 'skip' | 'retry';

function configError(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail });
}

function validate(o: FolderConnectorOptions): void {
  const where = { deviceId: o.deviceId };
  if (o.plan.extensions.length === 0) throw configError('folder connector: the adapter accepts no file extension', where);
  if (!Number.isSafeInteger(o.plan.maxBytes) || o.plan.maxBytes <= 0) {
    throw configError('folder connector: maxBytes must be a positive integer', { ...where, maxBytes: o.plan.maxBytes });
  }
  for (const [name, v, min] of [['scanIntervalMs', o.scanIntervalMs ?? 1, 1], ['stableMs', o.stableMs ?? 0, 0],
    ['stopTimeoutMs', o.stopTimeoutMs ?? 1, 1]] as const) {
    if (!Number.isFinite(v) || v < min) throw configError(`folder connector: ${name} must be a number >= ${min}`, { ...where, [name]: v });
  }
}

const signatureOf = (st: { size: number; mtimeMs: number; ino: number }): string => `${st.size}:${st.mtimeMs}:${st.ino}`;

export function createFolderConnector(opts: FolderConnectorOptions): Connector {
  validate(opts);
  const { deviceId, plan, sink, clock } = opts;
  const scanIntervalMs = opts.scanIntervalMs ?? DEFAULT_SCAN_INTERVAL_MS;
  const stableMs = opts.stableMs ?? DEFAULT_STABLE_MS;
  const stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_FOLDER_STOP_TIMEOUT_MS;
  const log = opts.logger.child({ deviceId, connector: 'folder' });
  const backoff = createBackoff(opts.backoff, opts.random);
  const dirs = folderDirs(opts.dir);

  let started = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let layoutReady = false;
  let watcher: FSWatcher | null = null;
  /** wakes the sleep between passes; null when the loop is not sleeping */
  let interrupt: (() => void) | null = null;
  /** a watch event arrived during a pass: scan again at once */
  let wakeRequested = false;
  let watchDebounce: NodeJS.Timeout | undefined;
  let lastStatus: LinkStatus | null = null;
  const seen = new Map<string, Seen>();
  const pendingMoves = new Map<string, PendingMove>();
  /** names already warned about (directories, unreadable files): one line each, not one per pass */
  const warned = new Set<string>();

  function report(status: LinkStatus): void {
    if (stopped) return;
    if (lastStatus !== null && lastStatus.state === status.state && lastStatus.code === status.code) return;
    lastStatus = status;
    log.info({ state: status.state, code: status.code, detail: status.detail }, 'device link status changed');
    try {
      sink.status(status);
    } catch (e) {
      log.error({ err: describeError(e) }, 'sink.status threw');
    }
  }

  function warnOnce(name: string, fields: Record<string, unknown>, message: string): void {
    if (warned.has(name)) return;
    warned.add(name);
    log.warn({ file: name, ...fields }, message);
  }

  function sleep(ms: number, wakeable: boolean): Promise<void> {
    if (stopped) return Promise.resolve();
    if (wakeable && wakeRequested) {
      wakeRequested = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        if (interrupt === onInterrupt) interrupt = null;
        resolve();
      };
      // a backoff sleep (the outbox cannot write) is cut short only by stop(), not by new files
      const onInterrupt = (): void => {
        if (wakeable || stopped) wake();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      interrupt = onInterrupt;
    });
  }

  function onWatchEvent(): void {
    if (watchDebounce !== undefined || stopped) return;
    watchDebounce = setTimeout(() => {
      watchDebounce = undefined;
      if (interrupt !== null) interrupt();
      else wakeRequested = true;
    }, WATCH_DEBOUNCE_MS);
  }

  function openWatcher(): void {
    if (watcher !== null || stopped) return;
    try {
      const w = watch(dirs.incoming, { persistent: false }, onWatchEvent);
      w.on('error', (e: Error) => {
        log.debug({ err: e.message }, 'folder watch failed; scanning only');
        w.close();
        if (watcher === w) watcher = null;
      });
      watcher = w;
    } catch (e) {
      // no watch support here: the periodic scan carries on alone
      log.debug({ err: describeError(e).message }, 'folder watch unavailable; scanning only');
    }
  }

  function closeWatcher(): void {
    watcher?.close();
    watcher = null;
    clearTimeout(watchDebounce);
    watchDebounce = undefined;
  }

  /** The candidate names in incoming/, sorted; a string says why incoming/ cannot be listed. */
  async function listIncoming(): Promise<string[] | string> {
    try {
      if (!layoutReady) {
        for (const d of [dirs.incoming, dirs.processed, dirs.failed]) await mkdir(d, { recursive: true });
        layoutReady = true;
      }
      const names = await readdir(dirs.incoming);
      return names.filter(isCandidateName).sort();
    } catch (e) {
      return `${FOLDER_LAYOUT.incoming}/ cannot be listed (${errnoOf(e) ?? describeError(e).message})`;
    }
  }

  /** ms until the file counts as stable (0: now). Quiet since the last change or since its mtime. */
  function untilStable(name: string, signature: string, mtimeMs: number, now: number): number {
    let s = seen.get(name);
    if (s === undefined || s.signature !== signature) {
      s = { signature, since: now };
      seen.set(name, s);
    }
    const quiet = Math.max(now - s.since, now - mtimeMs);
    return quiet >= stableMs ? 0 : stableMs - quiet;
  }

  /** Moves a file whose outcome is known; a failed move is remembered and retried, never re-pushed. */
  async function settle(name: string, pending: PendingMove): Promise<void> {
    try {
      if (pending.to === 'processed') {
        const target = await moveToProcessed(dirs, name);
        if (target !== name) log.info({ file: name, movedTo: target }, 'processed/ already held that name; suffixed');
        log.debug({ file: name }, 'document processed');
      } else {
        const target = await moveToFailed(dirs, name, { ...pending.reason, at: isoTime(clock.now()) });
        log.warn({ file: name, movedTo: target, code: pending.reason.code, reason: pending.reason.message }, 'document moved to failed/');
      }
      pendingMoves.delete(name);
      warned.delete(name);
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') {
        // gone from incoming/ (someone took it): its outcome is durable, nothing is lost
        pendingMoves.delete(name);
        return;
      }
      pendingMoves.set(name, pending);
      warnOnce(name, { to: pending.to, err: describeError(e).message }, 'document could not be moved; retrying');
    }
  }

  /** A file refused before it is read: to failed/, and a bounded head of it to quarantine. */
  async function refuse(name: string, signature: string, code: ErrorCode, message: string): Promise<void> {
    const head = code === 'BL_ERR_FOLDER_NOT_A_FILE' ? Buffer.alloc(0) : await readHead(path.join(dirs.incoming, name), REFUSED_HEAD_BYTES);
    await settle(name, { signature, to: 'failed', reason: { code, message } });
    try {
      await sink.reject({ raw: head, code, message: `${name}: ${message}`, receivedAt: clock.now() });
    } catch (e) {
      log.error({ err: describeError(e) }, 'sink.reject failed');
    }
  }

  async function push(frame: DocumentFrame): Promise<PushOutcome> {
    try {
      return await sink.push(frame);
    } catch (e) {
      const d = describeError(e);
      return { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: d.message } };
    }
  }

  async function processFile(name: string, signature: string, size: number): Promise<FileResult> {
    const extension = matchExtension(name, plan.extensions);
    if (extension === undefined) {
      await refuse(name, signature, 'BL_ERR_INGEST_MEDIA_TYPE', `extension ${extensionOf(name)} is not one of ${plan.extensions.join(', ')}`);
      return 'done';
    }
    if (size > plan.maxBytes) {
      await refuse(name, signature, 'BL_ERR_INGEST_TOO_LARGE', `${size} bytes, more than the limit of ${plan.maxBytes}`);
      return 'done';
    }
    let read;
    try {
      read = await readBounded(path.join(dirs.incoming, name), plan.maxBytes);
    } catch (e) {
      warnOnce(name, { err: describeError(e).message }, 'document could not be read; retrying');
      return 'skip';
    }
    switch (read.kind) {
      case 'gone':
        seen.delete(name);
        return 'skip';
      case 'changed':
        seen.delete(name);
        return 'skip';
      case 'too-large':
        await refuse(name, signature, 'BL_ERR_INGEST_TOO_LARGE', `${read.size} bytes, more than the limit of ${plan.maxBytes}`);
        return 'done';
      case 'data':
        break;
    }
    const mediaType = mediaTypeFor(extension, plan.mediaTypes);
    const frame: DocumentFrame = { transport: 'folder', receivedAt: clock.now(), name, data: read.data, ...(mediaType ? { mediaType } : {}) };
    const outcome = await push(frame);
    const retry = outcome.status === 'failed'
      || (outcome.status === 'quarantined' && outcome.reason !== undefined && ERROR_CODES[outcome.reason.code].kind === 'transient');
    if (retry) {
      // nothing usable is durable (the outbox or the artifact store could not write): keep the file
      log.warn({ file: name, code: outcome.reason?.code, reason: outcome.reason?.message }, 'document not committed; will retry');
      return 'retry';
    }
    backoff.reset();
    if (outcome.status === 'quarantined') {
      await settle(name, { signature, to: 'failed', reason: outcome.reason ?? { code: 'BL_ERR_NORMALISE_FAILED', message: 'quarantined' } });
    } else {
      if (outcome.status === 'duplicate') log.info({ file: name }, 'document was committed before; moved to processed/');
      await settle(name, { signature, to: 'processed' });
    }
    return 'done';
  }

  /** One scan of incoming/; resolves with how long to sleep before the next one. */
  async function pass(): Promise<{ delay: number; wakeable: boolean }> {
    const names = await listIncoming();
    if (typeof names === 'string') {
      closeWatcher();
      report({ state: 'offline', code: 'BL_ERR_FOLDER_UNREADABLE', detail: names });
      return { delay: scanIntervalMs, wakeable: false };
    }
    report({ state: 'online', detail: `watching ${FOLDER_LAYOUT.incoming}/` });
    openWatcher();
    const present = new Set(names);
    for (const map of [seen, pendingMoves]) for (const k of map.keys()) if (!present.has(k)) map.delete(k);
    for (const k of warned) if (!present.has(k)) warned.delete(k);

    let delay = scanIntervalMs;
    for (const name of names) {
      if (stopped) break;
      let st;
      try {
        st = await lstat(path.join(dirs.incoming, name));
      } catch (e) {
        if (errnoOf(e) !== 'ENOENT') warnOnce(name, { err: describeError(e).message }, 'document could not be examined');
        continue;
      }
      if (st.isDirectory()) {
        warnOnce(name, {}, 'directory in incoming/ ignored');
        continue;
      }
      const signature = signatureOf(st);
      const pending = pendingMoves.get(name);
      if (pending !== undefined && pending.signature === signature) {
        await settle(name, pending);
        continue;
      }
      pendingMoves.delete(name);
      const wait = untilStable(name, signature, st.mtimeMs, clock.now());
      if (wait > 0) {
        delay = Math.min(delay, wait);
        continue;
      }
      seen.delete(name);
      if (!st.isFile()) {
        await refuse(name, signature, 'BL_ERR_FOLDER_NOT_A_FILE', 'not a regular file (symlink, device or socket); not read');
        continue;
      }
      const result = await processFile(name, signature, st.size);
      if (result === 'retry') return { delay: backoff.next(), wakeable: false };
    }
    return { delay, wakeable: true };
  }

  async function run(): Promise<void> {
    while (!stopped) {
      let next = { delay: scanIntervalMs, wakeable: true };
      try {
        next = await pass();
      } catch (e) {
        log.error({ err: describeError(e) }, 'folder scan failed');
      }
      if (stopped) break;
      await sleep(next.delay, next.wakeable);
    }
  }

  return {
    deviceId,
    start(): Promise<void> {
      if (started) return Promise.resolve();
      started = true;
      loop = run();
      return Promise.resolve();
    },
    /** Final: waits (bounded) for the file in progress to be committed and moved, stops watching. */
    async stop(): Promise<void> {
      stopped = true;
      closeWatcher();
      if (interrupt !== null) interrupt();
      if (loop === null) return;
      let timer: NodeJS.Timeout | undefined;
      const finished = await new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), stopTimeoutMs);
        void loop?.then(() => resolve(true), () => resolve(true));
      });
      clearTimeout(timer);
      if (!finished) {
        log.warn({ code: 'BL_ERR_SHUTDOWN_TIMEOUT', timeoutMs: stopTimeoutMs }, 'folder connector did not stop in time; the file in progress stays in incoming/');
      }
    },
  };
}
