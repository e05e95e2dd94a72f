/**
 * The outbox contract: every Outbox implementation runs this suite (the MQTT.js abstract_store
 * pattern). `open(dir)` must open the outbox stored in `dir`, so that opening the same dir again
 * after close() sees everything committed before.
 *
 * Query semantics pinned here: pages are newest first by insertion order, except with
 * afterSequence (one device, ascending sequence); `since` is inclusive, `until` exclusive, both
 * compared with observedAt as instants; cursors are opaque and cover a listing exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventQuery, Outbox, UnsequencedEvent } from '../../src/outbox/types.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { makeEvent, type EventOverrides } from '../helpers/events.js';
import { allPages, ids, quarantineInput, rejection, thrown } from './outbox-contract-helpers.js';

export function outboxContract(name: string, open: (dir: string) => Outbox | Promise<Outbox>): void {
  describe(`outbox contract: ${name}`, () => {
    let dir = '';
    let opened: Outbox[] = [];

    const openOutbox = async (): Promise<Outbox> => {
      const o = await open(dir);
      opened.push(o);
      return o;
    };
    const reopen = async (o: Outbox): Promise<Outbox> => {
      await o.close();
      return openOutbox();
    };
    const ev = (deviceId: string, more: EventOverrides = {}): UnsequencedEvent => makeEvent({ deviceId, ...more });

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-outbox-contract-'));
      opened = [];
    });
    afterEach(async () => {
      for (const o of opened) await o.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('assigns per-device sequences from 1, increasing across appends and across a reopen', async () => {
      let o = await openOutbox();
      const a1 = await o.append({ deviceId: 'A', events: [ev('A'), ev('A'), ev('A')] });
      const b1 = await o.append({ deviceId: 'B', events: [ev('B'), ev('B')] });
      const a2 = await o.append({ deviceId: 'A', events: [ev('A'), ev('A')] });
      expect(a1.events.map((e) => e.sequence)).toEqual([1, 2, 3]);
      expect(b1.events.map((e) => e.sequence)).toEqual([1, 2]);
      expect(a2.events.map((e) => e.sequence)).toEqual([4, 5]);
      o = await reopen(o);
      const a3 = await o.append({ deviceId: 'A', events: [ev('A')] });
      const b2 = await o.append({ deviceId: 'B', events: [ev('B')] });
      expect(a3.events[0]?.sequence).toBe(6);
      expect(b2.events[0]?.sequence).toBe(3);
      expect(o.device('A')?.lastSequence).toBe(6);
      expect(o.device('B')?.lastSequence).toBe(3);
    });

    it('returns each stored event as given plus its sequence, with its row', async () => {
      const o = await openOutbox();
      const input = [ev('A'), ev('A', { eventType: 'measurement' })];
      const r = await o.append({ deviceId: 'A', events: input });
      expect(r.events).toEqual(input.map((e, i) => ({ ...e, sequence: i + 1 })));
      expect(r.rows).toHaveLength(2);
      const [first, second] = r.rows;
      expect(second!.id).toBeGreaterThan(first!.id);
      r.rows.forEach((row, i) => {
        expect(row.event).toEqual(r.events[i]);
        expect(JSON.parse(row.json)).toEqual(r.events[i]);
        expect(o.rowIdOf(row.event.eventId)).toBe(row.id);
        expect(o.get(row.event.eventId)).toEqual(r.events[i]);
      });
      expect(o.get('00000000-0000-7000-8000-000000000000')).toBeUndefined();
      expect(o.rowIdOf('00000000-0000-7000-8000-000000000000')).toBeUndefined();
    });

    it('commits concurrent appends from many devices in one tick, keeping each device in order', async () => {
      const o = await openOutbox();
      const devices = Array.from({ length: 50 }, (_, i) => `dev-${String(i).padStart(2, '0')}`);
      const calls: { deviceId: string; events: UnsequencedEvent[] }[] = [];
      for (let round = 0; round < 5; round++) {
        for (const d of devices) calls.push({ deviceId: d, events: [ev(d), ev(d)] });
      }
      const results = await Promise.all(calls.map((c) => o.append(c)));
      const perDevice = new Map<string, string[]>();
      results.forEach((r, i) => {
        const call = calls[i]!;
        expect(ids(r.events)).toEqual(ids(call.events));
        perDevice.set(call.deviceId, [...(perDevice.get(call.deviceId) ?? []), ...ids(r.events)]);
      });
      for (const d of devices) {
        const page = o.query({ deviceId: d, afterSequence: 0, limit: 100 });
        expect(page.events.map((e) => e.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        expect(ids(page.events)).toEqual(perDevice.get(d));
      }
      const rows = o.lease(0, 10_000);
      expect(rows).toHaveLength(500);
      const lastSeq = new Map<string, number>();
      for (const row of rows) {
        const d = row.event.source.device.id;
        expect(row.event.sequence).toBe((lastSeq.get(d) ?? 0) + 1);
        lastSeq.set(d, row.event.sequence);
      }
    });

    it('round-trips adapter state and survives a reopen', async () => {
      let o = await openOutbox();
      expect(o.loadState('A')).toBeUndefined();
      const state = { phase: 'occupied', count: 3, window: [1.5, 'x', null, true], nested: { a: { b: [] } } };
      await o.append({ deviceId: 'A', events: [ev('A')], state });
      expect(o.loadState('A')).toEqual(state);
      await o.append({ deviceId: 'A', events: [], state: { phase: 'idle' } });
      expect(o.loadState('A')).toEqual({ phase: 'idle' });
      await o.append({ deviceId: 'A', events: [ev('A')] });
      expect(o.loadState('A')).toEqual({ phase: 'idle' });
      o = await reopen(o);
      expect(o.loadState('A')).toEqual({ phase: 'idle' });
      await o.append({ deviceId: 'A', events: [], state: null });
      expect(o.loadState('A')).toBeNull();
    });

    it('refuses a batch whole (events, state, quarantine, sequence), without harming its group', async () => {
      const o = await openOutbox();
      const first = ev('A');
      await o.append({ deviceId: 'A', events: [first], state: { n: 1 } });
      const lost = ev('A');
      const dup = { ...ev('A'), eventId: first.eventId };
      const bad = o.append({
        deviceId: 'A', events: [lost, dup], state: { n: 2 }, quarantine: [quarantineInput('A', Buffer.from([1]))],
      });
      const good = o.append({ deviceId: 'B', events: [ev('B')], state: { b: true } });
      await rejection(bad);
      await expect(good).resolves.toMatchObject({ events: [{ sequence: 1 }] });
      expect(o.get(lost.eventId)).toBeUndefined();
      expect(o.loadState('A')).toEqual({ n: 1 });
      expect(o.loadState('B')).toEqual({ b: true });
      expect(o.quarantine({ deviceId: 'A', limit: 10 }).items).toHaveLength(0);
      expect(o.device('A')?.lastSequence).toBe(1);
      const next = await o.append({ deviceId: 'A', events: [ev('A')] });
      expect(next.events[0]?.sequence).toBe(2);
    });

    describe('document keys', () => {
      const key = (n: number): string => `sha256:${String(n).padStart(64, '0')}`;

      it('commits a document once: its key again, even after a reopen, writes nothing and is a duplicate', async () => {
        let o = await openOutbox();
        const first = await o.append({
          deviceId: 'A', events: [ev('A')], state: { n: 1 }, quarantine: [quarantineInput('A', Buffer.from([1]))], documentKey: key(1),
        });
        expect(first.duplicate).not.toBe(true);
        expect(first.events).toHaveLength(1);
        const again = ev('A');
        const dup = await o.append({
          deviceId: 'A', events: [again], state: { n: 2 }, quarantine: [quarantineInput('A', Buffer.from([2]))], documentKey: key(1),
        });
        expect(dup).toEqual({ events: [], rows: [], duplicate: true });
        expect(o.get(again.eventId)).toBeUndefined();
        expect(o.loadState('A')).toEqual({ n: 1 });
        expect(o.quarantine({ deviceId: 'A', limit: 10 }).items).toHaveLength(1);
        expect(o.device('A')).toMatchObject({ lastSequence: 1, counters: { events: 1, quarantined: 1 } });
        expect(o.lease(0, 100)).toHaveLength(1);

        o = await reopen(o);
        expect(await o.append({ deviceId: 'A', events: [ev('A')], documentKey: key(1) })).toEqual({ events: [], rows: [], duplicate: true });
        // the key is per device; another key, or no key, is a new batch
        const other = await o.append({ deviceId: 'B', events: [ev('B')], documentKey: key(1) });
        expect(other.duplicate).not.toBe(true);
        expect(other.events).toHaveLength(1);
        const next = await o.append({ deviceId: 'A', events: [ev('A')], documentKey: key(2) });
        expect(next.events[0]?.sequence).toBe(2);
        const plain = await o.append({ deviceId: 'A', events: [ev('A')] });
        expect(plain.duplicate).not.toBe(true);
        expect(plain.events[0]?.sequence).toBe(3);
      });

      it('commits the key of a quarantine-only or state-only batch too', async () => {
        const o = await openOutbox();
        await o.append({ deviceId: 'A', events: [], quarantine: [quarantineInput('A', Buffer.from('<bad/>'))], documentKey: key(3) });
        await o.append({ deviceId: 'A', events: [], state: { s: 1 }, documentKey: key(4) });
        expect(await o.append({ deviceId: 'A', events: [], quarantine: [quarantineInput('A', Buffer.from('<bad/>'))], documentKey: key(3) }))
          .toEqual({ events: [], rows: [], duplicate: true });
        expect(await o.append({ deviceId: 'A', events: [ev('A')], state: { s: 2 }, documentKey: key(4) }))
          .toEqual({ events: [], rows: [], duplicate: true });
        expect(o.quarantine({ deviceId: 'A', limit: 10 }).items).toHaveLength(1);
        expect(o.loadState('A')).toEqual({ s: 1 });
      });

      it('lets the first of two batches with the same key in one group win; the second is a duplicate', async () => {
        const o = await openOutbox();
        const a = ev('A');
        const b = ev('A');
        const [first, between, second] = await Promise.all([
          o.append({ deviceId: 'A', events: [a], state: { v: 'first' }, documentKey: key(5) }),
          o.append({ deviceId: 'C', events: [ev('C')] }),
          o.append({ deviceId: 'A', events: [b], state: { v: 'second' }, documentKey: key(5) }),
        ]);
        expect(first.events.map((e) => e.eventId)).toEqual([a.eventId]);
        expect(between.events).toHaveLength(1);
        expect(second).toEqual({ events: [], rows: [], duplicate: true });
        expect(o.get(b.eventId)).toBeUndefined();
        expect(o.loadState('A')).toEqual({ v: 'first' });
        expect(o.device('A')?.lastSequence).toBe(1);
      });

      it('does not keep the key of a refused batch', async () => {
        const o = await openOutbox();
        const first = ev('A');
        await o.append({ deviceId: 'A', events: [first] });
        await rejection(o.append({ deviceId: 'A', events: [{ ...ev('A'), eventId: first.eventId }], documentKey: key(6) }));
        const retried = await o.append({ deviceId: 'A', events: [ev('A')], documentKey: key(6) });
        expect(retried.duplicate).not.toBe(true);
        expect(retried.events[0]?.sequence).toBe(2);
      });
    });

    it('leases unacknowledged rows in order; acknowledged rows never come back, the rest survive a reopen', async () => {
      let o = await openOutbox();
      for (let i = 0; i < 5; i++) {
        await o.append({ deviceId: 'A', events: [ev('A')] });
        await o.append({ deviceId: 'B', events: [ev('B')] });
      }
      const firstFour = o.lease(0, 4);
      expect(firstFour).toHaveLength(4);
      const rest = o.lease(firstFour[3]!.id, 100);
      expect(rest).toHaveLength(6);
      const all = [...firstFour, ...rest];
      const rowIds = all.map((r) => r.id);
      expect(rowIds).toEqual([...rowIds].sort((x, y) => x - y));
      expect(new Set(rowIds).size).toBe(10);
      for (const r of all) expect(JSON.parse(r.json)).toEqual(r.event);

      o.ack(firstFour.map((r) => r.id));
      o.ack(firstFour.map((r) => r.id)); // again: harmless
      o.ack([]);
      o.ack([rowIds[9]! + 1_000_000]); // unknown: harmless
      expect(o.lease(0, 100).map((r) => r.id)).toEqual(rest.map((r) => r.id));

      o = await reopen(o);
      const after = o.lease(0, 100);
      expect(after.map((r) => r.id)).toEqual(rest.map((r) => r.id));
      expect(after.map((r) => r.json)).toEqual(rest.map((r) => r.json));
      o.ack(after.map((r) => r.id));
      expect(o.lease(0, 100)).toEqual([]);
      o = await reopen(o);
      expect(o.lease(0, 100)).toEqual([]);
    });

    it('reports depth and the age of the oldest unacknowledged event', async () => {
      let o = await openOutbox();
      expect(o.stats(Date.now())).toEqual({ depth: 0, oldestAgeSeconds: 0 });
      await o.append({ deviceId: 'A', events: [ev('A'), ev('A')] });
      await o.append({ deviceId: 'B', events: [ev('B')] });
      const rows = o.lease(0, 10);
      const now = rows[0]!.createdAtMs + 90_000;
      expect(o.stats(now)).toEqual({ depth: 3, oldestAgeSeconds: 90 });
      o.ack([rows[0]!.id]);
      expect(o.stats(now)).toEqual({ depth: 2, oldestAgeSeconds: (now - rows[1]!.createdAtMs) / 1000 });
      o = await reopen(o);
      expect(o.stats(now).depth).toBe(2);
      o.ack(rows.map((r) => r.id));
      expect(o.stats(now)).toEqual({ depth: 0, oldestAgeSeconds: 0 });
    });

    describe('queries', () => {
      const minute = (m: number): string => new Date(Date.UTC(2026, 10, 23, 10, m, 0, 0)).toISOString();
      const plan: { deviceId: string; over: EventOverrides }[] = [];
      const kinds: EventOverrides[] = [
        { siteId: 'BGSOF', deviceClass: 'radiation-portal-monitor' },
        { siteId: 'BGVAR', deviceClass: 'radiation-portal-monitor' },
        { siteId: 'BGSOF', deviceClass: 'spectrometer' },
        { siteId: 'ROBUC', deviceClass: 'xray-scanner' },
      ];
      const types = ['result', 'measurement', 'fault', 'operator-decision'] as const;
      const outcomes = ['clear', 'alarm', 'indeterminate', 'aborted'] as const;
      for (let i = 0; i < 41; i++) {
        const d = i % 4;
        plan.push({
          deviceId: `dev-${d}`,
          over: {
            ...kinds[d],
            eventType: types[i % 3]!,
            outcomeState: outcomes[(i >> 1) % 4]!,
            observedAt: minute(i),
          },
        });
      }

      /** appends the plan one event at a time, so insertion order is plan order */
      const seed = async (o: Outbox): Promise<DetectionEvent[]> => {
        const stored: DetectionEvent[] = [];
        for (const p of plan) stored.push(...(await o.append({ deviceId: p.deviceId, events: [ev(p.deviceId, p.over)] })).events);
        return stored;
      };

      it('filters by each field and pages newest first, covering every match exactly once', async () => {
        const o = await openOutbox();
        const stored = await seed(o);
        const newestFirst = [...stored].reverse();
        const cases: [Omit<EventQuery, 'cursor' | 'limit'>, (e: DetectionEvent) => boolean][] = [
          [{}, () => true],
          [{ deviceId: 'dev-1' }, (e) => e.source.device.id === 'dev-1'],
          [{ siteId: 'BGSOF' }, (e) => e.source.siteId === 'BGSOF'],
          [{ deviceClass: 'radiation-portal-monitor' }, (e) => e.source.device.class === 'radiation-portal-monitor'],
          [{ eventType: 'measurement' }, (e) => e.eventType === 'measurement'],
          [{ outcomeState: 'alarm' }, (e) => e.outcome?.state === 'alarm'],
          [{ since: minute(30) }, (e) => e.observedAt >= minute(30)],
          [{ until: minute(10) }, (e) => e.observedAt < minute(10)],
          [{ since: minute(5), until: minute(17) }, (e) => e.observedAt >= minute(5) && e.observedAt < minute(17)],
          [{ siteId: 'BGSOF', eventType: 'result' }, (e) => e.source.siteId === 'BGSOF' && e.eventType === 'result'],
          [{ siteId: 'NOWHERE' }, () => false],
        ];
        for (const [filter, match] of cases) {
          const want = ids(newestFirst.filter(match));
          for (const limit of [1, 3, 7, 100]) {
            expect(ids(allPages(o, { ...filter, limit })), `${JSON.stringify(filter)} limit ${limit}`).toEqual(want);
          }
        }
      });

      it('reads since/until as instants, whatever their RFC 3339 spelling', async () => {
        const o = await openOutbox();
        const stored = await seed(o);
        const spelled = allPages(o, { since: '2026-11-23T12:30:00+02:00', until: '2026-11-23T10:33:00Z', limit: 100 });
        expect(ids(spelled)).toEqual(ids(stored.filter((e) => e.observedAt >= minute(30) && e.observedAt < minute(33)).reverse()));
      });

      it('serves afterSequence per device, ascending, with cursors', async () => {
        const o = await openOutbox();
        await seed(o);
        const dev = o.query({ deviceId: 'dev-0', afterSequence: 0, limit: 100 }).events;
        expect(dev.map((e) => e.sequence)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
        const paged = allPages(o, { deviceId: 'dev-0', afterSequence: 3, limit: 4 });
        expect(paged.map((e) => e.sequence)).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
        expect(o.query({ deviceId: 'dev-0', afterSequence: 11, limit: 5 })).toEqual({ events: [] });
        const typed = allPages(o, { deviceId: 'dev-0', afterSequence: 2, eventType: 'result', limit: 2 });
        expect(typed.every((e) => e.eventType === 'result' && e.sequence > 2)).toBe(true);
        expect(typed.map((e) => e.sequence)).toEqual([...typed.map((e) => e.sequence)].sort((a, b) => a - b));
      });

      it('refuses afterSequence without deviceId, and cursors it did not issue', async () => {
        const o = await openOutbox();
        await seed(o);
        expect(thrown(() => o.query({ afterSequence: 1, limit: 5 })).kind).toBe('input');
        expect(thrown(() => o.query({ cursor: 'not-a-cursor!', limit: 5 })).kind).toBe('input');
        const bySeq = o.query({ deviceId: 'dev-0', afterSequence: 0, limit: 2 }).nextCursor;
        expect(bySeq).toBeDefined();
        expect(thrown(() => o.query({ cursor: bySeq!, limit: 5 })).kind).toBe('input');
        expect(thrown(() => o.query({ since: 'yesterday', limit: 5 })).kind).toBe('input');
      });
    });

    it('replays every event after a row id, acknowledged or not, oldest first', async () => {
      const o = await openOutbox();
      const r = await o.append({ deviceId: 'A', events: [ev('A'), ev('A'), ev('A'), ev('A'), ev('A')] });
      o.ack([r.rows[0]!.id, r.rows[1]!.id]);
      expect(o.eventsAfter(0, 100).map((x) => x.id)).toEqual(r.rows.map((x) => x.id));
      expect(o.eventsAfter(r.rows[2]!.id, 100).map((x) => x.event)).toEqual(r.events.slice(3));
      expect(o.eventsAfter(0, 2).map((x) => x.id)).toEqual(r.rows.slice(0, 2).map((x) => x.id));
      expect(o.eventsAfter(r.rows[4]!.id, 100)).toEqual([]);
    });

    it('keeps a device record: class, site, status, last event, counters', async () => {
      let o = await openOutbox();
      await o.append({ deviceId: 'A', events: [ev('A', { siteId: 'BGVAR' }), ev('A', { statusState: 'degraded', observedAt: '2026-11-23T11:00:00.000Z' })] });
      const last = ev('A', { siteId: 'BGVAR', eventType: 'measurement' });
      await o.append({ deviceId: 'A', events: [last], quarantine: [quarantineInput('A', Buffer.from([0xde, 0xad]))] });
      await o.append({ deviceId: 'Q', events: [], quarantine: [quarantineInput('Q', Buffer.from([1]))] });
      o = await reopen(o);
      const a = o.device('A');
      expect(a).toMatchObject({
        id: 'A',
        deviceClass: 'radiation-portal-monitor',
        siteId: 'BGVAR',
        lastSequence: 3,
        status: { state: 'degraded', detail: 'now degraded', since: '2026-11-23T11:00:00.000Z' },
        counters: { events: 3, quarantined: 1 },
      });
      expect(a?.lastEvent).toEqual({ ...last, sequence: 3 });
      expect(o.device('Q')).toMatchObject({ id: 'Q', lastSequence: 0, counters: { events: 0, quarantined: 1 } });
      expect(o.device('Q')?.lastEvent).toBeUndefined();
      expect(o.device('nope')).toBeUndefined();
      expect(o.devices().map((d) => d.id).sort()).toEqual(['A', 'Q']);
    });

    it('keeps quarantined raw bytes exactly, lists them newest first with cursors', async () => {
      let o = await openOutbox();
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const big = Buffer.alloc(65_536);
      for (let i = 0; i < big.length; i++) big[i] = (i * 131 + 7) & 0xff;
      const inputs = [
        quarantineInput('A', every, 0),
        quarantineInput('A', Buffer.alloc(0), 1),
        quarantineInput('B', big, 2),
        quarantineInput('A', Buffer.from('not json \u0000 at all', 'utf8'), 3),
        quarantineInput('B', Buffer.from([0]), 4),
      ];
      for (const q of inputs) await o.append({ deviceId: q.deviceId, events: [], quarantine: [q] });
      o = await reopen(o);
      const items: ReturnType<Outbox['quarantine']>['items'] = [];
      let cursor: string | undefined;
      do {
        const page: ReturnType<Outbox['quarantine']> = o.quarantine(cursor === undefined ? { limit: 2 } : { limit: 2, cursor });
        expect(page.items.length).toBeLessThanOrEqual(2);
        items.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      expect(items.map((q) => q.message)).toEqual([...inputs].reverse().map((q) => q.message));
      for (const item of items) {
        const input = inputs.find((q) => q.message === item.message)!;
        expect(Buffer.compare(Buffer.from(item.raw), input.raw)).toBe(0);
        expect(item).toMatchObject({ ...input, raw: expect.anything() });
        expect(typeof item.id).toBe('number');
      }
      expect(o.quarantine({ deviceId: 'B', limit: 10 }).items.map((q) => q.message)).toEqual(['frame 4 too short', 'frame 2 too short']);
      expect(o.device('A')?.counters.quarantined).toBe(3);
    });

    it('passes its integrity check', async () => {
      const o = await openOutbox();
      await o.append({ deviceId: 'A', events: [ev('A')], quarantine: [quarantineInput('A', Buffer.from([1, 2]))] });
      expect(o.integrityCheck()).toBe('ok');
    });

    it('flushes pending appends on close, closes idempotently, then refuses appends', async () => {
      let o = await openOutbox();
      const pending = o.append({ deviceId: 'A', events: [ev('A')] });
      await Promise.all([o.close(), o.close()]);
      const written = await pending;
      await o.close();
      const err = await rejection(o.append({ deviceId: 'A', events: [ev('A')] }));
      expect(err.code).toBe('BL_ERR_OUTBOX_CLOSED');
      o = await openOutbox();
      expect(o.get(written.events[0]!.eventId)).toEqual(written.events[0]);
    });
  });
}
