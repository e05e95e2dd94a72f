import { describe, expect, it } from 'vitest';
import { expandCountedZeroes, readChannelData } from '../../../src/n42/channel-data.js';
import { isBorderlinkError } from '../../../src/errors.js';
import { parseBoolean, parseDateTime, parseDuration, parseNumberList } from '../../../src/n42/simple-types.js';

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isBorderlinkError(e) ? e.code : 'not a BorderlinkError';
  }
  return undefined;
}

describe('parseDuration (xs:duration)', () => {
  it.each([
    ['PT12.5S', 12.5],
    ['PT0.2S', 0.2],
    ['P0DT0H1M2.5S', 62.5],
    ['PT1H', 3600],
    ['P1D', 86400],
    ['PT1M', 60],
    ['12.5', 12.5],
    [' PT3S ', 3],
  ])('%s is %s s', (text, seconds) => {
    expect(parseDuration(text, 'RealTimeDuration')).toBe(seconds);
  });

  it.each(['P1Y', 'P1M', 'PT', 'P', '-PT1S', 'abc', 'PT1.S', 'P400D', '40000000'])('refuses %s', (text) => {
    expect(thrownCode(() => parseDuration(text, 'RealTimeDuration'))).toBe('BL_ERR_N42_INVALID');
  });
});

describe('parseDateTime (xs:dateTime)', () => {
  it('reads UTC and offsets to the same instant', () => {
    expect(parseDateTime('2026-11-23T10:15:30.12Z', 'StartDateTime')).toEqual({ ms: Date.UTC(2026, 10, 23, 10, 15, 30, 120), zoned: true });
    expect(parseDateTime('2026-11-23T11:15:30.120+01:00', 'StartDateTime').ms).toBe(Date.UTC(2026, 10, 23, 10, 15, 30, 120));
    expect(parseDateTime('2026-11-23T05:45:30.120-04:30', 'StartDateTime').ms).toBe(Date.UTC(2026, 10, 23, 10, 15, 30, 120));
  });

  it('keeps years below 100 as written', () => {
    expect(new Date(parseDateTime('0050-03-01T00:00:00Z', 'StartDateTime').ms).toISOString()).toBe('0050-03-01T00:00:00.000Z');
  });

  it('truncates below the millisecond', () => {
    expect(parseDateTime('2026-11-23T10:15:30.1239Z', 'StartDateTime').ms).toBe(Date.UTC(2026, 10, 23, 10, 15, 30, 123));
  });

  it('reads a time without a zone as UTC and says so', () => {
    expect(parseDateTime('2026-11-23T10:15:30', 'StartDateTime')).toEqual({ ms: Date.UTC(2026, 10, 23, 10, 15, 30), zoned: false });
  });

  it.each(['2026-02-30T00:00:00Z', '2026-11-23 10:15:30Z', '2026-11-23T24:00:00Z', 'yesterday', '2026-11-23T10:61:00Z'])('refuses %s', (text) => {
    expect(thrownCode(() => parseDateTime(text, 'StartDateTime'))).toBe('BL_ERR_N42_INVALID');
  });
});

describe('numbers and booleans', () => {
  it('reads number lists separated by whitespace or commas', () => {
    expect(parseNumberList(' 1 2.5\n3e2,4 ', 'CountData')).toEqual([1, 2.5, 300, 4]);
    expect(parseNumberList('', 'CountData')).toEqual([]);
    expect(thrownCode(() => parseNumberList('1 two 3', 'CountData'))).toBe('BL_ERR_N42_INVALID');
    expect(thrownCode(() => parseNumberList('1 NaN', 'CountData'))).toBe('BL_ERR_N42_INVALID');
  });

  it('reads xs:boolean and common vendor spellings', () => {
    expect([parseBoolean('true'), parseBoolean('1'), parseBoolean('Yes'), parseBoolean('false'), parseBoolean('0'), parseBoolean('maybe')]).toEqual([true, true, true, false, false, undefined]);
  });
});

describe('CountedZeroes', () => {
  it('expands a 0 followed by its count', () => {
    expect(expandCountedZeroes([5, 0, 3, 7, 0, 1, 2], 100, 'ChannelData')).toEqual([5, 0, 0, 0, 7, 0, 2]);
    expect(expandCountedZeroes([0, 4], 100, 'ChannelData')).toEqual([0, 0, 0, 0]);
  });

  it('reads float spellings of the zero and its count', () => {
    expect(readChannelData('1.000000 0.000000 2.000000 3.5', 'CountedZeroes', 100, 'ChannelData')).toEqual([1, 0, 0, 3.5]);
  });

  it('refuses a trailing 0 without a count, and counts that are not whole numbers >= 1', () => {
    expect(thrownCode(() => expandCountedZeroes([1, 0], 100, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
    expect(thrownCode(() => expandCountedZeroes([0, 0], 100, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
    expect(thrownCode(() => expandCountedZeroes([0, 1.5], 100, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
  });

  it('refuses a decompression bomb before allocating it', () => {
    expect(thrownCode(() => readChannelData('0 4000000000', 'CountedZeroes', 131072, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
    expect(thrownCode(() => readChannelData('0 100000 0 100000', 'CountedZeroes', 131072, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
  });

  it('takes uncompressed data as it is, case-insensitive compression names, and refuses unknown ones', () => {
    expect(readChannelData('1 0 3', undefined, 100, 'ChannelData')).toEqual([1, 0, 3]);
    expect(readChannelData('1 0 3', 'None', 100, 'ChannelData')).toEqual([1, 0, 3]);
    expect(readChannelData('1 0 3', 'countedzeroes', 100, 'ChannelData')).toEqual([1, 0, 0, 0]);
    expect(thrownCode(() => readChannelData('1 2', 'RLE', 100, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
    expect(thrownCode(() => readChannelData('1 -2', undefined, 100, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
    expect(thrownCode(() => readChannelData('1 2 3', undefined, 2, 'ChannelData'))).toBe('BL_ERR_N42_INVALID');
  });
});
