/**
 * A fake Sink<DocumentFrame> that behaves like the pipeline over the outbox: a document is
 * committed once by its sha256 (the outbox's documentKey), a second push of the same bytes is a
 * duplicate. What each push resolves with is decided per frame, so tests can play every outcome.
 */
import { createHash } from 'node:crypto';
import type { DocumentFrame } from '../../../src/adapter/types.js';
import type { ErrorCode } from '../../../src/errors.js';
import type { LinkStatus, PushOutcome, RejectedInput, Sink } from '../../../src/connectors/types.js';

export type Decision =
  | { status: 'accept' }
  | { status: 'quarantine'; code?: ErrorCode; message?: string }
  | { status: 'fail' }
  /** commits, then never resolves: a crash between the commit and the move */
  | { status: 'commit-and-hang' };

export interface FakeDocumentSink extends Sink<DocumentFrame> {
  readonly pushes: DocumentFrame[];
  readonly statuses: LinkStatus[];
  readonly rejects: RejectedInput[];
  /** committed document keys (sha256 hex), shared across connectors like the outbox */
  readonly committed: Map<string, { name: string; status: 'accepted' | 'quarantined' }>;
  /** decides what a push resolves with; by default: BAD... is quarantined, anything else accepted */
  decide: (frame: DocumentFrame, attempt: number) => Decision;
  /** awaited before each push is answered (to hold a push in progress) */
  gate: ((frame: DocumentFrame) => Promise<void>) | undefined;
  pushCount(name: string): number;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export function createFakeDocumentSink(shared?: FakeDocumentSink['committed']): FakeDocumentSink {
  const attempts = new Map<string, number>();
  const sink: FakeDocumentSink = {
    pushes: [],
    statuses: [],
    rejects: [],
    committed: shared ?? new Map(),
    decide: (frame) => (frame.data.subarray(0, 3).toString('latin1') === 'BAD'
      ? { status: 'quarantine', code: 'BL_ERR_N42_NOT_N42', message: 'root is not RadInstrumentData' }
      : { status: 'accept' }),
    gate: undefined,
    pushCount: (name) => sink.pushes.filter((f) => f.name === name).length,
    async push(frame) {
      sink.pushes.push(frame);
      const attempt = (attempts.get(frame.name) ?? 0) + 1;
      attempts.set(frame.name, attempt);
      if (sink.gate !== undefined) await sink.gate(frame);
      const key = sha256(frame.data);
      const decision = sink.decide(frame, attempt);
      if (decision.status === 'fail') {
        return { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: 'disk full' } };
      }
      if (sink.committed.has(key)) return { status: 'duplicate', eventIds: [] };
      if (decision.status === 'commit-and-hang') {
        sink.committed.set(key, { name: frame.name, status: 'accepted' });
        return new Promise<PushOutcome>(() => undefined);
      }
      if (decision.status === 'quarantine') {
        const reason = { code: decision.code ?? 'BL_ERR_N42_INVALID', message: decision.message ?? 'not usable' };
        // a transient reason (artifact write) commits nothing durable but its quarantine record
        if (reason.code !== 'BL_ERR_ARTIFACT_WRITE') sink.committed.set(key, { name: frame.name, status: 'quarantined' });
        return { status: 'quarantined', eventIds: [], reason };
      }
      sink.committed.set(key, { name: frame.name, status: 'accepted' });
      return { status: 'accepted', eventIds: [`ev-${key.slice(0, 8)}`] };
    },
    status(s) {
      sink.statuses.push(s);
    },
    reject(input) {
      sink.rejects.push(input);
      return Promise.resolve();
    },
  };
  return sink;
}
