import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../../../src/adapter/registry.js';
import type { AnyAdapter, ModbusFrame, ModbusPollPlan } from '../../../../src/adapter/types.js';
import { createModbusRtuBus } from '../../../../src/connectors/modbus-rtu-bus.js';
import { createModbusTcpConnector } from '../../../../src/connectors/modbus-tcp.js';
import { silentLogger } from '../../../../src/log.js';
import { packageRoot } from '../../../../src/package-root.js';
import { rtuFaultsFromTcp, startRpmRtuSimulator } from '../../../../simulators/rpm/rpm-rtu-simulator.js';
import { startRpmSimulator } from '../../../../simulators/rpm/rpm-simulator.js';
import { memoryRtuLine } from '../../../helpers/rtu-lines.js';
import { recordingSink, waitUntil } from '../../connectors/modbus-fakes.js';

const clock = { now: (): number => Date.now() };
const START = Date.UTC(2025, 0, 1);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('RPM units on a Modbus RTU line', () => {
  let adapter: AnyAdapter;
  let plan: ModbusPollPlan;
  beforeAll(async () => {
    const a = (await loadAdapters(path.join(packageRoot(), 'adapters'))).get('rpm-modbus-generic');
    if (a === undefined || a.acquisition.kind !== 'modbus-poll') throw new Error('rpm-modbus-generic is not a modbus adapter');
    adapter = a;
    plan = { ...a.acquisition, pollIntervalMs: 50, timeoutMs: 200 };
  });

  async function firstFrame(start: (sink: ReturnType<typeof recordingSink>) => { start(): Promise<void>; stop(): Promise<void> }): Promise<ModbusFrame> {
    const rec = recordingSink();
    const c = start(rec);
    await c.start();
    await waitUntil(() => rec.frames.length >= 1, 'a frame');
    await c.stop();
    return rec.frames[0] as ModbusFrame;
  }

  it('serves the TCP simulator\'s registers: the profile reads identical frames over RTU and TCP', async () => {
    const tcp = await startRpmSimulator({ scenario: 'dual-alarm', seed: 42, realtime: false, startTimeMs: START });
    cleanups.push(() => tcp.close());
    const line = memoryRtuLine();
    const rtu = await startRpmRtuSimulator({ path: 'memory', units: [1, 2], scenario: 'dual-alarm', seed: 42, realtime: false, startTimeMs: START, openPort: line.device });
    cleanups.push(() => rtu.close());
    tcp.step(25_000);
    rtu.step(25_000);
    expect(rtu.unit(1).occupancyCount()).toBe(tcp.occupancyCount());
    expect(rtu.unit(1).occupancyCount()).toBeGreaterThan(0);

    const overTcp = await firstFrame((rec) => createModbusTcpConnector({
      deviceId: 'tcp', host: tcp.host, port: tcp.port, unitId: 1, plan, sink: rec.sink, logger: silentLogger(), clock,
    }));
    const bus = createModbusRtuBus({ path: 'memory-gw', baudRate: 19_200, logger: silentLogger(), clock, openPort: line.gateway });
    cleanups.push(() => bus.close());
    const overRtu = await firstFrame((rec) => bus.connector({ deviceId: 'rtu', unitId: 1, plan, sink: rec.sink }));

    expect(overRtu.transport).toBe('modbus-rtu');
    expect(overRtu.blocks).toEqual(overTcp.blocks);
    const ctx = { device: { id: 'rpm', siteId: 'test' }, options: {}, now: START };
    expect(adapter.decode(overRtu, ctx)).toEqual(adapter.decode(overTcp, ctx));

    // unit 2 is a portal of its own (seed + 1)
    expect(rtu.unit(2).seed).toBe(43);
    expect(rtu.unitIds).toEqual([1, 2]);
  });

  it('plays a scenario\'s transport faults on the unit: the silent scenario never answers', async () => {
    const line = memoryRtuLine();
    const rtu = await startRpmRtuSimulator({ path: 'memory', units: [4], scenario: 'silent', realtime: false, openPort: line.device });
    cleanups.push(() => rtu.close());
    const bus = createModbusRtuBus({ path: 'memory-gw', baudRate: 19_200, logger: silentLogger(), clock, openPort: line.gateway });
    cleanups.push(() => bus.close());
    const rec = recordingSink();
    await bus.connector({ deviceId: 'rpm-4', unitId: 4, plan: { ...plan, timeoutMs: 30 }, sink: rec.sink }).start();
    await waitUntil(() => rec.statuses.some((s) => s.code === 'BL_ERR_MODBUS_TIMEOUT'), 'offline');
    expect(rtu.unit(4).requestCount()).toBeGreaterThanOrEqual(2);
    expect(rec.frames).toEqual([]);
  });

  it('maps TCP fault plans to RTU ones', () => {
    expect(rtuFaultsFromTcp({})).toEqual({});
    expect(rtuFaultsFromTcp({ mode: { kind: 'disconnect' } })).toEqual({ mode: { kind: 'silent' } });
    expect(rtuFaultsFromTcp({ mode: { kind: 'malformed', shape: 'transaction-id' }, every: 7, functionCodes: [4] }))
      .toEqual({ mode: { kind: 'malformed', shape: 'crc' }, every: 7, functionCodes: [4] });
    expect(rtuFaultsFromTcp({ mode: { kind: 'malformed' } })).toEqual({ mode: { kind: 'malformed', shape: 'byte-count' } });
    expect(rtuFaultsFromTcp({ mode: { kind: 'exception', code: 4 }, delayMs: 5 })).toEqual({ mode: { kind: 'exception', code: 4 }, delayMs: 5 });
  });

  it('refuses bad unit lists and unknown scenarios', async () => {
    const line = memoryRtuLine();
    for (const units of [[], [1, 1], [0], [248]]) {
      await expect(startRpmRtuSimulator({ path: 'm', units, openPort: line.device })).rejects.toMatchObject({ code: 'BL_ERR_USAGE' });
    }
    await expect(startRpmRtuSimulator({ path: 'm', scenario: 'nope', openPort: line.device })).rejects.toMatchObject({ code: 'BL_ERR_USAGE' });
  });
});
