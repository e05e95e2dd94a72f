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
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants as fsConstants, existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ArtifactRef } from '../adapter/types.js';
import { isoTime, systemClock, type Clock } from '../clock.js';
import { BorderlinkError, describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ArtifactStore } from './types.js';

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

export function createArtifactStore(opts: ArtifactStoreOptions): ArtifactStore {
  const { dir, maxBytes, logger } = opts;
  const clock = opts.clock ?? systemClock;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'artifact store maxBytes must be a positive integer', { detail: { maxBytes } });
  }
  const log = logger.child({ component: 'artifacts' });
  /** puts of the same bytes in flight share one write */
  const inFlight = new Map<string, Promise<ArtifactRef>>();

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
        // already stored (the name is its content's hash): nothing to rewrite
        if (sidecar !== undefined) return { ...ref, mediaType: sidecar.mediaType };
        await writeAtomic(`${file}.json`, JSON.stringify({ mediaType, bytes: data.length, storedAt: isoTime(clock.now()) }));
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

  return {
    put(data, mediaType) {
      if (data.length > maxBytes) {
        return Promise.reject(new BorderlinkError('BL_ERR_ARTIFACT_TOO_LARGE', `The artifact is ${data.length} bytes, more than the limit of ${maxBytes}`, {
          detail: { bytes: data.length, maxBytes },
        }));
      }
      const sha256 = createHash('sha256').update(data).digest('hex');
      const pending = inFlight.get(sha256);
      if (pending !== undefined) return pending;
      const p = store(data, mediaType, sha256).finally(() => inFlight.delete(sha256));
      inFlight.set(sha256, p);
      return p;
    },

    has(sha256) {
      const h = sha256.toLowerCase();
      return SHA256_HEX.test(h) && existsSync(artifactFile(dir, h));
    },
  };
}
