/**
 * The outbox's disk cap, as a pure policy: how full the store is, and what that means for an
 * append. The SQLite outbox measures; this module decides, so the policy is testable without a
 * database and reads in one place (docs/reliability.md, "Disk", says the same in prose).
 *
 *   ok    below warnAtFraction x maxBytes
 *   warn  at or above it: a metric and a gateway status announce that the cap is near
 *   full  at or above maxBytes: appends of device events are refused with BL_ERR_OUTBOX_FULL
 *         (devices that can wait are held back; what cannot wait goes to quarantine)
 *
 * Each state is left only HYSTERESIS_FRACTION of the cap below where it was entered, so a store
 * hovering at a threshold does not flap (and does not publish a status per commit).
 *
 * The quarantine has its own, smaller budget, counted apart: records past the event cap are
 * still taken while the quarantine holds less than quarantineMaxBytes, so the disk is bounded by
 * maxBytes + quarantineMaxBytes (plus the WAL and free pages, see sqlite-outbox.ts).
 */

export type CapacityState = 'ok' | 'warn' | 'full';

export const CAPACITY_STATES: readonly CapacityState[] = ['ok', 'warn', 'full'];

export interface CapacityPolicy {
  /** the cap on live database bytes (events, quarantine, indexes) */
  maxBytes: number;
  /** 0 < warnAtFraction <= 1: where the warning starts */
  warnAtFraction: number;
  /** the separate budget of quarantine records (raw bytes + text), counted inside maxBytes too */
  quarantineMaxBytes: number;
}

export interface CapacityReport {
  state: CapacityState;
  /** live database bytes: (page_count - freelist_count) x page_size */
  bytes: number;
  capBytes: number;
  warnBytes: number;
  /** bytes held by quarantine records (estimate kept in memory) */
  quarantineBytes: number;
  quarantineCapBytes: number;
}

/** how far below a threshold a state is left, as a fraction of maxBytes */
export const HYSTERESIS_FRACTION = 0.02;

export const DEFAULT_CAPACITY: CapacityPolicy = {
  maxBytes: 1024 ** 3,
  warnAtFraction: 0.8,
  quarantineMaxBytes: 64 * 1024 ** 2,
};

/** The state for `bytes`, given the state before (for hysteresis). */
export function nextCapacityState(previous: CapacityState, bytes: number, policy: CapacityPolicy): CapacityState {
  const warnAt = policy.warnAtFraction * policy.maxBytes;
  const slack = HYSTERESIS_FRACTION * policy.maxBytes;
  if (bytes >= policy.maxBytes) return 'full';
  if (previous === 'full' && bytes >= policy.maxBytes - slack) return 'full';
  if (bytes >= warnAt) return 'warn';
  if (previous !== 'ok' && bytes >= warnAt - slack) return 'warn';
  return 'ok';
}

/** What an append of this shape may do in this state. */
export type AppendVerdict = 'write' | 'refuse';

export interface AppendShape {
  events: number;
  quarantine: number;
  /** estimated bytes of its quarantine records */
  quarantineBytes: number;
  /** gateway-made link-status events: few, and they tell consumers why data stopped */
  essential: boolean;
}

/**
 * Events are refused when full (unless essential); quarantine records are taken while the
 * quarantine budget lasts, whatever the event state; a batch carrying only adapter state is
 * always written (it updates one row in place).
 */
export function admit(state: CapacityState, shape: AppendShape, quarantineBytes: number, policy: CapacityPolicy): AppendVerdict {
  if (shape.events > 0 && state === 'full' && !shape.essential) return 'refuse';
  if (shape.quarantine > 0 && quarantineBytes + shape.quarantineBytes > policy.quarantineMaxBytes) return 'refuse';
  return 'write';
}

/** Bytes a quarantine record takes, near enough: its blob and text plus a row's overhead. */
export function quarantineRecordBytes(q: { raw: Buffer; message: string; adapterId: string; detail?: unknown }): number {
  return q.raw.length + q.message.length + q.adapterId.length + (q.detail === undefined ? 0 : JSON.stringify(q.detail).length) + 96;
}

/** Checks a policy from configuration or a caller; returns a message for the first problem. */
export function checkCapacityPolicy(p: CapacityPolicy): string | undefined {
  if (!Number.isFinite(p.maxBytes) || p.maxBytes <= 0) return 'maxBytes must be a positive number';
  if (!Number.isFinite(p.warnAtFraction) || p.warnAtFraction <= 0 || p.warnAtFraction > 1) return 'warnAtFraction must be in (0, 1]';
  if (!Number.isFinite(p.quarantineMaxBytes) || p.quarantineMaxBytes < 0) return 'quarantineMaxBytes must be a non-negative number';
  return undefined;
}
