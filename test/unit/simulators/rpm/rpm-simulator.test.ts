import { afterEach, describe, expect, it } from 'vitest';
import { INPUT } from '../../../../simulators/rpm/register-image.js';
import { startRpmSimulator, type RpmSimulator, type RpmSimulatorOptions } from '../../../../simulators/rpm/rpm-simulator.js';
import { closeClient, exceptionOf, type ModbusClient, modbusClient } from '../mbap-test-client.js';

const START = Date.UTC(2025, 3, 1, 6, 30, 0, 250);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function sim(over: Partial<RpmSimulatorOptions> = {}): Promise<RpmSimulator> {
  const s = await startRpmSimulator({ realtime: false, startTimeMs: START, ...over });
  cleanups.push(() => s.close());
  return s;
}

async function client(port: number, unitId = 1, timeoutMs = 2000): Promise<ModbusClient> {
  const c = await modbusClient(port, unitId, timeoutMs);
  cleanups.push(() => closeClient(c));
  return c;
}

/** decode per the register map, as a profile would */
const u32 = (d: number[], i: number): number => (d[i] ?? 0) * 65_536 + (d[i + 1] ?? 0);
const f32cdab = (d: number[], i: number): number => {
  const b = Buffer.alloc(4);
  b.writeUInt16BE(d[i + 1] ?? 0, 0);
  b.writeUInt16BE(d[i] ?? 0, 2);
  return b.readFloatBE(0);
};
const i16 = (v: number | undefined): number => ((v ?? 0) << 16) >> 16;

describe('RPM simulator over Modbus TCP', () => {
  it('serves the register map to modbus-serial: live block, summary, configuration, bits', async () => {
    const s = await sim({ scenario: 'dual-alarm' });
    while (s.occupancyCount() === 0) s.step(200);
    const c = await client(s.port);
    const live = (await c.readInputRegisters(0, 25)).data;
    const last = (await c.readInputRegisters(30, 21)).data;
    const state = s.state();
    expect(live[INPUT.sampleCounter]).toBe(state.sampleCount % 65_536);
    for (let p = 0; p < 4; p++) {
      expect(u32(live, INPUT.gammaRate + 2 * p)).toBe(state.gammaRateCps[p]);
      expect(f32cdab(live, INPUT.gammaBackground + 2 * p)).toBe(Math.fround(state.gammaBackgroundCps[p] ?? 0));
    }
    for (let p = 0; p < 2; p++) expect(f32cdab(live, INPUT.neutronBackground + 2 * p)).toBe(Math.fround(state.neutronBackgroundCps[p] ?? 0));
    const summary = s.lastOccupancy();
    expect(summary?.gammaAlarm && summary.neutronAlarm).toBe(true);
    expect(u32(last, 0)).toBe(1);
    expect(last[INPUT.lastFlags - 30]).toBe(3);
    expect(u32(last, INPUT.lastDurationMs - 30)).toBe(summary?.durationMs);
    expect(i16(last[INPUT.lastMaxGammaSigma - 30]) / 100).toBeGreaterThan(4);
    expect(i16(last[INPUT.lastMaxNeutronSigma - 30]) / 100).toBeGreaterThan(4);
    expect(u32(last, INPUT.lastEndEpochS - 30) * 1000 + (last[INPUT.lastEndMillis - 30] ?? 0)).toBe(summary?.endTimeMs);
    expect((await c.readHoldingRegisters(100, 5)).data).toEqual([40, 200, 0x0203, 240117 >>> 16, 240117 & 0xffff]);
    expect((await c.readCoils(0, 2)).data.slice(0, 2)).toEqual([true, false]); // lamp held after the alarm
    expect((await c.readDiscreteInputs(0, 2)).data.slice(0, 2)).toEqual([false, s.state().occupied]);
  });

  it('answers exception 2 outside the documented blocks, including a read across the gap', async () => {
    const s = await sim({ scenario: 'idle' });
    const c = await client(s.port);
    expect(await exceptionOf(c.readInputRegisters(0, 51))).toBe(2);
    expect(await exceptionOf(c.readInputRegisters(25, 1))).toBe(2);
    expect(await exceptionOf(c.readInputRegisters(24, 2))).toBe(2);
    expect(await exceptionOf(c.readInputRegisters(50, 2))).toBe(2);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBe(2);
    expect(await exceptionOf(c.readHoldingRegisters(104, 2))).toBe(2);
    expect(await exceptionOf(c.readCoils(2, 1))).toBe(2);
    expect(await exceptionOf(c.readDiscreteInputs(0, 3))).toBe(2);
    expect((await c.readInputRegisters(50, 1)).data).toHaveLength(1);
  });

  it('answers only its unit id (others get exception 11)', async () => {
    const s = await sim({ scenario: 'idle', unitId: 7 });
    expect(await exceptionOf((await client(s.port, 1)).readInputRegisters(0, 1))).toBe(11);
    expect((await (await client(s.port, 7)).readInputRegisters(0, 1)).data).toHaveLength(1);
  });

  it('accepts writes to nSigma and maintenanceMode only', async () => {
    const s = await sim({ scenario: 'idle' });
    const c = await client(s.port);
    await c.writeRegister(100, 55);
    expect(s.state().nSigma).toBe(5.5);
    expect((await c.readHoldingRegisters(100, 1)).data).toEqual([55]);
    expect(await exceptionOf(c.writeRegister(100, 5))).toBe(3);
    expect(await exceptionOf(c.writeRegister(101, 100))).toBe(2);
    await c.writeCoil(1, true);
    expect((await c.readCoils(0, 2)).data.slice(0, 2)).toEqual([false, true]);
    expect(await exceptionOf(c.writeCoil(0, true))).toBe(2);
  });

  it('inject: tamper and a vehicle are visible at once and after stepping', async () => {
    const s = await sim({ scenario: 'idle' });
    const c = await client(s.port);
    s.inject({ kind: 'tamper', open: true });
    expect(((await c.readInputRegisters(0, 1)).data[0] ?? 0) & 0b1000).toBe(0b1000);
    expect((await c.readDiscreteInputs(0, 1)).data[0]).toBe(true);
    s.inject({ kind: 'vehicle', speedKmh: 10, lengthM: 5, sources: [] });
    s.step(400);
    expect(((await c.readInputRegisters(0, 1)).data[0] ?? 0) & 1).toBe(1);
    s.step(5000);
    expect(s.occupancyCount()).toBe(1);
    expect(u32((await c.readInputRegisters(30, 2)).data, 0)).toBe(1);
    expect(s.now()).toBe(START + 5400);
  });

  it('silent scenario: accepts the connection and never answers', async () => {
    const s = await sim({ scenario: 'silent' });
    const c = await client(s.port, 1, 200);
    await expect(c.readInputRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    expect(s.connections()).toBe(1);
  });

  it('malformed scenario: every 7th FC 4 reply is broken, holding reads are not', async () => {
    const s = await sim({ scenario: 'malformed' });
    const c = await client(s.port);
    const lengths: number[] = [];
    for (let i = 0; i < 14; i++) lengths.push((await c.readInputRegisters(0, 25)).data.length);
    // byte-count shape: the client believes the reply and returns one extra register
    expect(lengths.filter((n) => n !== 25)).toEqual([26, 26]);
    for (let i = 0; i < 7; i++) expect((await c.readHoldingRegisters(100, 5)).data).toHaveLength(5);
    s.step(20_000);
    const errors: string[] = [];
    for (let i = 0; i < 7; i++) await c.readInputRegisters(0, 25).catch((e: Error) => errors.push(e.message));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/length/i);
  });

  it('setFaults and dropConnections act on the running server', async () => {
    const s = await sim({ scenario: 'idle' });
    const c = await client(s.port);
    s.setFaults({ mode: { kind: 'exception', code: 6 } });
    expect(await exceptionOf(c.readInputRegisters(0, 1))).toBe(6);
    s.setFaults({});
    s.dropConnections();
    const c2 = await client(s.port);
    expect((await c2.readInputRegisters(0, 1)).data).toHaveLength(1);
  });

  it('rejects an unknown scenario with a usage error listing the valid ones', async () => {
    await expect(startRpmSimulator({ scenario: 'nope', realtime: false })).rejects.toMatchObject({
      code: 'BL_ERR_USAGE',
      message: expect.stringContaining('dual-alarm'),
    });
  });

  it('realtime mode advances the model on its own and close() stops it', async () => {
    let now = START;
    const s = await sim({ scenario: 'idle', realtime: true, clock: { now: () => now } });
    now += 1000;
    while (s.state().sampleCount === 0) await new Promise((r) => setTimeout(r, 50));
    expect(s.state().sampleCount).toBe(5); // the whole second, in one catch-up
    await s.close();
  });
});
