/**
 * Test doubles for the byte-stream connectors: a recording sink whose pushes can be held back
 * (a gate), to show backpressure, and a socat pseudo-terminal pair for the serial connector.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { StreamFrame } from '../../../src/adapter/types.js';
import type { LinkStatus, RejectedInput, Sink } from '../../../src/connectors/types.js';

export { waitUntil } from './modbus-fakes.js';

/** Everything the sink saw, in order: frames, rejects and statuses interleaved. */
export type SinkEntry =
  | { kind: 'frame'; frame: StreamFrame }
  /** a push answered `failed` (nothing stored) */
  | { kind: 'failed'; frame: StreamFrame }
  | { kind: 'reject'; input: RejectedInput }
  | { kind: 'status'; status: LinkStatus };

export interface StreamRecordingSink {
  sink: Sink<StreamFrame>;
  entries: SinkEntry[];
  frames(): StreamFrame[];
  /** frame payloads as latin1 text */
  texts(): string[];
  rejects(): RejectedInput[];
  statuses(): LinkStatus[];
  /** most pushes and rejects in flight at once: backpressure means this stays 1 */
  maxInFlight(): number;
  /** push calls so far, failed ones included */
  pushes(): number;
  /** the next `n` pushes answer `failed`, as when the outbox cannot write */
  failPushes(n: number): void;
  /** holds every push / reject until open() */
  close(): void;
  open(): void;
}

export function streamSink(): StreamRecordingSink {
  const entries: SinkEntry[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let gate: Promise<void> | null = null;
  let release: (() => void) | null = null;
  let pushes = 0;
  let failNext = 0;

  async function through(entry: SinkEntry): Promise<void> {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    while (gate !== null) await gate;
    entries.push(entry);
    inFlight -= 1;
  }

  const sink: Sink<StreamFrame> = {
    push: async (frame) => {
      pushes += 1;
      const failure = failNext > 0;
      if (failure) failNext -= 1;
      await through(failure ? { kind: 'failed', frame } : { kind: 'frame', frame });
      return failure
        ? { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: 'disk full' } }
        : { status: 'accepted', eventIds: [] };
    },
    reject: (input) => through({ kind: 'reject', input }),
    status(status) {
      entries.push({ kind: 'status', status });
    },
  };
  const frames = (): StreamFrame[] => entries.flatMap((e) => (e.kind === 'frame' ? [e.frame] : []));
  return {
    sink,
    entries,
    frames,
    texts: () => frames().map((f) => f.data.toString('latin1')),
    rejects: () => entries.flatMap((e) => (e.kind === 'reject' ? [e.input] : [])),
    statuses: () => entries.flatMap((e) => (e.kind === 'status' ? [e.status] : [])),
    maxInFlight: () => maxInFlight,
    pushes: () => pushes,
    failPushes(n) {
      failNext = n;
    },
    close() {
      if (gate !== null) return;
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    open() {
      gate = null;
      release?.();
      release = null;
    },
  };
}

/** The state of each status, in order, with codes: "online", "degraded:BL_ERR_...". */
export function statusTrail(statuses: readonly LinkStatus[]): string[] {
  return statuses.map((s) => (s.code === undefined ? s.state : `${s.state}:${s.code}`));
}

export function socatAvailable(): boolean {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

export interface PtyPair {
  /** the end the connector opens */
  readonly device: string;
  /** the end the test writes to, as the instrument would */
  readonly instrument: string;
  /** starts socat (again): both links exist when it resolves */
  start(): Promise<void>;
  /** kills socat and waits for it to exit: the "cable" is unplugged, both links vanish */
  stop(): Promise<void>;
}

/** A socat pseudo-terminal pair with stable link names in `dir`, like a USB-serial adapter's by-id path. */
export function ptyPair(dir: string): PtyPair {
  const device = path.join(dir, 'device');
  const instrument = path.join(dir, 'instrument');
  let proc: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();

  return {
    device,
    instrument,
    async start() {
      if (proc !== null) throw new Error('socat already running');
      const p = spawn('socat', [`pty,raw,echo=0,link=${device}`, `pty,raw,echo=0,link=${instrument}`], { stdio: 'ignore' });
      proc = p;
      exited = new Promise((resolve) => p.once('exit', () => resolve()));
      const deadline = Date.now() + 5_000;
      while (!(existsSync(device) && existsSync(instrument))) {
        if (p.exitCode !== null) throw new Error(`socat exited early with ${p.exitCode}`);
        if (Date.now() > deadline) throw new Error('socat did not create its pty links');
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      const p = proc;
      if (p === null) return;
      proc = null;
      if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
      await exited;
    },
  };
}
