/**
 * Content-addressed artifact store on the local file system, in exactly the layout
 * GET /v1/artifacts/:sha256 serves (src/http/routes/artifacts.ts):
 *
 *   <dir>/<first two hex digits>/<sha256>        the bytes
 *   <dir>/<first two hex digits>/<sha256>.json   sidecar {mediaType, bytes, storedAt}
 *
 * Every file is written to a dot-named temp file in its final directory, fsynced, then renamed,
 * and the directory is fsynced: a crash never leaves a half file under a final name (at worst a
 * stray `.*.tmp`, which the route never serves since it only opens 64-hex names). The sidecar is
 * made durable before the bytes, so bytes under their final name always have their media type.
 * The same bytes stored twice are one file: a second put finds it and writes nothing.
 *
 * Retention (sweep): the sidecar's modification time is the artifact's "last stored" time, set
 * from the store's clock when the bytes are first stored and again whenever the same bytes are
 * put anew (an image a new scan references again is young again). sweep() removes, oldest first,
 * what is past maxAgeDays and, while the total is above maxTotalBytes, more; it never removes an
 * artifact younger than the grace period (its event may not be committed yet), one a put is
 * writing, or one named by `protect` (the artifacts of events not yet published). It also clears
 * temp files and sidecars left behind by a crash.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRef } from '../adapter/types.js';
import { isoTime, systemClock, type Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ArtifactStore, RetentionPolicy, SweepResult } from './types.js';

export interface ArtifactStoreOptions {
  /** root of the layout; created on the first put if missing */
  dir: string;
  /** largest artifact accepted, bytes */
  maxBytes: number;
  logger: Logger;
  /** stamps `storedAt` in the sidecar (default: the system clock) */
  clock?: Clock;
}

/** What the sidecar next to each artifact holds. */
export interface ArtifactSidecar {
  mediaType: string;
  bytes: number;
  /** RFC 3339 UTC, when the bytes were first stored */
  storedAt: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SUBDIR = /^[0-9a-f]{2}$/;
/** temp files of writeAtomic: `.<name>.<12 hex>.tmp` */
const TEMP_FILE = /^\..+\.[0-9a-f]{12}\.tmp$/;
/** an artifact younger than this may belong to an event not yet committed: never swept */
export const DEFAULT_SWEEP_GRACE_MS = 10 * 60_000;
const DAY_MS = 86_400_000;

/** Where an artifact's bytes live in the layout (sha256 must already be lowercase hex). */
export function artifactFile(dir: string, sha256: string): string {
  return path.join(dir, sha256.slice(0, 2), sha256);
}

export function artifactUri(sha256: string): string {
  return `/v1/artifacts/${sha256}`;
}

function isMissing(e: unknown): boolean {
  return (e as { code?: unknown } | null)?.code === 'ENOENT';
}

/** Makes a rename or a new entry durable; some platforms cannot fsync a directory, which is fine. */
async function syncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, fsConstants.O_RDONLY);
    await handle.sync();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/** Writes `data` to `<final>` atomically: temp file in the same directory, fsync, rename. */
async function writeAtomic(final: string, data: Buffer | string): Promise<void> {
  const tmp = path.join(path.dirname(final), `.${path.basename(final)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, final);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

async function readSidecar(file: string): Promise<ArtifactSidecar | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(`${file}.json`, 'utf8'));
    const s = parsed as Partial<ArtifactSidecar> | null;
    if (s !== null && typeof s === 'object' && typeof s.mediaType === 'string') {
      return { mediaType: s.mediaType, bytes: Number(s.bytes), storedAt: String(s.storedAt) };
    }
  } catch {
    // missing or broken: the caller writes a fresh one
  }
  return undefined;
}

/** Sets the sidecar's times to `ms`: the artifact's "last stored" time for retention. */
async function touch(file: string, ms: number): Promise<void> {
  const t = new Date(ms);
  await utimes(`${file}.json`, t, t).catch(() => undefined);
}

interface Entry {
  sha256: string;
  bytes: number;
  /** last stored (sidecar mtime, else the bytes' mtime) */
  atMs: number;
}

export function createArtifactStore(opts: ArtifactStoreOptions): ArtifactStore {
  const { dir, maxBytes, logger } = opts;
  const clock = opts.clock ?? systemClock;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'artifact store maxBytes must be a positive integer', { detail: { maxBytes } });
  }
  const log = logger.child({ component: 'artifacts' });
  /** puts of the same bytes in flight share one write */
  const inFlight = new Map<string, Promise<ArtifactRef>>();
  /** artifacts being removed by a sweep: a put of the same bytes waits, then writes them anew */
  const removing = new Map<string, Promise<void>>();

  async function store(data: Buffer, mediaType: string, sha256: string): Promise<ArtifactRef> {
    const file = artifactFile(dir, sha256);
    const ref: ArtifactRef = { sha256, bytes: data.length, mediaType, uri: artifactUri(sha256) };
    try {
      let existing: number | undefined;
      try {
        existing = (await stat(file)).size;
      } catch (e) {
        if (!isMissing(e)) throw e;
      }
      const sidecar = await readSidecar(file);
      if (existing === data.length) {
        // already stored (the name is its content's hash): nothing to rewrite, but young again
        if (sidecar !== undefined) {
          await touch(file, clock.now());
          return { ...ref, mediaType: sidecar.mediaType };
        }
        await writeAtomic(`${file}.json`, JSON.stringify({ mediaType, bytes: data.length, storedAt: isoTime(clock.now()) }));
        await touch(file, clock.now());
        await syncDir(path.dirname(file));
        return ref;
      }
      if (existing !== undefined) {
        log.warn({ sha256, expected: data.length, found: existing }, 'stored artifact has the wrong size; rewriting it');
      }
      const sub = path.dirname(file);
      const created = await mkdir(sub, { recursive: true });
      if (created !== undefined) await syncDir(path.dirname(sub));
      const stored: ArtifactSidecar = sidecar ?? { mediaType, bytes: data.length, storedAt: isoTime(clock.now()) };
      if (sidecar === undefined) await writeAtomic(`${file}.json`, JSON.stringify(stored));
      await touch(file, clock.now());
      await writeAtomic(file, data);
      await syncDir(sub);
      log.debug({ sha256, bytes: data.length, mediaType: stored.mediaType }, 'artifact stored');
      return { ...ref, mediaType: stored.mediaType };
    } catch (e) {
      throw new BorderlinkError('BL_ERR_ARTIFACT_WRITE', 'An artifact could not be written to disk', {
        cause: e, detail: { sha256, reason: describeError(e).message },
      });
    }
  }

  /** Every artifact on disk; removes crash leftovers (temp files, lone sidecars) past the grace period. */
  async function scan(now: number, graceMs: number): Promise<{ entries: Entry[]; leftovers: number }> {
    const entries: Entry[] = [];
    let leftovers = 0;
    let subs: string[];
    try {
      subs = (await readdir(dir)).filter((d) => SUBDIR.test(d));
    } catch (e) {
      if (isMissing(e)) return { entries, leftovers };
      throw e;
    }
    for (const sub of subs) {
      const folder = path.join(dir, sub);
      let names: string[];
      try {
        names = await readdir(folder);
      } catch (e) {
        if (isMissing(e)) continue;
        throw e;
      }
      const have = new Set(names);
      for (const name of names) {
        const file = path.join(folder, name);
        if (SHA256_HEX.test(name)) {
          const st = await stat(file).catch(() => undefined);
          if (!st?.isFile()) continue;
          const side = have.has(`${name}.json`) ? await stat(`${file}.json`).catch(() => undefined) : undefined;
          entries.push({ sha256: name, bytes: st.size, atMs: side?.mtimeMs ?? st.mtimeMs });
          continue;
        }
        const lone = name.endsWith('.json') && SHA256_HEX.test(name.slice(0, -5)) && !have.has(name.slice(0, -5));
        if (lone || TEMP_FILE.test(name)) {
          const st = await stat(file).catch(() => undefined);
          // a put in progress writes the sidecar (and temp files) first: only old ones are leftovers
          if (st && now - st.mtimeMs >= graceMs && !inFlight.has(lone ? name.slice(0, -5) : '')) {
            await unlink(file).catch(() => undefined);
            leftovers += 1;
          }
        }
      }
    }
    return { entries, leftovers };
  }

  /** Removes one artifact unless a put made it young again since the scan; bytes first, then the sidecar. */
  async function remove(e: Entry): Promise<boolean> {
    if (inFlight.has(e.sha256) || removing.has(e.sha256)) return false;
    const file = artifactFile(dir, e.sha256);
    let resolveDone: () => void = () => undefined;
    removing.set(e.sha256, new Promise<void>((r) => { resolveDone = r; }));
    try {
      const side = await stat(`${file}.json`).catch(() => undefined);
      if (side !== undefined && side.mtimeMs !== e.atMs) return false;
      await unlink(file).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      await unlink(`${file}.json`).catch(() => undefined);
      return true;
    } finally {
      removing.delete(e.sha256);
      resolveDone();
    }
  }

  async function sweep(policy: RetentionPolicy, protect?: () => ReadonlySet<string> | Promise<ReadonlySet<string>>): Promise<SweepResult> {
    const now = clock.now();
    const graceMs = policy.graceMs ?? DEFAULT_SWEEP_GRACE_MS;
    const maxAgeMs = policy.maxAgeDays !== undefined && policy.maxAgeDays > 0 ? policy.maxAgeDays * DAY_MS : undefined;
    const maxTotal = policy.maxTotalBytes !== undefined && policy.maxTotalBytes > 0 ? policy.maxTotalBytes : undefined;
    const { entries, leftovers } = await scan(now, graceMs);
    const result: SweepResult = { scanned: entries.length, removedByAge: 0, removedBySize: 0, removedBytes: 0, protectedKept: 0, leftoversRemoved: leftovers, totalBytes: 0, totalCount: 0 };
    if (maxAgeMs === undefined && maxTotal === undefined) {
      result.totalBytes = entries.reduce((n, e) => n + e.bytes, 0);
      result.totalCount = entries.length;
      return result;
    }
    const keep = protect ? await protect() : new Set<string>();
    const oldestFirst = [...entries].sort((a, b) => a.atMs - b.atMs || a.sha256.localeCompare(b.sha256));
    const removable = (e: Entry): boolean => now - e.atMs >= graceMs && !keep.has(e.sha256);
    const gone = new Set<string>();
    let total = entries.reduce((n, e) => n + e.bytes, 0);
    for (const e of oldestFirst) {
      const tooOld = maxAgeMs !== undefined && now - e.atMs > maxAgeMs;
      const tooBig = maxTotal !== undefined && total > maxTotal;
      if (!tooOld && !tooBig) continue;
      if (!removable(e)) {
        if (keep.has(e.sha256)) result.protectedKept += 1;
        continue;
      }
      if (await remove(e)) {
        gone.add(e.sha256);
        total -= e.bytes;
        result.removedBytes += e.bytes;
        if (tooOld) result.removedByAge += 1;
        else result.removedBySize += 1;
      }
    }
    result.totalBytes = total;
    result.totalCount = entries.length - gone.size;
    return result;
  }

  return {
    sweep,
    put(data, mediaType) {
      if (data.length > maxBytes) {
        return Promise.reject(new BorderlinkError('BL_ERR_ARTIFACT_TOO_LARGE', `The artifact is ${data.length} bytes, more than the limit of ${maxBytes}`, {
          detail: { bytes: data.length, maxBytes },
        }));
      }
      const sha256 = createHash('sha256').update(data).digest('hex');
      const pending = inFlight.get(sha256);
      if (pending !== undefined) return pending;
      const removal = removing.get(sha256);
      const p = (removal ? removal.then(() => store(data, mediaType, sha256)) : store(data, mediaType, sha256)).finally(() => inFlight.delete(sha256));
      inFlight.set(sha256, p);
      return p;
    },

    has(sha256) {
      const h = sha256.toLowerCase();
      return SHA256_HEX.test(h) && existsSync(artifactFile(dir, h));
    },
  };
}
