import { socatPtys } from '../../../helpers/socat.js';
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

export { socatAvailable, socatSuite } from '../../../helpers/socat.js';

/** A socat pseudo-terminal pair: `<dir>/rpm` (the device writes) and `<dir>/gateway` (the reader opens). */
export async function startPtyPair(dir: string): Promise<{ device: string; gateway: string; stop(): Promise<void> }> {
  const p = socatPtys(dir, ['rpm', 'gateway']);
  await p.start();
  return { device: p.a, gateway: p.b, stop: () => p.stop() };
}
