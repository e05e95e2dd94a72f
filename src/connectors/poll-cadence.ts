/**
 * Fixed-cadence polling: polls sit on the grid start + k * interval, so their timing does not
 * drift by the time each poll takes. A late poll (slow device, slow sink) skips the ticks it
 * missed instead of firing them back to back: a backlog of stale polls helps no one.
 */

/** The first grid point after `prevScheduled` that is not in the past (`now` or later). */
export function nextPollAt(prevScheduled: number, intervalMs: number, now: number): number {
  const next = prevScheduled + intervalMs;
  if (next >= now) return next;
  return prevScheduled + Math.ceil((now - prevScheduled) / intervalMs) * intervalMs;
}
