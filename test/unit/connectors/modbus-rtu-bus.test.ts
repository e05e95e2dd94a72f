import { afterEach, describe, expect, it } from 'vitest';
import type { ModbusFrame, ModbusPollPlan } from '../../../src/adapter/types.js';
import { createModbusRtuBus, type ModbusRtuBus, type ModbusRtuBusOptions } from '../../../src/connectors/modbus-rtu-bus.js';
import { encodeReadRequest, hasValidCrc, withCrc } from '../../../src/connectors/modbus-rtu-frame.js';
import type { Connector, LinkStatus, RejectedInput, Sink } from '../../../src/connectors/types.js';
import { BorderlinkError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { startModbusRtuServer, type ModbusRtuServer } from '../../../simulators/modbus/lean-rtu-server.js';
import type { ModbusRequestHandler } from '../../../simulators/modbus/lean-tcp-server.js';
import { memoryRtuLine, scriptedSlave, type MemoryRtuLine } from '../../helpers/rtu-lines.js';
import { hasDuplicateStatus, recordingSink, waitUntil, type RecordingSink } from './modbus-fakes.js';

const clock = { now: (): number => Date.now() };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function plan(over: Partial<ModbusPollPlan> = {}): ModbusPollPlan {
  return {
    kind: 'modbus-poll',
    pollIntervalMs: 50,
    timeoutMs: 40,
    reads: [{ table: 'holding', address: 0, count: 2 }, { table: 'coil', address: 0, count: 10 }],
    ...over,
  };
}

/** Holding registers read unitId * 100 + address; coils alternate. */
function unitHandler(unitId: number): ModbusRequestHandler {
  return (req) => {
    if (req.functionCode === 3 || req.functionCode === 4) {
      return { kind: 'registers', values: Array.from({ length: req.count }, (_, i) => unitId * 100 + req.address + i) };
    }
    if (req.functionCode === 1 || req.functionCode === 2) {
      return { kind: 'bits', values: Array.from({ length: req.count }, (_, i) => i % 2 === 0) };
    }
    return { kind: 'exception', code: 1 };
  };
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeUInt16BE(v, i * 2));
  return b;
}

function trail(statuses: readonly LinkStatus[]): string[] {
  return statuses.map((s) => (s.code === undefined ? s.state : `${s.state}:${s.code}`));
}

function newBus(line: MemoryRtuLine, over: Partial<ModbusRtuBusOptions> = {}): ModbusRtuBus {
  const bus = createModbusRtuBus({
    path: 'memory-gw',
    baudRate: 115_200,
    parity: 'none',
    logger: silentLogger(),
    clock,
    openPort: line.gateway,
    backoff: { baseMs: 20, capMs: 50 },
    ...over,
  });
  cleanups.push(() => bus.close());
  return bus;
}

interface Rig {
  line: MemoryRtuLine;
  server: ModbusRtuServer;
  bus: ModbusRtuBus;
  recs: Map<number, RecordingSink>;
  connectors: Map<number, Connector>;
  start(): Promise<void>;
}

async function rig(unitIds: number[], over: { plan?: Partial<ModbusPollPlan>; retries?: number } = {}): Promise<Rig> {
  const line = memoryRtuLine();
  const server = await startModbusRtuServer({
    path: 'memory-dev', units: new Map(unitIds.map((u) => [u, unitHandler(u)])), openPort: line.device, reopenMs: 20,
  });
  cleanups.push(() => server.close());
  const bus = newBus(line);
  const recs = new Map<number, RecordingSink>();
  const connectors = new Map<number, Connector>();
  for (const u of unitIds) {
    const rec = recordingSink();
    recs.set(u, rec);
    connectors.set(u, bus.connector({
      deviceId: `rpm-${u}`, unitId: u, plan: plan(over.plan), sink: rec.sink, offlineBackoff: { baseMs: 50, capMs: 100 },
      ...(over.retries === undefined ? {} : { retries: over.retries }),
    }));
  }
  return {
    line, server, bus, recs, connectors,
    async start() {
      for (const c of connectors.values()) await c.start();
    },
  };
}

function rec(r: Rig, unitId: number): RecordingSink {
  const x = r.recs.get(unitId);
  if (x === undefined) throw new Error(`no unit ${unitId}`);
  return x;
}

describe('modbus rtu bus: polling several units on one line', () => {
  it('polls every unit into modbus-rtu frames with the raw data bytes, one request at a time', async () => {
    const r = await rig([1, 2, 3]);
    await r.start();
    await waitUntil(() => [1, 2, 3].every((u) => rec(r, u).frames.length >= 3), '3 frames per unit');
    for (const u of [1, 2, 3]) {
      const f = rec(r, u).frames[0] as ModbusFrame;
      expect(f).toMatchObject({ transport: 'modbus-rtu', unitId: u });
      expect(f.blocks).toEqual([
        { table: 'holding', address: 0, count: 2, data: words(u * 100, u * 100 + 1) },
        { table: 'coil', address: 0, count: 10, data: Buffer.from([0x55, 0x01]) },
      ]);
      expect(trail(rec(r, u).statuses)).toEqual(['online']);
    }
    // the wire carries exact RTU requests, one per write
    expect(r.line.written()[0]).toEqual(encodeReadRequest(1, { table: 'holding', address: 0, count: 2 }));
    expect(r.line.written().every((w) => w.length === 8 && hasValidCrc(w))).toBe(true);
  });

  it('a silent unit goes offline after its retries, is probed rarely, the others keep polling, and it comes back', async () => {
    const r = await rig([1, 2, 3]);
    await r.start();
    await waitUntil(() => [1, 2, 3].every((u) => rec(r, u).frames.length >= 2), 'all polling');
    r.server.setUnitFaults(2, { mode: { kind: 'silent' } });
    await waitUntil(() => trail(rec(r, 2).statuses).includes('offline:BL_ERR_MODBUS_TIMEOUT'), 'unit 2 offline');

    const frames1 = rec(r, 1).frames.length;
    const frames3 = rec(r, 3).frames.length;
    const asked1 = r.server.requestCountFor(1);
    const asked2 = r.server.requestCountFor(2);
    await new Promise((res) => setTimeout(res, 800));
    expect(rec(r, 1).frames.length - frames1).toBeGreaterThanOrEqual(5);
    expect(rec(r, 3).frames.length - frames3).toBeGreaterThanOrEqual(5);
    // probes are at least 4 timeouts apart: far fewer requests than a healthy unit gets
    expect(r.server.requestCountFor(2) - asked2).toBeLessThan((r.server.requestCountFor(1) - asked1) / 3);
    expect(r.server.requestCountFor(2) - asked2).toBeGreaterThanOrEqual(1);

    r.server.setUnitFaults(2, {});
    await waitUntil(() => trail(rec(r, 2).statuses).at(-1) === 'online', 'unit 2 back online');
    const back = rec(r, 2).frames.length;
    await waitUntil(() => rec(r, 2).frames.length >= back + 3, 'unit 2 polled again');
    expect(trail(rec(r, 2).statuses)).toEqual(['online', 'offline:BL_ERR_MODBUS_TIMEOUT', 'online']);
    expect(trail(rec(r, 1).statuses)).toEqual(['online']);
    expect(trail(rec(r, 3).statuses)).toEqual(['online']);
    expect(rec(r, 1).rejects).toEqual([]);
  });

  it('retries a timed-out request: a unit that misses every other request stays online', async () => {
    const r = await rig([1, 2]);
    await r.start();
    await waitUntil(() => rec(r, 2).frames.length >= 1, 'unit 2 polling');
    r.server.setUnitFaults(2, { mode: { kind: 'silent' }, every: 2 });
    const before = rec(r, 2).frames.length;
    await waitUntil(() => rec(r, 2).frames.length >= before + 4, 'unit 2 polled through its misses');
    expect(trail(rec(r, 2).statuses)).toEqual(['online']);
  });

  it('with retries 0 one missed request takes the unit offline', async () => {
    const r = await rig([1, 2], { retries: 0 });
    await r.start();
    await waitUntil(() => rec(r, 2).frames.length >= 1, 'unit 2 polling');
    r.server.setUnitFaults(2, { mode: { kind: 'silent' }, every: 2 });
    await waitUntil(() => trail(rec(r, 2).statuses).includes('offline:BL_ERR_MODBUS_TIMEOUT'), 'unit 2 offline');
  });

  it.each([
    ['crc', /CRC mismatch/],
    ['unit-id', /reply from unit 4 to a request for unit 3/],
    ['function-code', /function 0x04 to a request with function 0x03/],
    ['byte-count', /incomplete reply|byte count/],
    ['truncated', /byte count|incomplete reply/],
  ] as const)('a %s fault is quarantined with its raw bytes, and only that unit is degraded', async (shape, message) => {
    const r = await rig([1, 3]);
    await r.start();
    await waitUntil(() => rec(r, 3).frames.length >= 1, 'unit 3 polling');
    r.server.setUnitFaults(3, { mode: { kind: 'malformed', shape }, functionCodes: [3] });
    await waitUntil(() => rec(r, 3).rejects.length >= 2, 'rejects');
    const rej = rec(r, 3).rejects[0] as RejectedInput;
    expect(rej.code).toBe('BL_ERR_MODBUS_MALFORMED_REPLY');
    expect(rej.message).toMatch(/^holding 0\+2: /);
    expect(rej.message).toMatch(message);
    expect(rej.raw.length).toBeGreaterThan(0);
    if (shape === 'crc') {
      expect(rej.raw.length).toBe(9);
      expect(hasValidCrc(rej.raw)).toBe(false);
    }
    expect(trail(rec(r, 3).statuses)).toEqual(['online', 'degraded:BL_ERR_MODBUS_MALFORMED_REPLY']);
    expect(hasDuplicateStatus(rec(r, 3).statuses)).toBe(false);
    r.server.setUnitFaults(3, {});
    await waitUntil(() => trail(rec(r, 3).statuses).at(-1) === 'online', 'unit 3 online again');
    expect(rec(r, 1).rejects).toEqual([]);
    expect(trail(rec(r, 1).statuses)).toEqual(['online']);
  });

  it.each([
    [2, 'BL_ERR_MODBUS_ILLEGAL_ADDRESS'],
    [4, 'BL_ERR_MODBUS_EXCEPTION'],
  ] as const)('exception %i is quarantined as %s and the unit stays polled', async (code, errorCode) => {
    const r = await rig([1, 2]);
    await r.start();
    await waitUntil(() => rec(r, 1).frames.length >= 1, 'polling');
    r.server.setUnitFaults(1, { mode: { kind: 'exception', code } });
    await waitUntil(() => rec(r, 1).rejects.length >= 3, 'three rejects: the unit is still polled');
    expect(rec(r, 1).rejects[0]).toMatchObject({ code: errorCode, raw: withCrc(Buffer.from([1, 0x83, code])) });
    expect(trail(rec(r, 1).statuses)).toEqual(['online', `degraded:${errorCode}`]);
    expect(trail(rec(r, 2).statuses)).toEqual(['online']);
  });
});

describe('modbus rtu bus: bytes that are not a reply', () => {
  async function scripted(respond: (req: Buffer) => Buffer | Buffer[] | null): Promise<{ line: MemoryRtuLine; rec: RecordingSink; c: Connector }> {
    const line = memoryRtuLine();
    await scriptedSlave(line, respond);
    const bus = newBus(line);
    const rec = recordingSink();
    const c = bus.connector({ deviceId: 'one', unitId: 1, plan: plan({ reads: [{ table: 'holding', address: 0, count: 2 }] }), sink: rec.sink });
    return { line, rec, c };
  }
  const good = withCrc(Buffer.from([1, 3, 4, 0, 1, 0, 2]));

  it('a reply longer than its header says is malformed, with every byte that came', async () => {
    const { rec, c } = await scripted(() => [good, Buffer.from([0xde, 0xad])]);
    await c.start();
    await waitUntil(() => rec.rejects.length >= 1, 'reject');
    expect(rec.rejects[0]?.raw).toEqual(Buffer.concat([good, Buffer.from([0xde, 0xad])]));
    expect(rec.frames).toEqual([]);
  });

  it('a reply cut short is malformed once the timeout passes', async () => {
    const { rec, c } = await scripted(() => good.subarray(0, 5));
    await c.start();
    await waitUntil(() => rec.rejects.length >= 1, 'reject');
    expect(rec.rejects[0]).toMatchObject({ code: 'BL_ERR_MODBUS_MALFORMED_REPLY', raw: good.subarray(0, 5) });
    expect(rec.rejects[0]?.message).toMatch(/incomplete reply within 40 ms/);
  });

  it('unsolicited bytes between requests are quarantined on the unit asked last', async () => {
    const { line, rec, c } = await scripted(() => good);
    await c.start();
    await waitUntil(() => rec.frames.length >= 1, 'a frame');
    line.sendToGateway(Buffer.from([0x55, 0xaa, 0x55]));
    await waitUntil(() => rec.rejects.length >= 1, 'reject');
    expect(rec.rejects[0]).toMatchObject({ code: 'BL_ERR_MODBUS_MALFORMED_REPLY', raw: Buffer.from([0x55, 0xaa, 0x55]) });
    expect(rec.rejects[0]?.message).toMatch(/unsolicited bytes on the line after a request to unit 1/);
    const n = rec.frames.length;
    await waitUntil(() => rec.frames.length > n + 2, 'polling goes on');
    expect(trail(rec.statuses)).toEqual(['online']);
  });
});

describe('modbus rtu bus: the serial port', () => {
  it('a port that cannot open reports every unit offline, then all come online when it appears', async () => {
    const r = await rig([1, 2, 3]);
    r.line.unplug();
    await r.start();
    await waitUntil(() => [1, 2, 3].every((u) => trail(rec(r, u).statuses).at(-1) === 'offline:BL_ERR_CONNECT_FAILED'), 'all offline');
    r.line.plug();
    await waitUntil(() => [1, 2, 3].every((u) => trail(rec(r, u).statuses).at(-1) === 'online'), 'all online');
  });

  it('a lost port (adapter unplugged) takes every unit offline, and the bus reopens it', async () => {
    const r = await rig([1, 2, 3]);
    await r.start();
    await waitUntil(() => [1, 2, 3].every((u) => rec(r, u).frames.length >= 2), 'all polling');
    r.line.unplug('USB adapter removed');
    await waitUntil(() => [1, 2, 3].every((u) => trail(rec(r, u).statuses).at(-1) === 'offline:BL_ERR_CONNECT_FAILED'), 'all offline');
    expect(rec(r, 2).statuses.at(-1)?.detail).toMatch(/serial port memory-gw lost: USB adapter removed/);
    const opensBefore = r.line.gatewayOpens();
    await new Promise((res) => setTimeout(res, 100));
    r.line.plug();
    await waitUntil(() => [1, 2, 3].every((u) => trail(rec(r, u).statuses).at(-1) === 'online'), 'all online again');
    const counts = [1, 2, 3].map((u) => rec(r, u).frames.length);
    await waitUntil(() => [1, 2, 3].every((u, i) => rec(r, u).frames.length > (counts[i] ?? 0) + 1), 'polling again');
    expect(r.line.gatewayOpens()).toBe(opensBefore + 1);
    for (const u of [1, 2, 3]) expect(trail(rec(r, u).statuses)).toEqual(['online', 'offline:BL_ERR_CONNECT_FAILED', 'online']);
  });
});

describe('modbus rtu bus: lifecycle and backpressure', () => {
  it('stopping a unit mid-request is prompt, the others keep polling, the last one out closes the port', async () => {
    const r = await rig([1, 2], { plan: { timeoutMs: 2_000 } });
    await r.start();
    await waitUntil(() => rec(r, 2).frames.length >= 1, 'polling');
    r.server.setUnitFaults(2, { mode: { kind: 'silent' } });
    await waitUntil(() => r.server.requestCountFor(2) > 0 && r.line.written().at(-1)?.[0] === 2, 'a request to unit 2 on the line');
    const t0 = Date.now();
    await r.connectors.get(2)?.stop();
    expect(Date.now() - t0).toBeLessThan(1_500);
    const n = rec(r, 1).frames.length;
    await waitUntil(() => rec(r, 1).frames.length >= n + 3, 'unit 1 polls on');
    expect(trail(rec(r, 2).statuses)).toEqual(['online']);
    // the unit id is free again; the stopped connector stays stopped
    expect(() => r.bus.connector({ deviceId: 'again', unitId: 2, plan: plan(), sink: recordingSink().sink })).not.toThrow();
    await r.connectors.get(1)?.stop();
    expect(r.line.gatewayOpen()).toBe(false);
    await r.connectors.get(1)?.start();
    await new Promise((res) => setTimeout(res, 50));
    expect(r.line.gatewayOpen()).toBe(false);
  });

  it('a slow sink holds back only its own unit', async () => {
    const line = memoryRtuLine();
    const server = await startModbusRtuServer({ path: 'memory-dev', units: new Map([[1, unitHandler(1)], [3, unitHandler(3)]]), openPort: line.device });
    cleanups.push(() => server.close());
    const bus = newBus(line);
    let release: () => void = () => undefined;
    const held = new Promise<void>((res) => {
      release = res;
    });
    let pushes = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const slow: Sink<ModbusFrame> = {
      async push() {
        pushes += 1;
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await held;
        inFlight -= 1;
        return { status: 'accepted', eventIds: [] };
      },
      status: () => undefined,
      reject: async () => undefined,
    };
    const fast = recordingSink();
    const c1 = bus.connector({ deviceId: 'slow', unitId: 1, plan: plan(), sink: slow });
    const c3 = bus.connector({ deviceId: 'fast', unitId: 3, plan: plan(), sink: fast.sink });
    await c1.start();
    await c3.start();
    await waitUntil(() => pushes === 1, 'unit 1 pushed once');
    const asked1 = server.requestCountFor(1);
    const n3 = fast.frames.length;
    await waitUntil(() => fast.frames.length >= n3 + 5, 'unit 3 keeps polling');
    expect(server.requestCountFor(1)).toBe(asked1);
    expect(maxInFlight).toBe(1);
    release();
    await waitUntil(() => pushes >= 3, 'unit 1 polls again once its push is durable');
  });
});

describe('modbus rtu bus: options', () => {
  const line = memoryRtuLine();
  const base = { path: '/dev/ttyUSB0', baudRate: 9600, logger: silentLogger(), clock, openPort: line.gateway };
  const code = (f: () => unknown): string | undefined => {
    try {
      f();
    } catch (e) {
      return e instanceof BorderlinkError ? e.code : 'not a BorderlinkError';
    }
    return undefined;
  };

  it('refuses bad line settings', () => {
    expect(code(() => createModbusRtuBus({ ...base, baudRate: 0 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => createModbusRtuBus({ ...base, path: '' }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => createModbusRtuBus({ ...base, dataBits: 7 as 8 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => createModbusRtuBus({ ...base, stopBits: 3 as 1 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => createModbusRtuBus({ ...base, parity: 'mark' as 'none' }))).toBe('BL_ERR_CONFIG_INVALID');
    // 3.5 characters at 9600 8E1 is ~4.01 ms
    expect(code(() => createModbusRtuBus({ ...base, interFrameMs: 3 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => createModbusRtuBus({ ...base, interFrameMs: 4.1 }))).toBeUndefined();
  });

  it('refuses bad units, duplicate unit ids and bad plans', () => {
    const bus = createModbusRtuBus(base);
    const sink = recordingSink().sink;
    const unit = { deviceId: 'd', unitId: 5, plan: plan(), sink };
    expect(code(() => bus.connector({ ...unit, unitId: 0 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => bus.connector({ ...unit, unitId: 248 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => bus.connector({ ...unit, retries: -1 }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => bus.connector({ ...unit, plan: plan({ reads: [] }) }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => bus.connector({ ...unit, plan: plan({ timeoutMs: 0 }) }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => bus.connector({ ...unit, plan: plan({ reads: [{ table: 'input', address: 0, count: 126 }] }) }))).toBe('BL_ERR_CONFIG_INVALID');
    expect(code(() => bus.connector(unit))).toBeUndefined();
    expect(code(() => bus.connector({ ...unit, deviceId: 'other' }))).toBe('BL_ERR_CONFIG_INVALID');
  });
});
