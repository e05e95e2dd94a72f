import { socatPtys } from '../../helpers/socat.js';
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

export { socatAvailable } from '../../helpers/socat.js';

export interface PtyPair {
  /** the end the connector opens */
  readonly device: string;
  /** the end the test writes to, as the instrument would */
  readonly instrument: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A socat pseudo-terminal pair with stable link names in `dir`, like a USB-serial adapter's by-id path. */
export function ptyPair(dir: string): PtyPair {
  const p = socatPtys(dir, ['device', 'instrument']);
  return { device: p.a, instrument: p.b, start: () => p.start(), stop: () => p.stop() };
}
