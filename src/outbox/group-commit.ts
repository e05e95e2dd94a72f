/**
 * Group commit: callers that submit within the same event-loop turn (until setImmediate fires)
 * or until `maxWeight` is reached share one write. Each caller still gets its own outcome: one
 * bad item need not sink the group, but a failed write fails every caller in it.
 *
 * With `durable`, the write only stages the group (committed, not yet on disk) and callers are
 * answered once the promise `durable` returns settles: the next group can be written while the
 * disk syncs this one, and one sync may cover several groups (see wal-sync.ts).
 */
import { BorderlinkError } from '../errors.js';

export type Outcome<O> = { ok: true; value: O } | { ok: false; error: BorderlinkError };

export interface GroupCommitOptions<I, O> {
  /** flush as soon as the pending weight reaches this (an item is never split) */
  maxWeight: number;
  weigh(item: I): number;
  /** Writes one group atomically: one outcome per item, in order; throws to fail them all. */
  write(items: readonly I[]): Outcome<O>[];
  /** turns what `write` threw into the error every caller of the group receives */
  failure(cause: unknown, items: number): BorderlinkError;
  /**
   * Called right after a successful `write` with its outcomes; callers are answered when it
   * resolves, or all fail through `failure` when it rejects. Promises it returns must settle in
   * the order the groups were written.
   */
  durable?(outcomes: readonly Outcome<O>[]): Promise<void>;
}

export interface GroupCommitter<I, O> {
  submit(item: I): Promise<O>;
  /** writes whatever is pending now, synchronously */
  flush(): void;
  /** items waiting for the next write */
  readonly pending: number;
}

interface Waiter<I, O> {
  item: I;
  resolve(value: O): void;
  reject(error: BorderlinkError): void;
}

export function createGroupCommitter<I, O>(opts: GroupCommitOptions<I, O>): GroupCommitter<I, O> {
  let queue: Waiter<I, O>[] = [];
  let weight = 0;
  let timer: NodeJS.Immediate | undefined;

  const flush = (): void => {
    if (timer !== undefined) {
      clearImmediate(timer);
      timer = undefined;
    }
    if (queue.length === 0) return;
    const group = queue;
    queue = [];
    weight = 0;
    let outcomes: Outcome<O>[];
    try {
      outcomes = opts.write(group.map((w) => w.item));
    } catch (cause) {
      const error = opts.failure(cause, group.length);
      for (const w of group) w.reject(error);
      return;
    }
    const answer = (): void => {
      group.forEach((w, i) => {
        const outcome = outcomes[i];
        if (outcome === undefined) {
          w.reject(new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'Group write returned too few outcomes'));
        } else if (outcome.ok) {
          w.resolve(outcome.value);
        } else {
          w.reject(outcome.error);
        }
      });
    };
    if (opts.durable === undefined) {
      answer();
      return;
    }
    let synced: Promise<void>;
    try {
      synced = opts.durable(outcomes);
    } catch (cause) {
      synced = Promise.reject(cause);
    }
    synced.then(answer, (cause: unknown) => {
      const error = opts.failure(cause, group.length);
      for (const w of group) w.reject(error);
    });
  };

  return {
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        weight += opts.weigh(item);
        if (weight >= opts.maxWeight) flush();
        else timer ??= setImmediate(flush);
      });
    },
    flush,
    get pending() {
      return queue.length;
    },
  };
}
