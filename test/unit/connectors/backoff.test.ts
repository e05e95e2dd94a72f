import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createBackoff, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_CAP_MS } from '../../../src/connectors/backoff.js';
import { BorderlinkError } from '../../../src/errors.js';

describe('createBackoff (full jitter)', () => {
  it('stays within [0, min(cap, base * 2^attempt)] for any random source value', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5_000 }),
      fc.integer({ min: 0, max: 100_000 }),
      fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 1, maxLength: 80 }),
      (baseMs, extra, draws) => {
        const capMs = baseMs + extra;
        let i = 0;
        const b = createBackoff({ baseMs, capMs }, () => draws[i] ?? 0);
        for (i = 0; i < draws.length; i += 1) {
          const d = b.next();
          const ceiling = Math.min(capMs, baseMs * 2 ** i);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(ceiling);
        }
      },
    ));
  });

  it('uses the whole range: random 0 gives 0, random near 1 gives near the ceiling', () => {
    const low = createBackoff({ baseMs: 100, capMs: 1_000 }, () => 0);
    expect([low.next(), low.next(), low.next()]).toEqual([0, 0, 0]);
    const high = createBackoff({ baseMs: 100, capMs: 1_000 }, () => 0.999999);
    expect([high.next(), high.next(), high.next(), high.next(), high.next(), high.next()])
      .toEqual([99, 199, 399, 799, 999, 999]);
  });

  it('resets to the base after a success', () => {
    const b = createBackoff({ baseMs: 100, capMs: 10_000 }, () => 0.999999);
    b.next(); b.next(); b.next();
    expect(b.attempt).toBe(3);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(99);
  });

  it('defaults to base 500 ms and cap 30 s, and never overflows after many attempts', () => {
    expect(DEFAULT_BACKOFF_BASE_MS).toBe(500);
    expect(DEFAULT_BACKOFF_CAP_MS).toBe(30_000);
    const b = createBackoff({}, () => 0.999999);
    expect(b.next()).toBe(499);
    let last = 0;
    for (let i = 0; i < 10_000; i += 1) last = b.next();
    expect(last).toBe(29_999);
  });

  it('clamps a broken random source into the range', () => {
    const b = createBackoff({ baseMs: 100, capMs: 100 }, () => Number.NaN);
    expect(b.next()).toBe(0);
    const c = createBackoff({ baseMs: 100, capMs: 100 }, () => 7);
    expect(c.next()).toBe(100);
  });

  it('draws spread over the range (not all at the ceiling, not all at zero)', () => {
    // Deterministic LCG so the test is reproducible.
    let seed = 42;
    const rnd = (): number => { seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31; return seed / 2 ** 31; };
    const samples: number[] = [];
    for (let i = 0; i < 2_000; i += 1) {
      const b = createBackoff({ baseMs: 1_000, capMs: 1_000 }, rnd);
      samples.push(b.next());
    }
    const mean = samples.reduce((a, x) => a + x, 0) / samples.length;
    expect(mean).toBeGreaterThan(400);
    expect(mean).toBeLessThan(600);
    expect(samples.filter((x) => x < 250).length).toBeGreaterThan(300);
    expect(samples.filter((x) => x > 750).length).toBeGreaterThan(300);
  });

  it('refuses nonsense options with a coded error', () => {
    expect(() => createBackoff({ baseMs: 0 })).toThrow(BorderlinkError);
    expect(() => createBackoff({ baseMs: 1_000, capMs: 10 })).toThrow(BorderlinkError);
  });
});
