import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../../src/clock.js';
import { silentLogger } from '../../../src/log.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import { makeEvent } from '../../helpers/events.js';
import { rejection } from '../../helpers/rejection.js';

describe('sqlite outbox', () => {
  let dir = '';
  let file = '';
  let t = 1_000_000;
  const clock: Clock = { now: () => t };
  const toClose: { close(): unknown }[] = [];
  const open = (more: { batchMaxEvents?: number; busyTimeoutMs?: number } = {}): SqliteOutbox => {
    const o = openSqliteOutbox({ path: file, clock, logger: silentLogger(), ...more });
    toClose.push(o);
    return o;
  };
  const side = (): Database.Database => {
    const db = new Database(file);
    toClose.push(db);
    return db;
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-sqlite-outbox-'));
    file = path.join(dir, 'data', 'outbox.db');
    t = 1_000_000;
  });
  afterEach(async () => {
    for (const c of toClose.splice(0).reverse()) await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('creates its directory, runs in WAL mode and records its migrations once', async () => {
    let o = open();
    await o.close();
    o = open();
    const db = side();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT version, name FROM schema_migrations').all()).toEqual([
      { version: 1, name: 'events, devices, quarantine' },
      { version: 2, name: 'document keys' },
      { version: 3, name: 'artifact references' },
    ]);
    expect(o.integrityCheck()).toBe('ok');
  });

  it('refuses a database written by a newer gateway, and a path it cannot create', async () => {
    await open().close();
    const db = side();
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (99, ?, 0)').run('future');
    db.close();
    expect(() => open()).toThrow(expect.objectContaining({ code: 'BL_ERR_OUTBOX_OPEN' }));
    fs.writeFileSync(path.join(dir, 'plain-file'), 'x');
    expect(() => openSqliteOutbox({ path: path.join(dir, 'plain-file', 'outbox.db'), clock, logger: silentLogger() }))
      .toThrow(expect.objectContaining({ code: 'BL_ERR_OUTBOX_OPEN' }));
  });

  it('writes appends made in one tick in one transaction', async () => {
    const o = open();
    await Promise.all(Array.from({ length: 50 }, (_, i) => o.append({ deviceId: `d${i}`, events: [makeEvent({ deviceId: `d${i}` })] })));
    expect(o.writeCounters()).toMatchObject({ commits: 1, failedCommits: 0, events: 50, rejectedBatches: 0, refusedFull: 0 });
  });

  it('cuts a group at batchMaxEvents without splitting a batch', async () => {
    const o = open({ batchMaxEvents: 10 });
    const ev = (): ReturnType<typeof makeEvent> => makeEvent({ deviceId: 'A' });
    await Promise.all(Array.from({ length: 50 }, () => o.append({ deviceId: 'A', events: [ev()] })));
    expect(o.writeCounters().commits).toBe(5);
    const big = await o.append({ deviceId: 'A', events: Array.from({ length: 25 }, ev) });
    expect(big.events.map((e) => e.sequence)).toEqual(Array.from({ length: 25 }, (_, i) => 51 + i));
    expect(o.writeCounters().commits).toBe(6);
  });

  it('rejects every caller of a failed transaction with BL_ERR_OUTBOX_WRITE and writes nothing', async () => {
    const o = open({ busyTimeoutMs: 20 });
    await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' })], state: { n: 1 } });
    const blocker = side();
    blocker.exec('BEGIN IMMEDIATE');
    const calls = [
      o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' })], state: { n: 2 } }),
      o.append({ deviceId: 'B', events: [makeEvent({ deviceId: 'B' })] }),
      o.append({ deviceId: 'C', events: [], quarantine: [{ deviceId: 'C', adapterId: 'x', adapterVersion: '1', code: 'BL_ERR_DECODE_SHORT_FRAME', message: 'm', raw: Buffer.from([1]), receivedAt: '2026-11-23T10:00:00.000Z' }] }),
    ];
    for (const c of calls) expect((await rejection(c)).code).toBe('BL_ERR_OUTBOX_WRITE');
    blocker.exec('ROLLBACK');
    expect(o.writeCounters()).toMatchObject({ commits: 1, failedCommits: 1 });
    expect(o.stats(t).depth).toBe(1);
    expect(o.devices().map((d) => d.id)).toEqual(['A']);
    expect(o.loadState('A')).toEqual({ n: 1 });
    const next = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' })] });
    expect(next.events[0]?.sequence).toBe(2);
  });

  it('refuses alone a batch holding another device\'s event', async () => {
    const o = open();
    const [bad, good] = await Promise.allSettled([
      o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'B' })] }),
      o.append({ deviceId: 'B', events: [makeEvent({ deviceId: 'B' })] }),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'BL_ERR_OUTBOX_REJECTED' } });
    expect(good).toMatchObject({ status: 'fulfilled' });
    expect(o.writeCounters()).toMatchObject({ commits: 1, rejectedBatches: 1, events: 1 });
    expect(o.device('A')).toBeUndefined();
  });

  it('keeps its in-memory depth equal to a count of unacknowledged rows', async () => {
    let o = open();
    const count = (): number => side().prepare('SELECT COUNT(*) FROM events WHERE acked_at_ms IS NULL').pluck().get() as number;
    const r = await o.append({ deviceId: 'A', events: Array.from({ length: 20 }, () => makeEvent({ deviceId: 'A' })) });
    o.ack(r.rows.slice(0, 7).map((x) => x.id));
    o.ack(r.rows.slice(5, 9).map((x) => x.id));
    o.ack([-1, 1.5, Number.NaN, 10_000_000]);
    expect(o.stats(t).depth).toBe(11);
    expect(count()).toBe(11);
    await o.close();
    o = open();
    expect(o.stats(t).depth).toBe(11);
  });

  it('throws BL_ERR_OUTBOX_CLOSED from every method after close', async () => {
    const o = open();
    await o.close();
    for (const call of [() => o.lease(0, 1), () => o.ack([1]), () => o.stats(0), () => o.query({ limit: 1 }), () => o.prune({ ackedOlderThanMs: 0 })]) {
      expect(call).toThrow(expect.objectContaining({ code: 'BL_ERR_OUTBOX_CLOSED' }));
    }
  });

  describe('prune', () => {
    it('deletes only acknowledged events older than the horizon, at most maxRows per call', async () => {
      const o = open();
      const old = await o.append({ deviceId: 'A', events: Array.from({ length: 10 }, () => makeEvent({ deviceId: 'A' })) });
      o.ack(old.rows.slice(0, 6).map((r) => r.id));
      t += 60_000;
      const fresh = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' }), makeEvent({ deviceId: 'A' })] });
      o.ack(fresh.rows.map((r) => r.id));
      expect(o.prune({ ackedOlderThanMs: 30_000, maxRows: 4 })).toBe(4);
      expect(o.prune({ ackedOlderThanMs: 30_000, maxRows: 4 })).toBe(2);
      expect(o.prune({ ackedOlderThanMs: 30_000 })).toBe(0);
      expect(o.eventsAfter(0, 100).map((r) => r.id)).toEqual([...old.rows.slice(6), ...fresh.rows].map((r) => r.id));
      expect(o.stats(t).depth).toBe(4);
      expect(o.lease(0, 100).map((r) => r.id)).toEqual(old.rows.slice(6).map((r) => r.id));
      expect(o.integrityCheck()).toBe('ok');
    });

    it('keeps each device\'s last event, and sequences and row ids go on after pruning everything', async () => {
      let o = open();
      const a = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' }), makeEvent({ deviceId: 'A' })] });
      const b = await o.append({ deviceId: 'B', events: [makeEvent({ deviceId: 'B' })] });
      o.ack([...a.rows, ...b.rows].map((r) => r.id));
      t += 3_600_000;
      expect(o.prune({ ackedOlderThanMs: 0 })).toBe(1);
      expect(o.device('A')?.lastEvent).toEqual(a.events[1]);
      expect(o.device('A')?.counters.events).toBe(2);
      const a2 = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' })] });
      o.ack(a2.rows.map((r) => r.id));
      t += 1;
      expect(o.prune({ ackedOlderThanMs: 0 })).toBe(1);
      await o.close();
      o = open();
      const a3 = await o.append({ deviceId: 'A', events: [makeEvent({ deviceId: 'A' })] });
      expect(a3.events[0]?.sequence).toBe(4);
      expect(a3.rows[0]!.id).toBeGreaterThan(a2.rows[0]!.id);
    });

    it('refuses a negative horizon', () => {
      const o = open();
      expect(() => o.prune({ ackedOlderThanMs: -1 })).toThrow(expect.objectContaining({ code: 'BL_ERR_OUTBOX_QUERY_INVALID' }));
    });
  });
});

describe('artifact references', () => {
  it('finds the events that list an artifact, newest first, and forgets them with the events', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'bl-artrefs-'));
    const o = openSqliteOutbox({ path: path.join(dir, 'outbox.db'), clock: { now: () => Date.now() }, logger: silentLogger() });
    try {
      const sha = 'a'.repeat(64);
      const other = 'b'.repeat(64);
      const withArtifacts = (id: string, shas: string[]) => ({
        ...makeEvent({ deviceId: 'dev-a', eventId: id }),
        artifacts: shas.map((s) => ({ kind: 'image' as const, mediaType: 'image/png', uri: `/v1/artifacts/${s}`, sha256: s, bytes: 10 })),
      });
      await o.append({ deviceId: 'dev-a', events: [withArtifacts('0190a000-0000-7000-8000-000000000001', [sha]), withArtifacts('0190a000-0000-7000-8000-000000000002', [sha, other])] });
      await o.append({ deviceId: 'dev-a', events: [withArtifacts('0190a000-0000-7000-8000-000000000003', [other])] });
      expect(o.eventsWithArtifact(sha, 10).map((e) => e.eventId)).toEqual(['0190a000-0000-7000-8000-000000000002', '0190a000-0000-7000-8000-000000000001']);
      expect(o.eventsWithArtifact(other, 1).map((e) => e.eventId)).toEqual(['0190a000-0000-7000-8000-000000000003']);
      expect(o.eventsWithArtifact('c'.repeat(64), 10)).toEqual([]);
    } finally {
      await o.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
