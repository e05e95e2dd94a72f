import { describe, expect, it } from 'vitest';
import { createUuidV7, uuidV7TimeMs } from '../../src/ids.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('createUuidV7', () => {
  it('makes RFC 9562 version 7 ids carrying the clock time', () => {
    const next = createUuidV7({ now: () => Date.UTC(2026, 10, 23, 10, 15, 30, 123) });
    const id = next();
    expect(id).toMatch(UUID_V7);
    expect(uuidV7TimeMs(id)).toBe(Date.UTC(2026, 10, 23, 10, 15, 30, 123));
  });

  it('is strictly increasing within one millisecond and when the clock steps back', () => {
    let t = 1_700_000_000_000;
    const next = createUuidV7({ now: () => t });
    const ids: string[] = [];
    for (let i = 0; i < 5000; i++) {
      if (i === 2000) t -= 10_000; // clock stepped back
      if (i === 4000) t += 20_000;
      ids.push(next());
    }
    for (const id of ids) expect(id).toMatch(UUID_V7);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('is deterministic with injected randomness, and increments its counter within a millisecond', () => {
    const zeros = (n: number): Buffer => Buffer.alloc(n);
    const next = createUuidV7({ now: () => 0x0123456789ab }, zeros);
    expect(next()).toBe('01234567-89ab-7000-8000-000000000000');
    expect(next()).toBe('01234567-89ab-7000-8000-000100000000');
    const big = createUuidV7({ now: () => 1 }, (n) => Buffer.alloc(n, 0xff));
    // seed is capped to 41 bits, leaving room for 2^41 increments in the millisecond
    expect(big()).toBe('00000000-0001-77ff-bfff-ffffffffffff');
    expect(big()).toBe('00000000-0001-7800-8000-0000ffffffff');
  });
});
