/**
 * ChannelData: a list of channel contents, optionally "CountedZeroes"-compressed (a 0 followed by
 * how many zero channels it stands for). N42.42-2012 names the attribute compressionCode; many
 * 2012 files still carry the 2006 spelling Compression, so both are read. The expanded length is
 * capped, because "0 4000000000" is a few bytes that would otherwise allocate gigabytes.
 */
import { invalid, parseNumberList } from './simple-types.js';

export const DEFAULT_MAX_CHANNELS = 131_072;

/** Expands CountedZeroes; fails on a trailing 0 without its count or a count that is not a whole number >= 1. */
export function expandCountedZeroes(values: readonly number[], maxChannels: number, where: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v !== 0) {
      out.push(v);
    } else {
      const n = values[i + 1];
      if (n === undefined) throw invalid(`${where}: CountedZeroes data ends with a 0 that has no count`, { element: where });
      if (!Number.isInteger(n) || n < 1) throw invalid(`${where}: CountedZeroes count ${n} is not a whole number of at least 1`, { element: where });
      if (out.length + n > maxChannels) throw invalid(`${where}: expands to more than ${maxChannels} channels`, { element: where, maxChannels });
      for (let k = 0; k < n; k++) out.push(0);
      i++;
    }
    if (out.length > maxChannels) throw invalid(`${where}: more than ${maxChannels} channels`, { element: where, maxChannels });
  }
  return out;
}

/** Reads a ChannelData element's text under its declared compression ('' or None: plain list). */
export function readChannelData(text: string, compression: string | undefined, maxChannels: number, where: string): number[] {
  const values = parseNumberList(text, where);
  for (const v of values) if (v < 0) throw invalid(`${where}: negative channel content ${v}`, { element: where });
  const c = (compression ?? '').trim().toLowerCase();
  if (c === 'countedzeroes') return expandCountedZeroes(values, maxChannels, where);
  if (c !== '' && c !== 'none') throw invalid(`${where}: unknown ChannelData compression "${compression}"`, { element: where, compression: compression ?? '' });
  if (values.length > maxChannels) throw invalid(`${where}: more than ${maxChannels} channels`, { element: where, maxChannels });
  return values;
}
