/**
 * WAL checkpoints on a worker thread.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that pushes the WAL past 1000 pages: on
 * the committing connection, hence on the JavaScript thread, copying ~4 MB into the database
 * file and fsyncing twice. Measured on the benchmark machine it cost the gateway 40 % of its
 * throughput and doubled p99 latency. Here the write connection's autocheckpoint is raised to
 * a backstop (AUTOCHECKPOINT_BACKSTOP_PAGES, used only if this worker stops keeping up) and a
 * second connection, on its own thread, runs PASSIVE checkpoints: they never take the write lock
 * and copy only frames no reader still needs, so the writer goes on appending meanwhile.
 *
 * The worker's code is a few lines of CommonJS evaluated from a string, so it runs the same under
 * vitest (TypeScript sources) and from dist/ without a build step of its own.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.js';

/** the write connection checkpoints by itself only past this many WAL pages (~80 MB at 4 KiB) */
export const AUTOCHECKPOINT_BACKSTOP_PAGES = 20_000;

export interface Checkpointer {
  /** checkpoints that ran (some frames copied), as reported by the worker */
  readonly runs: number;
  stop(): Promise<void>;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.path, { timeout: 1000 });
db.pragma('synchronous = NORMAL');
let timer;
const tick = () => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    if (r && r.checkpointed > 0) parentPort.postMessage({ kind: 'ran', log: r.log, checkpointed: r.checkpointed });
  } catch (e) {
    parentPort.postMessage({ kind: 'error', message: String(e && e.message || e) });
  }
  timer = setTimeout(tick, workerData.intervalMs);
};
timer = setTimeout(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'stop') {
    clearTimeout(timer);
    try { db.close(); } catch (e) { /* closing anyway */ }
    parentPort.postMessage({ kind: 'stopped' });
    parentPort.close();
  }
});
`;

export function startCheckpointer(opts: { path: string; intervalMs: number; logger: Logger }): Checkpointer {
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: opts.path, sqlite, intervalMs: opts.intervalMs } });
  worker.unref();
  let runs = 0;
  let lastError = '';
  let stopped: Promise<void> | undefined;
  worker.on('message', (m: { kind: string; message?: string }) => {
    if (m.kind === 'ran') runs += 1;
    else if (m.kind === 'error' && m.message !== lastError) {
      lastError = m.message ?? '';
      opts.logger.warn({ err: lastError }, 'outbox checkpoint failed; the write connection checkpoints past its backstop');
    }
  });
  worker.on('error', (e) => opts.logger.error({ err: e.message }, 'outbox checkpointer thread failed'));
  return {
    get runs() {
      return runs;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          void worker.terminate().then(done, done);
        }, 2000);
        worker.once('exit', done);
        worker.postMessage('stop');
      });
      return stopped;
    },
  };
}
