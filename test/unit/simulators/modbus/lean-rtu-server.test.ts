import { afterEach, describe, expect, it } from 'vitest';
import type { RtuPort } from '../../../../src/connectors/rtu-serial-port.js';
import { BorderlinkError } from '../../../../src/errors.js';
import { startModbusRtuServer, type ModbusRtuServer } from '../../../../simulators/modbus/lean-rtu-server.js';
import type { ModbusRequest, ModbusRequestHandler } from '../../../../simulators/modbus/lean-tcp-server.js';
import { hasValidCrc, withCrc } from '../../../../simulators/modbus/modbus-rtu-adu.js';
import { memoryRtuLine, type MemoryRtuLine } from '../../../helpers/rtu-lines.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(cond: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The master's end of the line: write raw bytes, collect what comes back. */
interface Master {
  port: RtuPort;
  received: Buffer[];
  /** sends a request and returns what arrived within `ms` */
  ask(bytes: Buffer, ms?: number): Promise<Buffer>;
}

async function master(line: MemoryRtuLine): Promise<Master> {
  const received: Buffer[] = [];
  const port = await line.gateway({ path: 'gw', baudRate: 19_200, parity: 'even', dataBits: 8, stopBits: 1 }, {
    data: (c) => received.push(c),
    lost: () => undefined,
  });
  return {
    port,
    received,
    async ask(bytes, ms = 30) {
      received.length = 0;
      port.write(bytes);
      await new Promise((r) => setTimeout(r, ms));
      return Buffer.concat(received);
    },
  };
}

function registers(base: number): ModbusRequestHandler {
  return (req) => (req.functionCode === 3 || req.functionCode === 4
    ? { kind: 'registers', values: Array.from({ length: req.count }, (_, i) => base + req.address + i) }
    : req.functionCode === 6 ? { kind: 'written' } : { kind: 'exception', code: 1 });
}

async function serve(units: Map<number, ModbusRequestHandler>): Promise<{ line: MemoryRtuLine; server: ModbusRtuServer; m: Master }> {
  const line = memoryRtuLine();
  const server = await startModbusRtuServer({ path: 'dev', units, openPort: line.device, frameGapMs: 10, reopenMs: 10 });
  cleanups.push(() => server.close());
  return { line, server, m: await master(line) };
}

const read = (unit: number, address: number, count: number, fc = 3): Buffer =>
  withCrc(Buffer.from([unit, fc, address >> 8, address & 0xff, count >> 8, count & 0xff]));

describe('lean Modbus RTU server', () => {
  it('answers each unit id through its own handler; unit ids not on the line stay silent', async () => {
    const { m, server } = await serve(new Map([[1, registers(100)], [2, registers(200)]]));
    expect(await m.ask(read(1, 0, 2))).toEqual(withCrc(hex('01 03 04 00 64 00 65')));
    expect(await m.ask(read(2, 1, 1, 4))).toEqual(withCrc(hex('02 04 02 00 C9')));
    expect(await m.ask(read(9, 0, 1))).toEqual(Buffer.alloc(0));
    expect(server.requestCountFor(1)).toBe(1);
    expect(server.requestCount()).toBe(3);
    expect(server.unitIds).toEqual([1, 2]);
  });

  it('ignores a request with a bad CRC and drops a partial one after the gap', async () => {
    const { m, server } = await serve(new Map([[1, registers(0)]]));
    const bad = read(1, 0, 1);
    bad[7] = (bad[7] ?? 0) ^ 1;
    expect(await m.ask(bad)).toEqual(Buffer.alloc(0));
    expect(await m.ask(read(1, 0, 1).subarray(0, 5))).toEqual(Buffer.alloc(0));
    expect(server.droppedFrames()).toBe(2);
    // and the line is in sync again for the next request
    expect(await m.ask(read(1, 0, 1))).toEqual(withCrc(hex('01 03 02 00 00')));
  });

  it('answers requests split over several chunks and several requests in one chunk', async () => {
    const { m } = await serve(new Map([[1, registers(0)], [2, registers(0)]]));
    const r = read(1, 0, 1);
    m.received.length = 0;
    m.port.write(r.subarray(0, 3));
    m.port.write(r.subarray(3));
    await until(() => Buffer.concat(m.received).length >= 7, 'reply to a split request');
    expect(await m.ask(Buffer.concat([read(1, 0, 1), read(2, 0, 1)]))).toHaveLength(14);
  });

  it('executes a broadcast on every unit and answers none; an unknown function gets exception 1', async () => {
    const seen: ModbusRequest[] = [];
    const spy: ModbusRequestHandler = (req) => {
      seen.push(req);
      return { kind: 'written' };
    };
    const { m } = await serve(new Map([[1, spy], [2, spy]]));
    expect(await m.ask(withCrc(hex('00 06 00 64 00 28')))).toEqual(Buffer.alloc(0));
    expect(seen.map((r) => r.unitId)).toEqual([0, 0]);
    expect(await m.ask(withCrc(hex('01 2B 0E 01 00')), 40)).toEqual(withCrc(hex('01 AB 01')));
  });

  it('injects faults per unit: silent, bad CRC, exception, every nth, delay', async () => {
    const { m, server } = await serve(new Map([[1, registers(0)], [2, registers(0)]]));
    server.setUnitFaults(2, { mode: { kind: 'silent' } });
    expect(await m.ask(read(2, 0, 1))).toEqual(Buffer.alloc(0));
    expect(await m.ask(read(1, 0, 1))).toEqual(withCrc(hex('01 03 02 00 00')));

    server.setUnitFaults(2, { mode: { kind: 'malformed' } });
    const bad = await m.ask(read(2, 0, 1));
    expect(bad.subarray(0, 5)).toEqual(hex('02 03 02 00 00'));
    expect(hasValidCrc(bad)).toBe(false);

    server.setUnitFaults(2, { mode: { kind: 'exception', code: 4 }, every: 2 });
    expect(await m.ask(read(2, 0, 1))).toEqual(withCrc(hex('02 03 02 00 00')));
    expect(await m.ask(read(2, 0, 1))).toEqual(withCrc(hex('02 83 04')));
    expect(server.unitFaults(2)).toMatchObject({ every: 2 });

    server.setUnitFaults(2, { delayMs: 60 });
    expect(await m.ask(read(2, 0, 1), 20)).toEqual(Buffer.alloc(0));
    await until(() => m.received.length > 0, 'the delayed reply');
    expect(() => server.setUnitFaults(7, {})).toThrow(BorderlinkError);
    expect(() => server.setUnitFaults(2, { every: 0 })).toThrow(BorderlinkError);
  });

  it('reopens its port after the line is lost', async () => {
    const { line, server } = await serve(new Map([[1, registers(0)]]));
    line.unplug();
    expect(server.isOpen()).toBe(false);
    await new Promise((r) => setTimeout(r, 40));
    line.plug();
    await until(() => server.isOpen(), 'reopened');
    const m = await master(line);
    expect(await m.ask(read(1, 0, 1))).toEqual(withCrc(hex('01 03 02 00 00')));
  });

  it('refuses a port it cannot open and unit ids off the bus', async () => {
    const line = memoryRtuLine();
    line.unplug();
    await expect(startModbusRtuServer({ path: 'dev', units: new Map([[1, registers(0)]]), openPort: line.device })).rejects.toMatchObject({ code: 'BL_ERR_SIMULATOR' });
    line.plug();
    await expect(startModbusRtuServer({ path: 'dev', units: new Map([[0, registers(0)]]), openPort: line.device })).rejects.toMatchObject({ code: 'BL_ERR_SIMULATOR' });
  });
});
