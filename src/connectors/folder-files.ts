/**
 * File-system steps of the watched-folder connector (folder.ts): which entries are candidates,
 * reading a file with a hard size bound, moving without ever overwriting, writing the reason
 * next to a failed file. Kept apart so the connector reads as its policy.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { copyFile, lstat, mkdir, open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorCode } from '../errors.js';

/** The three sub-directories of a watched folder. */
export const FOLDER_LAYOUT = { incoming: 'incoming', processed: 'processed', failed: 'failed' } as const;

export type FolderDirs = { readonly [K in keyof typeof FOLDER_LAYOUT]: string };

export function folderDirs(dir: string): FolderDirs {
  return {
    incoming: path.join(dir, FOLDER_LAYOUT.incoming),
    processed: path.join(dir, FOLDER_LAYOUT.processed),
    failed: path.join(dir, FOLDER_LAYOUT.failed),
  };
}

/** What failed/<name>.error.json holds. */
export interface FolderErrorRecord {
  code: ErrorCode;
  message: string;
  /** RFC 3339 UTC, when the file was moved to failed/ */
  at: string;
  /** the file's name in incoming/ (differs from the failed/ name after a collision) */
  name: string;
}

/** Suffixes of files still being written (write, then rename into incoming/). */
const IN_PROGRESS_SUFFIXES = ['.tmp', '.part'] as const;

/** Media types a file extension stands for; used only when the adapter's plan accepts the type. */
const MEDIA_TYPE_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.xml': 'application/xml',
  '.n42': 'application/n42+xml',
  '.json': 'application/json',
  '.csv': 'text/csv',
  '.txt': 'text/plain',
  '.bin': 'application/octet-stream',
  '.dat': 'application/octet-stream',
};

/** Dotfiles and files still being written are not ours to take (yet). */
export function isCandidateName(name: string): boolean {
  if (name.startsWith('.')) return false;
  const lower = name.toLowerCase();
  return !IN_PROGRESS_SUFFIXES.some((s) => lower.endsWith(s));
}

/** The accepted extension the name ends with (longest first), or undefined. */
export function matchExtension(name: string, extensions: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return [...extensions].sort((a, b) => b.length - a.length).find((e) => lower.endsWith(e.toLowerCase()));
}

/** The extension as shown in a reason: from the last dot, or "(none)". */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '(none)' : name.slice(dot).toLowerCase();
}

export function mediaTypeFor(extension: string, accepted: readonly string[]): string | undefined {
  const mediaType = MEDIA_TYPE_BY_EXTENSION[extension.slice(extension.lastIndexOf('.')).toLowerCase()];
  return mediaType !== undefined && accepted.includes(mediaType) ? mediaType : undefined;
}

/** `report.n42` -> `report~1.n42`: the extension stays last so tools still recognise the file. */
export function suffixedName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? `${name}~${n}` : `${name.slice(0, dot)}~${n}${name.slice(dot)}`;
}

export function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (e) {
    if (errnoOf(e) === 'ENOENT') return false;
    throw e;
  }
}

/**
 * The first free name in `dir` for `name` (and for its `.error.json` when `withReason`). Only the
 * connector writes into processed/ and failed/, one file at a time, so a free name stays free.
 */
export async function freeName(dir: string, name: string, withReason: boolean): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = suffixedName(name, n);
    if (await exists(path.join(dir, candidate))) continue;
    if (withReason && (await exists(path.join(dir, `${candidate}.error.json`)))) continue;
    return candidate;
  }
}

/**
 * Moves a file without overwriting anything (`to` was chosen free). Within one file system this is
 * one atomic rename; across file systems (processed/ mounted elsewhere) a copy that refuses to
 * overwrite, then an unlink.
 */
export async function moveFile(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (e) {
    if (errnoOf(e) !== 'EXDEV') throw e;
    await copyFile(from, to, fsConstants.COPYFILE_EXCL);
    await unlink(from);
  }
}

/**
 * processed/ and failed/ come back if someone removed them (incoming/ was just listed, so this is
 * the right file system); not recursively, so nothing is created under an unmounted folder.
 */
async function ensureDir(d: string): Promise<void> {
  try {
    await mkdir(d);
  } catch (e) {
    if (errnoOf(e) !== 'EEXIST') throw e;
  }
}

/** incoming/<name> -> processed/<free name>; resolves with the name it got. */
export async function moveToProcessed(dirs: FolderDirs, name: string): Promise<string> {
  await ensureDir(dirs.processed);
  const target = await freeName(dirs.processed, name, false);
  await moveFile(path.join(dirs.incoming, name), path.join(dirs.processed, target));
  return target;
}

/**
 * incoming/<name> -> failed/<free name>, with <free name>.error.json written first, so whatever is
 * in failed/ has its reason next to it; resolves with the name it got.
 */
export async function moveToFailed(dirs: FolderDirs, name: string, reason: Omit<FolderErrorRecord, 'name'>): Promise<string> {
  await ensureDir(dirs.failed);
  const target = await freeName(dirs.failed, name, true);
  const record: FolderErrorRecord = { ...reason, name };
  const reasonFile = path.join(dirs.failed, `${target}.error.json`);
  await writeFileAtomic(reasonFile, `${JSON.stringify(record, null, 2)}\n`);
  try {
    await moveFile(path.join(dirs.incoming, name), path.join(dirs.failed, target));
  } catch (e) {
    // no reason without its file: a retry writes it again
    await unlink(reasonFile).catch(() => undefined);
    throw e;
  }
  return target;
}

/** Writes a small file atomically (temp file in the same directory, fsync, rename). */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(tmp, 'wx', 0o644);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

export type ReadResult =
  | { kind: 'data'; data: Buffer }
  /** vanished, or replaced by something that is not a regular file, since it was listed */
  | { kind: 'gone' }
  | { kind: 'too-large'; size: number }
  /** its size changed while it was read: still being written */
  | { kind: 'changed' };

/** O_NOFOLLOW where the platform has it: a symlink swapped in after the listing is not followed. */
const READ_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0);

/** Reads a regular file of at most maxBytes; never reads more than maxBytes + 1 bytes. */
export async function readBounded(file: string, maxBytes: number): Promise<ReadResult> {
  let handle;
  try {
    handle = await open(file, READ_FLAGS);
  } catch (e) {
    const code = errnoOf(e);
    if (code === 'ENOENT' || code === 'ELOOP') return { kind: 'gone' };
    throw e;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { kind: 'gone' };
    if (st.size > maxBytes) return { kind: 'too-large', size: st.size };
    const data = Buffer.alloc(st.size);
    let filled = 0;
    while (filled < data.length) {
      const { bytesRead } = await handle.read(data, filled, data.length - filled, filled);
      if (bytesRead === 0) return { kind: 'changed' };
      filled += bytesRead;
    }
    const { bytesRead: more } = await handle.read(Buffer.alloc(1), 0, 1, filled);
    return more > 0 ? { kind: 'changed' } : { kind: 'data', data };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The first bytes of a file (for the quarantine record of a refused file); empty if unreadable. */
export async function readHead(file: string, bytes: number): Promise<Buffer> {
  try {
    const handle = await open(file, READ_FLAGS);
    try {
      const buf = Buffer.alloc(bytes);
      const { bytesRead } = await handle.read(buf, 0, bytes, 0);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return Buffer.alloc(0);
  }
}
