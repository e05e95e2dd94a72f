/**
 * The outbox's fsync, off the event loop.
 *
 * better-sqlite3 is synchronous: with synchronous=FULL every commit fsyncs the WAL on the
 * JavaScript thread, and the whole gateway (decoding, MQTT, REST) stops for the disk's sync time,
 * 3 ms typically and 25 ms at the 99th percentile on the benchmark machine. Instead the connection
 * runs synchronous=NORMAL (a commit writes its WAL frames to the OS, no fsync; checkpoints still
 * sync) and this module fdatasyncs the WAL file on the libuv thread pool. A caller is answered
 * only after a sync that started after its commit has finished, which is what synchronous=FULL
 * guarantees: the commit frames are on disk. (fdatasync on any descriptor of the file flushes the
 * file; SQLite keeps the -wal file, same inode, for as long as the connection is open.)
 *
 * Syncs do not overlap: callers arriving while one runs share the next one, so under load one
 * fsync covers many group commits (the classic group commit, now without blocking the loop).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface WalSyncer {
  /** Resolves once everything written to the WAL before this call is on disk. */
  sync(): Promise<void>;
  /** Resolves when no sync is running or queued. */
  idle(): Promise<void>;
  /** Syncs now, blocking (open and close). */
  syncNow(): void;
  /** completed syncs, for metrics and tests */
  readonly syncs: number;
  close(): void;
}

export function createWalSyncer(dbPath: string): WalSyncer {
  const walPath = `${dbPath}-wal`;
  let fd: number | undefined;
  let closed = false;
  let syncs = 0;
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;

  /** The WAL's descriptor; the directory is synced once so the file's name is durable too. */
  const walFd = (): number => {
    if (fd === undefined) {
      fd = fs.openSync(walPath, 'r');
      const dir = fs.openSync(path.dirname(walPath), 'r');
      try {
        fs.fsyncSync(dir);
      } finally {
        fs.closeSync(dir);
      }
    }
    return fd;
  };

  const runOnce = (): Promise<void> => new Promise<void>((resolve, reject) => {
    let f: number;
    try {
      if (closed) throw new Error('the WAL syncer is closed');
      f = walFd();
    } catch (e) {
      reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    fs.fdatasync(f, (err) => {
      if (err) reject(err);
      else {
        syncs += 1;
        resolve();
      }
    });
  });

  const start = (): Promise<void> => {
    const p = runOnce();
    running = p;
    const clear = (): void => {
      if (running === p) running = undefined;
    };
    p.then(clear, clear);
    return p;
  };

  return {
    sync() {
      if (running === undefined) return start();
      // a sync is running: it may have started before the caller's commit, so wait for the next
      queued ??= running.then(
        () => undefined,
        () => undefined,
      ).then(() => {
        queued = undefined;
        return start();
      });
      return queued;
    },
    async idle() {
      while (running !== undefined || queued !== undefined) {
        await (queued ?? running)?.catch(() => undefined);
      }
    },
    syncNow() {
      if (!fs.existsSync(walPath)) return;
      fs.fdatasyncSync(walFd());
      syncs += 1;
    },
    get syncs() {
      return syncs;
    },
    close() {
      closed = true;
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {
          // already closed: nothing to release
        }
        fd = undefined;
      }
    },
  };
}
