import { describe, expect, it } from 'vitest';
import { BorderlinkError } from '../../../src/errors.js';
import { createGroupCommitter, type Outcome } from '../../../src/outbox/group-commit.js';

describe('group commit', () => {
  const committer = (maxWeight: number, write: (items: readonly number[]) => Outcome<number>[]) => {
    const groups: number[][] = [];
    const c = createGroupCommitter<number, number>({
      maxWeight,
      weigh: () => 1,
      write: (items) => {
        groups.push([...items]);
        return write(items);
      },
      failure: (cause) => new BorderlinkError('BL_ERR_OUTBOX_WRITE', 'failed', { cause }),
    });
    return { c, groups };
  };
  const double = (items: readonly number[]): Outcome<number>[] => items.map((i) => ({ ok: true, value: i * 2 }));

  it('writes what arrives in one tick as one group, each caller getting its own result', async () => {
    const { c, groups } = committer(100, double);
    const results = await Promise.all([1, 2, 3].map((i) => c.submit(i)));
    expect(results).toEqual([2, 4, 6]);
    expect(groups).toEqual([[1, 2, 3]]);
    await c.submit(4);
    expect(groups).toEqual([[1, 2, 3], [4]]);
  });

  it('cuts groups at maxWeight', async () => {
    const { c, groups } = committer(2, double);
    await Promise.all([1, 2, 3, 4, 5].map((i) => c.submit(i)));
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails every caller of a failed write, and refuses one item alone', async () => {
    const { c } = committer(100, () => {
      throw new Error('disk full');
    });
    const all = await Promise.allSettled([c.submit(1), c.submit(2)]);
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const { c: c2 } = committer(100, (items) => items.map((i) => (i === 2
      ? { ok: false, error: new BorderlinkError('BL_ERR_OUTBOX_REJECTED', 'no') }
      : { ok: true, value: i })));
    const some = await Promise.allSettled([c2.submit(1), c2.submit(2), c2.submit(3)]);
    expect(some.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('flushes on demand', async () => {
    const { c, groups } = committer(100, double);
    const p = c.submit(7);
    expect(c.pending).toBe(1);
    c.flush();
    expect(groups).toEqual([[7]]);
    expect(c.pending).toBe(0);
    await expect(p).resolves.toBe(14);
  });
});
