import { describe, expect, it } from 'vitest';
import { nextPollAt } from '../../../src/connectors/poll-cadence.js';

describe('nextPollAt', () => {
  it('keeps the grid when on time', () => {
    expect(nextPollAt(1_000, 200, 1_050)).toBe(1_200);
    expect(nextPollAt(1_000, 200, 1_200)).toBe(1_200);
  });

  it('skips missed ticks instead of bursting, staying on the grid', () => {
    expect(nextPollAt(1_000, 200, 1_201)).toBe(1_400);
    expect(nextPollAt(1_000, 200, 1_950)).toBe(2_000);
    expect(nextPollAt(1_000, 200, 2_000)).toBe(2_000);
  });
});
