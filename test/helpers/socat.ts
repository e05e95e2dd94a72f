/**
 * Real pseudo-terminal pairs for serial tests: socat joins two ptys with stable link names (like a
 * USB-serial adapter's /dev/serial/by-id path). Stopping socat "unplugs the cable": both links go.
 * In CI a missing socat is an error; elsewhere a suite is skipped with the reason in its name.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export function socatSuite(name: string): { name: string; skip: boolean } {
  const have = socatAvailable();
  if (!have && process.env.CI === 'true') throw new Error(`${name}: socat is required in CI (apt-get install socat)`);
  return { name: have ? name : `${name} (skipped: socat is not installed)`, skip: !have };
}

export interface SocatPtys {
  /** the two link paths, in the order given */
  readonly a: string;
  readonly b: string;
  /** starts socat (again, with the same links): both links exist when it resolves */
  start(): Promise<void>;
  /** kills socat and waits for it to exit */
  stop(): Promise<void>;
}

export function socatPtys(dir: string, names: readonly [string, string]): SocatPtys {
  const a = path.join(dir, names[0]);
  const b = path.join(dir, names[1]);
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const stop = async (): Promise<void> => {
    const p = proc;
    if (p === null) return;
    proc = null;
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
    await exited;
  };
  return {
    a,
    b,
    async start() {
      if (proc !== null) throw new Error('socat already running');
      const p = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
      proc = p;
      exited = new Promise((resolve) => p.once('exit', () => resolve()));
      const deadline = Date.now() + 5_000;
      while (!(existsSync(a) && existsSync(b))) {
        if (p.exitCode !== null) throw new Error(`socat exited early with ${p.exitCode}`);
        if (Date.now() > deadline) {
          await stop();
          throw new Error('socat did not create its pty links');
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    stop,
  };
}
