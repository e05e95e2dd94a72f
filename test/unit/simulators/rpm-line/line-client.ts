/**
 * Test-side readers of the line simulator's output: a plain TCP client and a pseudo-terminal pair
 * (socat) read with serialport, each splitting the stream into lines as a device's listener would.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface LineReader {
  /** complete lines so far, CR LF stripped */
  lines(): string[];
  /** the raw bytes so far */
  bytes(): Buffer;
  /** resolves once `pred` holds for the lines seen (checked on every chunk) */
  waitFor(pred: (lines: string[]) => boolean, what: string, timeoutMs?: number): Promise<string[]>;
}

export function lineReader(): LineReader & { push(chunk: Buffer): void } {
  const chunks: Buffer[] = [];
  const waiters = new Set<() => void>();
  let text = '';
  return {
    push(chunk) {
      chunks.push(chunk);
      text += chunk.toString('latin1');
      for (const w of [...waiters]) w();
    },
    lines: () => text.split('\n').slice(0, -1).map((l) => l.replace(/\r$/, '')),
    bytes: () => Buffer.concat(chunks),
    waitFor(pred, what, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const lines = (): string[] => text.split('\n').slice(0, -1).map((l) => l.replace(/\r$/, ''));
        const check = (): void => {
          if (!pred(lines())) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(lines());
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}; last lines: ${lines().slice(-5).join(' | ')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
  };
}

export async function tcpLineClient(port: number): Promise<LineReader & { socket: net.Socket; closed: Promise<void>; close(): Promise<void> }> {
  const reader = lineReader();
  const socket = net.connect(port, '127.0.0.1');
  socket.on('data', (c: Buffer) => reader.push(c));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return {
    ...reader,
    socket,
    closed,
    async close() {
      socket.destroy();
      await closed;
    },
  };
}

export function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** In CI a missing socat is an error; elsewhere the suite is skipped with the reason in its name. */
export function socatSuite(name: string): { name: string; skip: boolean } {
  const have = socatAvailable();
  if (!have && process.env.CI === 'true') throw new Error(`${name}: socat is required in CI (apt-get install socat)`);
  return { name: have ? name : `${name} (skipped: socat is not installed)`, skip: !have };
}

/** A socat pseudo-terminal pair: `<dir>/rpm` (the device writes) and `<dir>/gateway` (the reader opens). */
export async function startPtyPair(dir: string): Promise<{ device: string; gateway: string; stop(): Promise<void> }> {
  const device = path.join(dir, 'rpm');
  const gateway = path.join(dir, 'gateway');
  const proc: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${gateway}`], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const deadline = Date.now() + 5000;
  while (!(existsSync(device) && existsSync(gateway))) {
    if (proc.exitCode !== null) throw new Error(`socat exited early with ${proc.exitCode}`);
    if (Date.now() > deadline) {
      proc.kill('SIGTERM');
      throw new Error('socat did not create its pty links');
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    device,
    gateway,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}
