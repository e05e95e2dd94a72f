/**
 * For consumers: detect and close gaps in what an MQTT subscriber received.
 *
 * A broker's PUBACK only means the broker accepted a message. A broker may still drop QoS 1
 * messages queued for a slow or offline subscriber (Mosquitto's default max_queued_messages is
 * 1000), and a clean-session subscriber loses whatever was published while it was away. Every
 * event carries a per-device `sequence` (strictly increasing from 1, surviving gateway restarts),
 * and the gateway keeps every event it made: a consumer tracks the highest sequence seen per
 * device and asks `GET /v1/events?device=ID&afterSequence=N` for anything it missed.
 *
 * This module has no dependencies beyond `fetch`, so it can be copied into a consumer.
 */

export interface SequencedEvent {
  eventId: string;
  sequence: number;
  source: { device: { id: string } };
}

export interface Gap {
  deviceId: string;
  /** missing sequences are afterSequence + 1 .. beforeSequence - 1 */
  afterSequence: number;
  beforeSequence: number;
}

/**
 * Tracks per-device sequences. `observe` returns the gap an event reveals (if any). Duplicates
 * (at-least-once delivery) and late arrivals that fill a gap are recognised by eventId and
 * sequence, never counted twice.
 */
export class GapTracker {
  private readonly contiguous = new Map<string, number>();
  private readonly ahead = new Map<string, Set<number>>();

  /** Starts a device at a known sequence (e.g. the last one a consumer processed before a restart). */
  resume(deviceId: string, sequence: number): void {
    this.contiguous.set(deviceId, sequence);
  }

  /** The highest sequence up to which nothing is missing (0 when nothing is seen yet). */
  contiguousUpTo(deviceId: string): number {
    return this.contiguous.get(deviceId) ?? 0;
  }

  /** Records an event; true when it is new (not a duplicate). */
  observe(e: SequencedEvent): boolean {
    const id = e.source.device.id;
    const upTo = this.contiguous.get(id) ?? 0;
    if (e.sequence <= upTo) return false;
    const set = this.ahead.get(id) ?? new Set<number>();
    if (set.has(e.sequence)) return false;
    set.add(e.sequence);
    let next = upTo;
    while (set.has(next + 1)) {
      next += 1;
      set.delete(next);
    }
    this.contiguous.set(id, next);
    if (set.size === 0) this.ahead.delete(id);
    else this.ahead.set(id, set);
    return true;
  }

  /** Every open gap per device: between the contiguous prefix and the events seen beyond it. */
  gaps(): Gap[] {
    const out: Gap[] = [];
    for (const [deviceId, set] of this.ahead) {
      let after = this.contiguous.get(deviceId) ?? 0;
      for (const s of [...set].sort((a, b) => a - b)) {
        if (s > after + 1) out.push({ deviceId, afterSequence: after, beforeSequence: s });
        after = s;
      }
    }
    return out;
  }
}

/**
 * Fetches, through the REST replay API, every event of a device after `afterSequence` (up to
 * `beforeSequence` when given), in ascending sequence order, following cursors.
 */
export async function fetchMissed<E extends SequencedEvent>(
  restBase: string,
  deviceId: string,
  afterSequence: number,
  opts: { beforeSequence?: number; headers?: Record<string, string>; pageSize?: number } = {},
): Promise<E[]> {
  const out: E[] = [];
  let cursor: string | undefined;
  for (;;) {
    const q = new URLSearchParams({ device: deviceId, afterSequence: String(afterSequence), limit: String(opts.pageSize ?? 500) });
    if (cursor) q.set('cursor', cursor);
    const res = await fetch(`${restBase.replace(/\/$/, '')}/v1/events?${q.toString()}`, { headers: opts.headers ?? {} });
    if (!res.ok) throw new Error(`GET /v1/events for ${deviceId} after ${afterSequence} answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { items: E[]; nextCursor?: string };
    for (const e of page.items) {
      if (opts.beforeSequence !== undefined && e.sequence >= opts.beforeSequence) return out;
      out.push(e);
    }
    if (!page.nextCursor) return out;
    cursor = page.nextCursor;
  }
}

/** Closes every open gap of a tracker through REST; returns the events recovered (new ones only). */
export async function closeGaps<E extends SequencedEvent>(tracker: GapTracker, restBase: string, headers?: Record<string, string>): Promise<E[]> {
  const recovered: E[] = [];
  for (const g of tracker.gaps()) {
    const missed = await fetchMissed<E>(restBase, g.deviceId, g.afterSequence, { beforeSequence: g.beforeSequence, ...(headers ? { headers } : {}) });
    for (const e of missed) if (tracker.observe(e)) recovered.push(e);
  }
  return recovered;
}
