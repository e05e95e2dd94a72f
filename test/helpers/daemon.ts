/**
 * Runs the real daemon (dist/src/main.js) as a child process, as `npm start` does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MAIN = path.join(ROOT, 'dist', 'src', 'main.js');

export function assertBuilt(): void {
  const marker = path.join(ROOT, 'dist', '.build-error');
  if (existsSync(marker)) throw new Error(`the TypeScript build failed, so the daemon cannot run:\n${readFileSync(marker, 'utf8').slice(0, 4000)}`);
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: the build did not run`);
}

export interface Daemon {
  child: ChildProcess;
  /** every log line parsed so far */
  logs: Array<Record<string, unknown>>;
  stderr: () => string;
  /** resolves with the first log line that matches */
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** sends a signal and resolves with the exit code and how long it took */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  exited: Promise<number | null>;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  assertBuilt();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

export function startDaemon(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Daemon {
  assertBuilt();
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const waiters: Array<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let err = '';
  let buf = '';
  child.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const l = JSON.parse(line) as Record<string, unknown>;
        logs.push(l);
        for (const w of [...waiters]) if (w.pred(l)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(l);
        }
      } catch {
        /* not a log line */
      }
    }
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    stderr: () => err,
    exited,
    waitForLog(pred, timeoutMs = 15_000) {
      const found = logs.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${err.slice(0, 2000)}`)), timeoutMs);
        waiters.push({ pred, resolve: (l) => { clearTimeout(t); resolve(l); } });
        void exited.then((code) => { clearTimeout(t); reject(new Error(`daemon exited (${code}) before the log line; stderr: ${err.slice(0, 2000)}`)); });
      });
    },
    async stop(signal = 'SIGINT') {
      const t0 = Date.now();
      if (child.exitCode !== null) return { code: child.exitCode, ms: 0 };
      child.kill(signal);
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(kill);
      return { code, ms: Date.now() - t0 };
    },
  };
}
