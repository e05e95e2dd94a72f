/**
 * Modbus RTU multi-drop over a REAL pseudo-terminal pair (socat): the bus on one end, three
 * simulated RPM units (rpm-modbus-generic register map) on the other, polled through the
 * profile's own read plan. The rate check is deliberately loose (>= 70 % of the healthy rate):
 * it shows a silent unit does not starve the others, it is not a timing benchmark.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../../src/adapter/registry.js';
import type { AnyAdapter, ModbusFrame, ModbusPollPlan } from '../../../src/adapter/types.js';
import { createModbusRtuBus, type ModbusRtuBus } from '../../../src/connectors/modbus-rtu-bus.js';
import { hasValidCrc } from '../../../src/connectors/modbus-rtu-frame.js';
import type { LinkStatus } from '../../../src/connectors/types.js';
import { silentLogger } from '../../../src/log.js';
import { packageRoot } from '../../../src/package-root.js';
import { startRpmRtuSimulator, type RpmRtuSimulator } from '../../../simulators/rpm/rpm-rtu-simulator.js';
import { socatPair, socatSuiteName, type SocatPair } from '../../helpers/rtu-lines.js';
import { recordingSink, waitUntil, type RecordingSink } from './modbus-fakes.js';

const UNITS = [1, 2, 3] as const;
const POLL_MS = 200;
const WINDOW_MS = 3_000;
const clock = { now: (): number => Date.now() };
const suite = socatSuiteName('modbus rtu multi-drop over a socat pty pair');

function trail(statuses: readonly LinkStatus[]): string[] {
  return statuses.map((s) => (s.code === undefined ? s.state : `${s.state}:${s.code}`));
}

describe.skipIf(suite.skip)(suite.name, () => {
  let adapter: AnyAdapter;
  let plan: ModbusPollPlan;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    const adapters = await loadAdapters(path.join(packageRoot(), 'adapters'));
    const a = adapters.get('rpm-modbus-generic');
    if (a === undefined || a.acquisition.kind !== 'modbus-poll') throw new Error('rpm-modbus-generic is not a modbus adapter');
    adapter = a;
    plan = { ...a.acquisition, pollIntervalMs: POLL_MS, timeoutMs: 100 };
  });

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  interface Line {
    pair: SocatPair;
    sim: RpmRtuSimulator;
    bus: ModbusRtuBus;
    recs: Map<number, RecordingSink>;
  }

  async function line(): Promise<Line> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-rtu-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = socatPair(dir);
    await pair.start();
    cleanups.push(() => pair.stop());
    const sim = await startRpmRtuSimulator({ path: pair.device, units: [...UNITS], scenario: 'quiet', baudRate: 115_200, parity: 'none', realtime: true });
    cleanups.push(() => sim.close());
    const bus = createModbusRtuBus({
      path: pair.gateway, baudRate: 115_200, parity: 'none', logger: silentLogger(), clock, backoff: { baseMs: 50, capMs: 200 },
    });
    cleanups.push(() => bus.close());
    const recs = new Map<number, RecordingSink>();
    for (const unitId of UNITS) {
      const rec = recordingSink();
      recs.set(unitId, rec);
      const c = bus.connector({ deviceId: `rpm-${unitId}`, unitId, plan, sink: rec.sink, retries: 1, offlineBackoff: { baseMs: 300, capMs: 600 } });
      await c.start();
    }
    await waitUntil(() => UNITS.every((u) => (recs.get(u)?.frames.length ?? 0) >= 3), 'every unit polled', 10_000);
    return { pair, sim, bus, recs };
  }

  const rec = (l: Line, u: number): RecordingSink => l.recs.get(u) as RecordingSink;

  /** Frames per second of each unit over the next `ms`. */
  async function rates(l: Line, ms: number): Promise<Map<number, number>> {
    const from = Date.now();
    await new Promise((r) => setTimeout(r, ms));
    const to = Date.now();
    return new Map(UNITS.map((u) => [u, rec(l, u).frames.filter((f) => f.receivedAt >= from && f.receivedAt < to).length / ((to - from) / 1000)]));
  }

  it('three units at 200 ms: one goes silent, the others keep their rate, it is offline, then back online', async () => {
    const l = await line();
    // the frames are the profile's: they decode like Modbus TCP frames
    for (const u of UNITS) {
      const f = rec(l, u).frames.at(-1) as ModbusFrame;
      expect(f).toMatchObject({ transport: 'modbus-rtu', unitId: u });
      expect(f.blocks.map((b) => `${b.table}@${b.address}+${b.count}`)).toEqual(plan.reads.map((r) => `${r.table}@${r.address}+${r.count}`));
      const decoded = adapter.decode(f, { device: { id: `rpm-${u}`, siteId: 'test' }, options: {}, now: f.receivedAt });
      expect(decoded.ok).toBe(true);
    }

    const before = await rates(l, WINDOW_MS);
    l.sim.unit(2).setFaults({ mode: { kind: 'silent' } });
    await waitUntil(() => trail(rec(l, 2).statuses).includes('offline:BL_ERR_MODBUS_TIMEOUT'), 'unit 2 offline', 5_000);
    const probesBefore = l.sim.unit(2).requestCount();
    const after = await rates(l, WINDOW_MS);

    for (const u of [1, 3]) {
      expect(before.get(u), `unit ${u} polled before`).toBeGreaterThan(2);
      expect(after.get(u), `unit ${u} keeps >= 70 % of its rate (before ${before.get(u)}/s)`).toBeGreaterThanOrEqual(0.7 * (before.get(u) ?? 0));
      expect(trail(rec(l, u).statuses)).toEqual(['online']);
    }
    expect(after.get(2)).toBe(0);
    // offline, unit 2 is only probed now and then
    expect(l.sim.unit(2).requestCount() - probesBefore).toBeGreaterThanOrEqual(1);
    expect(l.sim.unit(2).requestCount() - probesBefore).toBeLessThan(WINDOW_MS / POLL_MS);

    l.sim.unit(2).setFaults({});
    await waitUntil(() => trail(rec(l, 2).statuses).at(-1) === 'online', 'unit 2 online again', 5_000);
    expect(trail(rec(l, 2).statuses)).toEqual(['online', 'offline:BL_ERR_MODBUS_TIMEOUT', 'online']);
    const n = rec(l, 2).frames.length;
    await waitUntil(() => rec(l, 2).frames.length >= n + 3, 'unit 2 polled at its rate again', 5_000);
  }, 60_000);

  it('a reply with a bad CRC is quarantined with its bytes, on that unit only', async () => {
    const l = await line();
    l.sim.unit(3).setFaults({ mode: { kind: 'malformed', shape: 'crc' }, functionCodes: [4] });
    await waitUntil(() => rec(l, 3).rejects.length >= 2, 'unit 3 rejects', 5_000);
    const r = rec(l, 3).rejects[0];
    expect(r?.code).toBe('BL_ERR_MODBUS_MALFORMED_REPLY');
    expect(r?.message).toMatch(/CRC mismatch/);
    expect(r?.raw[0]).toBe(3);
    expect(r?.raw[1]).toBe(4);
    expect(hasValidCrc(r?.raw ?? Buffer.alloc(0))).toBe(false);
    expect(trail(rec(l, 3).statuses)).toEqual(['online', 'degraded:BL_ERR_MODBUS_MALFORMED_REPLY']);
    l.sim.unit(3).setFaults({});
    await waitUntil(() => trail(rec(l, 3).statuses).at(-1) === 'online', 'unit 3 online again', 5_000);
    for (const u of [1, 2]) {
      expect(rec(l, u).rejects).toEqual([]);
      expect(trail(rec(l, u).statuses)).toEqual(['online']);
    }
  }, 30_000);

  it('replugging the adapter (socat killed and restarted on the same links) takes every unit offline, then online', async () => {
    const l = await line();
    await l.pair.stop();
    await waitUntil(() => UNITS.every((u) => trail(rec(l, u).statuses).at(-1) === 'offline:BL_ERR_CONNECT_FAILED'), 'all units offline', 5_000);
    await new Promise((r) => setTimeout(r, 300)); // unplugged for a while: reopen attempts fail
    await l.pair.start();
    await waitUntil(() => UNITS.every((u) => trail(rec(l, u).statuses).at(-1) === 'online'), 'all units online again', 10_000);
    const counts = UNITS.map((u) => rec(l, u).frames.length);
    await waitUntil(() => UNITS.every((u, i) => rec(l, u).frames.length >= (counts[i] ?? 0) + 3), 'all units polled again', 10_000);
    for (const u of UNITS) {
      const t = trail(rec(l, u).statuses);
      expect(t.slice(0, 2)).toEqual(['online', 'offline:BL_ERR_CONNECT_FAILED']);
      expect(t.at(-1)).toBe('online');
    }
  }, 60_000);
});
