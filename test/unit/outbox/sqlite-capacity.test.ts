/**
 * The SQLite outbox's disk cap, retention and durable hand-over (capacity.ts holds the pure
 * policy; these run it against a real database with a tiny cap).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { BorderlinkError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import type { CapacityReport } from '../../../src/outbox/capacity.js';
import { openSqliteOutbox, type SqliteOutbox, type SqliteOutboxOptions } from '../../../src/outbox/sqlite-outbox.js';
import type { OutboxRow, QuarantineInput } from '../../../src/outbox/types.js';
import { makeEvent } from '../../helpers/events.js';
import { rejection as refusal } from '../../helpers/rejection.js';


const quarantine = (deviceId: string, bytes: number): QuarantineInput => ({
  deviceId, adapterId: 'a', adapterVersion: '1', code: 'BL_ERR_OUTBOX_FULL', message: 'm', raw: Buffer.alloc(bytes, 7), receivedAt: '2026-11-23T10:00:00.000Z',
});

describe('sqlite outbox: cap, retention, durable hand-over', () => {
  let dir = '';
  let t = 1_000_000;
  const clock: Clock = { now: () => t };
  const opened: SqliteOutbox[] = [];
  const open = (more: Partial<SqliteOutboxOptions> = {}): SqliteOutbox => {
    const o = openSqliteOutbox({
      path: path.join(dir, 'outbox.db'), clock, logger: silentLogger(), maintenanceIntervalMs: 0, checkpointIntervalMs: 0, ...more,
    });
    opened.push(o);
    return o;
  };
  /** appends single-event batches of device `id` until the outbox refuses one; returns how many went in */
  const fill = async (o: SqliteOutbox, id: string, limit = 5000): Promise<{ written: number; error: BorderlinkError }> => {
    for (let i = 0; i < limit; i++) {
      try {
        await o.append({ deviceId: id, events: [makeEvent({ deviceId: id })] });
      } catch (e) {
        return { written: i, error: e as BorderlinkError };
      }
    }
    throw new Error(`no refusal within ${limit} appends`);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-outbox-cap-'));
    t = 1_000_000;
  });
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('announces warn, then refuses device events at the cap with BL_ERR_OUTBOX_FULL, and nothing is lost', async () => {
    const o = open({ capacity: { maxBytes: 600_000, warnAtFraction: 0.5, quarantineMaxBytes: 10_000 } });
    const changes: CapacityReport[] = [];
    o.onCapacityChange((r) => changes.push(r));
    expect(o.capacity()).toMatchObject({ state: 'ok', capBytes: 600_000, warnBytes: 300_000, quarantineCapBytes: 10_000 });
    const { written, error } = await fill(o, 'A');
    expect(error.code).toBe('BL_ERR_OUTBOX_FULL');
    expect(error.kind).toBe('transient');
    expect(changes.map((c) => c.state)).toEqual(['warn', 'full']);
    expect(o.capacity().bytes).toBeGreaterThanOrEqual(600_000);
    // soft by at most one group commit: every append that was answered is stored
    expect(o.device('A')?.lastSequence).toBe(written);
    expect(o.stats(t).depth).toBe(written);
    expect(o.writeCounters().refusedFull).toBe(1);
  });

  it('writes essential (link-status) events, state-only batches and quarantine within its budget past the cap', async () => {
    const o = open({ capacity: { maxBytes: 400_000, warnAtFraction: 0.9, quarantineMaxBytes: 3000 } });
    await fill(o, 'A');
    expect(o.capacity().state).toBe('full');
    const status = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A', statusState: 'offline' })], essential: true });
    expect(status.events).toHaveLength(1);
    await o.append({ deviceId: 'A', events: [], state: { cursor: 9 } });
    expect(o.loadState('A')).toEqual({ cursor: 9 });
    await o.append({ deviceId: 'A', events: [], quarantine: [quarantine('A', 1000)] });
    await o.append({ deviceId: 'A', events: [], quarantine: [quarantine('A', 1000)] });
    expect(o.capacity().quarantineBytes).toBeGreaterThan(2000);
    const over = await refusal(o.append({ deviceId: 'A', events: [], quarantine: [quarantine('A', 1000)] }));
    expect(over.code).toBe('BL_ERR_OUTBOX_FULL');
    expect(over.detail).toMatchObject({ refused: 'quarantine' });
    expect(o.quarantine({ limit: 10 }).items).toHaveLength(2);
  });

  it('makes room by pruning published events, oldest first, and takes events again', async () => {
    const o = open({ capacity: { maxBytes: 500_000, warnAtFraction: 0.6 } });
    const changes: string[] = [];
    o.onCapacityChange((r) => changes.push(r.state));
    await fill(o, 'A');
    const rows = o.lease(0, 10_000);
    // unpublished events are never pruned: still full
    expect(o.maintain().prunedForSpace).toBe(0);
    expect(o.capacity().state).toBe('full');
    o.ack(rows.map((r) => r.id));
    let pruned = 0;
    for (let i = 0; i < 5 && o.capacity().state !== 'ok'; i++) pruned += o.maintain().prunedForSpace;
    expect(pruned).toBeGreaterThan(0);
    expect(o.capacity().state).toBe('ok');
    expect(changes.slice(0, 2)).toEqual(['warn', 'full']);
    expect(changes[changes.length - 1]).toBe('ok');
    // the oldest went first, the device's last event stays, sequences go on
    const left = o.query({ deviceId: 'A', limit: 10_000 }).events.map((e) => e.sequence);
    expect(left[0]).toBe(rows.length);
    expect(Math.min(...left)).toBe(rows.length - left.length + 1);
    const next = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' })] });
    expect(next.events[0]?.sequence).toBe(rows.length + 1);
  });

  it('keeps at most retainMaxEvents published events, and published events within ackedMaxAgeMs', async () => {
    const o = open({ retention: { maxAckedEvents: 10, ackedMaxAgeMs: 60_000 } });
    const r = await o.append({ deviceId: 'A', events: Array.from({ length: 30 }, () => makeEvent({ deviceId: 'A' })) });
    o.ack(r.rows.slice(0, 25).map((x) => x.id));
    expect(o.maintain()).toMatchObject({ prunedByAge: 0, prunedByCount: 15 });
    expect(o.query({ deviceId: 'A', limit: 100 }).events.map((e) => e.sequence)).toEqual(Array.from({ length: 15 }, (_, i) => 30 - i));
    t += 61_000;
    // the 10 remaining published ones are past the age; the 5 unpublished stay whatever their age
    expect(o.maintain()).toMatchObject({ prunedByAge: 10, prunedByCount: 0 });
    expect(o.query({ deviceId: 'A', limit: 100 }).events.map((e) => e.sequence)).toEqual([30, 29, 28, 27, 26]);
  });

  it('prunes quarantine records past quarantineMaxAgeMs and gives their bytes back to the budget', async () => {
    t = Date.parse('2026-11-23T12:00:00.000Z');
    const o = open({ retention: { quarantineMaxAgeMs: 3_600_000 } });
    await o.append({ deviceId: 'A', events: [], quarantine: [quarantine('A', 500), { ...quarantine('A', 500), receivedAt: '2026-11-23T11:30:00.000Z' }] });
    const before = o.capacity().quarantineBytes;
    expect(o.maintain().quarantinePruned).toBe(1);
    expect(o.quarantine({ limit: 10 }).items.map((q) => q.receivedAt)).toEqual(['2026-11-23T11:30:00.000Z']);
    expect(o.capacity().quarantineBytes).toBeLessThan(before);
    expect(o.capacity().quarantineBytes).toBeGreaterThan(500);
  });

  it('answers appends only after the WAL is synced, one sync for many appends, and hands rows to subscribers in order', async () => {
    const o = open();
    const seen: number[] = [];
    const unsubscribe = o.subscribe((rows: readonly OutboxRow[]) => seen.push(...rows.map((r) => r.id)));
    const syncsBefore = o.writeCounters().syncs;
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => o.append({ deviceId: `d${i % 4}`, events: [makeEvent({ deviceId: `d${i % 4}` })] })));
    const ids = results.flatMap((r) => r.rows.map((x) => x.id));
    expect(seen).toEqual(ids);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(o.writeCounters().commits).toBe(1);
    expect(o.writeCounters().syncs - syncsBefore).toBe(1);
    // what a subscriber was handed is what the store leases
    expect(o.lease(0, 100).map((r) => r.id)).toEqual(ids);
    unsubscribe();
    await o.append({ deviceId: 'd0', events: [makeEvent({ deviceId: 'd0' })] });
    expect(seen).toHaveLength(40);
  });

  it('runs its checkpoints on a worker thread and closes it with the outbox', async () => {
    const o = open({ checkpointIntervalMs: 5 });
    for (let i = 0; i < 20; i++) await o.append({ deviceId: 'A', events: Array.from({ length: 50 }, () => makeEvent({ deviceId: 'A' })) });
    await o.close();
    // the last connection out checkpointed and removed the WAL: everything is in the main file
    expect(fs.existsSync(path.join(dir, 'outbox.db-wal'))).toBe(false);
    const again = open();
    expect(again.device('A')?.lastSequence).toBe(1000);
    expect(again.integrityCheck()).toBe('ok');
  });
});
