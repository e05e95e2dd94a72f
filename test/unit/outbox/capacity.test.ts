import { describe, expect, it } from 'vitest';
import { admit, checkCapacityPolicy, nextCapacityState, quarantineRecordBytes, type CapacityPolicy } from '../../../src/outbox/capacity.js';

const policy: CapacityPolicy = { maxBytes: 1000, warnAtFraction: 0.8, quarantineMaxBytes: 300 };

describe('outbox capacity policy', () => {
  it('is ok below the warning level, warn from it, full from the cap', () => {
    expect(nextCapacityState('ok', 0, policy)).toBe('ok');
    expect(nextCapacityState('ok', 799, policy)).toBe('ok');
    expect(nextCapacityState('ok', 800, policy)).toBe('warn');
    expect(nextCapacityState('ok', 999, policy)).toBe('warn');
    expect(nextCapacityState('ok', 1000, policy)).toBe('full');
    expect(nextCapacityState('warn', 5000, policy)).toBe('full');
  });

  it('leaves a state only 2 % of the cap below where it was entered (no flapping)', () => {
    expect(nextCapacityState('full', 990, policy)).toBe('full');
    expect(nextCapacityState('full', 979, policy)).toBe('warn');
    expect(nextCapacityState('warn', 790, policy)).toBe('warn');
    expect(nextCapacityState('warn', 779, policy)).toBe('ok');
    expect(nextCapacityState('full', 100, policy)).toBe('ok');
  });

  it('refuses events when full, except essential ones; takes quarantine while its budget lasts', () => {
    const events = { events: 2, quarantine: 0, quarantineBytes: 0, essential: false };
    expect(admit('ok', events, 0, policy)).toBe('write');
    expect(admit('warn', events, 0, policy)).toBe('write');
    expect(admit('full', events, 0, policy)).toBe('refuse');
    expect(admit('full', { ...events, essential: true }, 0, policy)).toBe('write');
    const q = { events: 0, quarantine: 1, quarantineBytes: 100, essential: false };
    expect(admit('full', q, 0, policy)).toBe('write');
    expect(admit('full', q, 200, policy)).toBe('write');
    expect(admit('ok', q, 201, policy)).toBe('refuse');
    // adapter state alone is always written
    expect(admit('full', { events: 0, quarantine: 0, quarantineBytes: 0, essential: false }, 999, policy)).toBe('write');
  });

  it('counts a quarantine record as its bytes and text plus a row overhead', () => {
    expect(quarantineRecordBytes({ raw: Buffer.alloc(10), message: 'abc', adapterId: 'ad' })).toBe(10 + 3 + 2 + 96);
    expect(quarantineRecordBytes({ raw: Buffer.alloc(0), message: '', adapterId: '', detail: { a: 1 } })).toBe(7 + 96);
  });

  it('checks a policy', () => {
    expect(checkCapacityPolicy(policy)).toBeUndefined();
    expect(checkCapacityPolicy({ ...policy, maxBytes: 0 })).toMatch(/maxBytes/);
    expect(checkCapacityPolicy({ ...policy, warnAtFraction: 1.5 })).toMatch(/warnAtFraction/);
    expect(checkCapacityPolicy({ ...policy, warnAtFraction: 0 })).toMatch(/warnAtFraction/);
    expect(checkCapacityPolicy({ ...policy, quarantineMaxBytes: -1 })).toMatch(/quarantine/);
  });
});
