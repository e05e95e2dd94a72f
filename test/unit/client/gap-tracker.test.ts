import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GapTracker } from '../../../src/client/gap-filler.js';

const ev = (device: string, sequence: number) => ({ eventId: `${device}-${sequence}`, sequence, source: { device: { id: device } } });

describe('GapTracker', () => {
  it('reports the gaps an out-of-order stream reveals and closes them as events arrive', () => {
    const t = new GapTracker();
    for (const s of [1, 2, 5, 6, 9]) t.observe(ev('a', s));
    t.observe(ev('b', 3));
    expect(t.gaps()).toEqual([
      { deviceId: 'a', afterSequence: 2, beforeSequence: 5 },
      { deviceId: 'a', afterSequence: 6, beforeSequence: 9 },
      { deviceId: 'b', afterSequence: 0, beforeSequence: 3 },
    ]);
    for (const s of [3, 4, 7, 8]) expect(t.observe(ev('a', s))).toBe(true);
    expect(t.contiguousUpTo('a')).toBe(9);
    expect(t.observe(ev('a', 4))).toBe(false);
    expect(t.gaps().filter((g) => g.deviceId === 'a')).toEqual([]);
  });

  it('after any delivery order with drops and duplicates, gaps name exactly the missing sequences', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 200 }),
      fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
      fc.array(fc.nat(), { maxLength: 400 }),
      (n, keep, order) => {
        const delivered = Array.from({ length: n }, (_, i) => i + 1).filter((s) => keep[s - 1]);
        // shuffle deterministically by the generated order, and duplicate some
        const seq = [...delivered, ...delivered.filter((_, i) => (order[i] ?? 1) % 5 === 0)];
        seq.sort((x, y) => ((order[x % order.length] ?? 0) - (order[y % order.length] ?? 0)) || x - y);
        const t = new GapTracker();
        for (const s of seq) t.observe(ev('d', s));
        const last = delivered.length ? Math.max(...delivered) : 0;
        const missing = new Set<number>();
        for (const g of t.gaps()) for (let s = g.afterSequence + 1; s < g.beforeSequence; s += 1) missing.add(s);
        for (let s = 1; s <= last; s += 1) expect(missing.has(s)).toBe(!delivered.includes(s));
      },
    ), { numRuns: 500 });
  });
});
