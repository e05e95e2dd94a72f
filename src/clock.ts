/** Time is injected everywhere it matters, so codecs and tests stay deterministic. */
export interface Clock {
  /** ms since the epoch */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** RFC 3339 UTC with milliseconds, the only time format the gateway writes. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
