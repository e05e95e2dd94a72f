/**
 * Reconnect delays: exponential backoff with full jitter, delay = random(0, min(cap, base * 2^attempt)).
 * Full jitter (rather than "equal" or none) spreads the reconnects of many devices that lost
 * their link at the same moment (a switch reboot), so they do not hammer the network in lockstep.
 */
import { BorderlinkError } from '../errors.js';

export interface BackoffOptions {
  /** ceiling of the first delay, ms (default 500) */
  baseMs?: number;
  /** largest ceiling, ms (default 30 000) */
  capMs?: number;
}

export interface Backoff {
  /** The delay (ms) to wait before the next attempt; each call counts one more failed attempt. */
  next(): number;
  /** A success: the next failure starts again from the base. */
  reset(): void;
  /** failed attempts counted since the last reset */
  readonly attempt: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 500;
export const DEFAULT_BACKOFF_CAP_MS = 30_000;

/** Past this exponent base * 2^n is far beyond any sane cap; clamping keeps the arithmetic finite. */
const MAX_EXPONENT = 40;

/**
 * @param random a source of uniform numbers in [0, 1), injected so tests are deterministic
 */
export function createBackoff(opts: BackoffOptions = {}, random: () => number = Math.random): Backoff {
  const baseMs = opts.baseMs ?? DEFAULT_BACKOFF_BASE_MS;
  const capMs = opts.capMs ?? DEFAULT_BACKOFF_CAP_MS;
  if (!Number.isFinite(baseMs) || baseMs <= 0) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'backoff baseMs must be a positive number', { detail: { baseMs } });
  }
  if (!Number.isFinite(capMs) || capMs < baseMs) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', 'backoff capMs must be a number >= baseMs', { detail: { baseMs, capMs } });
  }
  let attempt = 0;
  return {
    next(): number {
      const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, MAX_EXPONENT));
      attempt += 1;
      const r = random();
      // A broken random source must not produce a negative or a beyond-ceiling delay.
      const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
      return Math.min(ceiling, Math.floor(u * ceiling));
    },
    reset(): void {
      attempt = 0;
    },
    get attempt(): number {
      return attempt;
    },
  };
}
