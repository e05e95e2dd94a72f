import { afterEach, describe, expect, it } from 'vitest';
import {
  routeByUnitId,
  startModbusTcpServer,
  type ModbusRequestHandler,
  type ModbusTcpServer,
  type ModbusTcpServerOptions,
} from '../../../../simulators/modbus/lean-tcp-server.js';
import { closeClient, exceptionOf, type ModbusClient, mbap, modbusClient, RawMbapClient, readPdu } from '../mbap-test-client.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A device with 1000 points per table: input = 1000 + address, holding written or 2 * address. */
function testDevice(): { handler: ModbusRequestHandler; holding: Map<number, number>; coils: Map<number, boolean> } {
  const holding = new Map<number, number>();
  const coils = new Map<number, boolean>();
  const inRange = (address: number, count: number): boolean => address + count <= 1000;
  const handler: ModbusRequestHandler = (req) => {
    switch (req.functionCode) {
      case 3:
      case 4:
        if (!inRange(req.address, req.count)) return { kind: 'exception', code: 2 };
        return {
          kind: 'registers',
          values: Array.from({ length: req.count }, (_, i) => (req.functionCode === 4 ? 1000 + req.address + i : (holding.get(req.address + i) ?? 2 * (req.address + i)))),
        };
      case 1:
      case 2:
        if (!inRange(req.address, req.count)) return { kind: 'exception', code: 2 };
        return { kind: 'bits', values: Array.from({ length: req.count }, (_, i) => (req.functionCode === 1 ? (coils.get(req.address + i) ?? false) : (req.address + i) % 3 === 0)) };
      case 5:
        coils.set(req.address, req.value);
        return { kind: 'written' };
      case 6:
        holding.set(req.address, req.value);
        return { kind: 'written' };
      case 15:
        req.values.forEach((v, i) => coils.set(req.address + i, v));
        return { kind: 'written' };
      case 16:
        req.values.forEach((v, i) => holding.set(req.address + i, v));
        return { kind: 'written' };
    }
  };
  return { handler, holding, coils };
}

async function server(over: Partial<ModbusTcpServerOptions> = {}): Promise<ModbusTcpServer> {
  const s = await startModbusTcpServer({ handler: routeByUnitId(new Map([[1, testDevice().handler]])), ...over });
  cleanups.push(() => s.close());
  return s;
}

async function client(port: number, unitId = 1, timeoutMs = 2000): Promise<ModbusClient> {
  const c = await modbusClient(port, unitId, timeoutMs);
  cleanups.push(() => closeClient(c));
  return c;
}

async function raw(port: number): Promise<RawMbapClient> {
  const c = await RawMbapClient.connect(port);
  cleanups.push(() => c.close());
  return c;
}

describe('lean Modbus TCP server with the modbus-serial client', () => {
  it('answers FC 1, 2, 3, 4 with the handler values', async () => {
    const s = await server();
    const c = await client(s.port);
    expect((await c.readInputRegisters(10, 3)).data).toEqual([1010, 1011, 1012]);
    expect((await c.readHoldingRegisters(0, 125)).data).toEqual(Array.from({ length: 125 }, (_, i) => 2 * i));
    expect((await c.readDiscreteInputs(0, 7)).data.slice(0, 7)).toEqual([true, false, false, true, false, false, true]);
    expect((await c.readCoils(0, 3)).data.slice(0, 3)).toEqual([false, false, false]);
    expect(s.requestCount()).toBe(4);
  });

  it('serves writes FC 5, 6, 15, 16 and reads them back', async () => {
    const s = await server();
    const c = await client(s.port);
    await c.writeRegister(7, 0xbeef);
    await c.writeRegisters(20, [1, 2, 3]);
    await c.writeCoil(2, true);
    await c.writeCoils(8, [true, false, true]);
    expect((await c.readHoldingRegisters(6, 3)).data).toEqual([12, 0xbeef, 16]);
    expect((await c.readHoldingRegisters(20, 3)).data).toEqual([1, 2, 3]);
    expect((await c.readCoils(0, 11)).data.slice(0, 11)).toEqual([false, false, true, false, false, false, false, false, true, false, true]);
  });

  it('answers exception 2 for addresses the handler does not have, and 11 for an unknown unit id', async () => {
    const s = await server();
    const c = await client(s.port);
    expect(await exceptionOf(c.readInputRegisters(999, 2))).toBe(2);
    expect(await exceptionOf(c.readHoldingRegisters(2000, 1))).toBe(2);
    expect(await exceptionOf(c.readCoils(1000, 1))).toBe(2);
    const other = await client(s.port, 9);
    expect(await exceptionOf(other.readInputRegisters(0, 1))).toBe(11);
    // the first connection still works after the exceptions
    expect((await c.readInputRegisters(0, 1)).data).toEqual([1000]);
  });

  it('can route by unit id to different handlers, or ignore unknown units', async () => {
    const a: ModbusRequestHandler = () => ({ kind: 'registers', values: [0xa] });
    const b: ModbusRequestHandler = () => ({ kind: 'registers', values: [0xb] });
    const s = await server({ handler: routeByUnitId(new Map([[1, a], [2, b]]), 'ignore') });
    const r = await raw(s.port);
    await r.write(Buffer.concat([mbap(1, 1, readPdu(3, 0, 1)), mbap(2, 2, readPdu(3, 0, 1)), mbap(3, 3, readPdu(3, 0, 1)), mbap(4, 1, readPdu(3, 0, 1))]));
    const frames = await r.waitFrames(3);
    expect(frames.map((f) => [f.transactionId, f.unitId, f.pdu.readUInt16BE(2)])).toEqual([[1, 1, 0xa], [2, 2, 0xb], [4, 1, 0xa]]);
  });
});

describe('lean Modbus TCP server framing and validation (raw MBAP)', () => {
  it('answers pipelined requests in one chunk in order, and frames split across chunks', async () => {
    const s = await server();
    const r = await raw(s.port);
    const reqs = Array.from({ length: 50 }, (_, i) => mbap(100 + i, 1, readPdu(4, i, 2)));
    await r.write(Buffer.concat(reqs.slice(0, 40)));
    // the rest dribbles in one byte at a time
    for (const byte of Buffer.concat(reqs.slice(40))) await r.write(Buffer.from([byte]));
    const frames = await r.waitFrames(50);
    expect(frames).toHaveLength(50);
    frames.forEach((f, i) => {
      expect(f.transactionId).toBe(100 + i);
      expect(f.protocolId).toBe(0);
      expect([...f.pdu]).toEqual([4, 4, ...u16(1000 + i), ...u16(1001 + i)]);
    });
    expect(r.leftover().length).toBe(0);
  });

  it('answers exception 1 for an unknown function and 3 for bad counts or PDU lengths', async () => {
    const s = await server();
    const r = await raw(s.port);
    await r.write(
      Buffer.concat([
        mbap(1, 1, [0x2b, 0x0e, 0x01, 0x00]), // FC 43: not supported
        mbap(2, 1, readPdu(3, 0, 0)), // count 0
        mbap(3, 1, readPdu(3, 0, 126)), // > 125 registers
        mbap(4, 1, readPdu(1, 0, 2001)), // > 2000 bits
        mbap(5, 1, readPdu(2, 0, 2000)), // exactly 2000 bits: fine (handler has 1000 -> exception 2)
        mbap(6, 1, [4, 0, 0, 0]), // short PDU
        mbap(7, 1, readPdu(4, 0xffff, 2)), // runs past 65535
        mbap(8, 1, [5, 0, 1, 0x12, 0x34]), // FC 5 value not 0xFF00/0x0000
        mbap(9, 1, [16, 0, 0, 0, 2, 3, 0, 1, 0]), // FC 16 byte count mismatch
      ]),
    );
    const frames = await r.waitFrames(9);
    expect(frames.map((f) => [f.transactionId, f.pdu[0], f.pdu[1]])).toEqual([
      [1, 0xab, 1],
      [2, 0x83, 3],
      [3, 0x83, 3],
      [4, 0x81, 3],
      [5, 0x82, 2],
      [6, 0x84, 3],
      [7, 0x84, 2],
      [8, 0x85, 3],
      [9, 0x90, 3],
    ]);
  });

  it('discards frames whose protocol id is not 0 and keeps serving', async () => {
    const s = await server();
    const r = await raw(s.port);
    await r.write(Buffer.concat([mbap(1, 1, readPdu(4, 0, 1), 7), mbap(2, 1, readPdu(4, 0, 1))]));
    const frames = await r.waitFrames(1);
    expect(frames.map((f) => f.transactionId)).toEqual([2]);
  });

  it('drops a connection whose MBAP length is impossible', async () => {
    const s = await server();
    const r = await raw(s.port);
    const bad = mbap(1, 1, readPdu(4, 0, 1));
    bad.writeUInt16BE(300, 4);
    await r.write(bad);
    await r.untilClosed();
    expect(r.closed).toBe(true);
  });

  it('counts open connections and can drop them all', async () => {
    const s = await server();
    const clients = await Promise.all([raw(s.port), raw(s.port), raw(s.port)]);
    const c = await client(s.port);
    await c.readInputRegisters(0, 1); // the server has certainly accepted every connection by now
    for (const rc of clients) {
      await rc.write(mbap(1, 1, readPdu(4, 0, 1)));
      await rc.waitFrames(1);
    }
    expect(s.connections()).toBe(4);
    s.dropConnections();
    await Promise.all(clients.map((rc) => rc.untilClosed()));
    const again = await raw(s.port);
    await again.write(mbap(1, 1, readPdu(4, 0, 1)));
    expect(await again.waitFrames(1)).toHaveLength(1);
  });

  it('refuses to start on a port in use with a coded error', async () => {
    const s = await server();
    await expect(startModbusTcpServer({ port: s.port, handler: testDevice().handler })).rejects.toMatchObject({ code: 'BL_ERR_SIMULATOR' });
  });

  it('turns a handler that throws or answers the wrong shape into exception 4', async () => {
    const s = await server({
      handler: (req) => {
        if (req.functionCode === 3) throw new Error('boom');
        return { kind: 'registers', values: [1] };
      },
    });
    const c = await client(s.port);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBe(4);
    expect(await exceptionOf(c.readInputRegisters(0, 2))).toBe(4);
    expect(await exceptionOf(c.readCoils(0, 1))).toBe(4);
    expect((await c.readInputRegisters(0, 1)).data).toEqual([1]);
  });
});

describe('lean Modbus TCP server fault injection', () => {
  it('silent: accepts the connection, reads, never answers; clearing the fault restores answers', async () => {
    const s = await server({ faults: { mode: { kind: 'silent' } } });
    const c = await client(s.port, 1, 200);
    await expect(c.readInputRegisters(0, 1)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    expect(s.connections()).toBe(1);
    s.setFaults({});
    const r = await raw(s.port);
    await r.write(mbap(5, 1, readPdu(4, 0, 1)));
    expect((await r.waitFrames(1))[0]?.transactionId).toBe(5);
  });

  it('malformed byte-count: the byte count claims 2 more bytes than sent', async () => {
    const s = await server({ faults: { mode: { kind: 'malformed', shape: 'byte-count' } } });
    const r = await raw(s.port);
    await r.write(mbap(1, 1, readPdu(4, 0, 3)));
    const [f] = await r.waitFrames(1);
    expect(f?.pdu[0]).toBe(4);
    expect(f?.pdu[1]).toBe(8);
    expect(f?.pdu.length).toBe(2 + 6);
  });

  it('malformed truncated: the client sees a length error', async () => {
    const s = await server({ faults: { mode: { kind: 'malformed', shape: 'truncated' } } });
    const c = await client(s.port);
    await expect(c.readInputRegisters(0, 3)).rejects.toThrow(/length/i);
    const r = await raw(s.port);
    await r.write(mbap(1, 1, readPdu(4, 0, 3)));
    const [f] = await r.waitFrames(1);
    expect(f?.pdu.length).toBe(2 + 6 - 2);
    expect(f?.pdu[1]).toBe(6); // the byte count still says 6
  });

  it('malformed function-code and transaction-id shapes', async () => {
    const s = await server({ faults: { mode: { kind: 'malformed', shape: 'function-code' } } });
    const r = await raw(s.port);
    await r.write(mbap(1, 1, readPdu(4, 0, 1)));
    expect((await r.waitFrames(1))[0]?.pdu[0]).toBe(3);
    s.setFaults({ mode: { kind: 'malformed', shape: 'transaction-id' } });
    await r.write(mbap(2, 1, readPdu(4, 0, 1)));
    expect((await r.waitFrames(2))[1]?.transactionId).not.toBe(2);
  });

  it('exception: every request gets the configured code; every and functionCodes narrow it', async () => {
    const s = await server({ faults: { mode: { kind: 'exception', code: 6 } } });
    const c = await client(s.port);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBe(6);
    s.setFaults({ mode: { kind: 'exception', code: 4 }, every: 3, functionCodes: [4] });
    const results: Array<number | undefined> = [];
    for (let i = 0; i < 6; i++) results.push(await exceptionOf(c.readInputRegisters(0, 1)));
    expect(results).toEqual([undefined, undefined, 4, undefined, undefined, 4]);
    expect(await exceptionOf(c.readHoldingRegisters(0, 1))).toBeUndefined();
    expect(s.faults().every).toBe(3);
  });

  it('disconnect: drops the connection on the request', async () => {
    const s = await server({ faults: { mode: { kind: 'disconnect' } } });
    const r = await raw(s.port);
    await r.write(mbap(1, 1, readPdu(4, 0, 1)));
    await r.untilClosed();
    expect(await r.waitFrames(1)).toHaveLength(0);
  });

  it('delay: replies still arrive, complete and in order, across a change of delay', async () => {
    const s = await server({ faults: { delayMs: 40 } });
    const r = await raw(s.port);
    await r.write(Buffer.concat([mbap(1, 1, readPdu(4, 0, 1)), mbap(2, 1, readPdu(4, 1, 1))]));
    s.setFaults({ delayMs: 0 });
    await r.write(mbap(3, 1, readPdu(4, 2, 1)));
    s.setFaults({ delayMs: 10 });
    await r.write(mbap(4, 1, readPdu(4, 3, 1)));
    const frames = await r.waitFrames(4);
    expect(frames.map((f) => [f.transactionId, f.pdu.readUInt16BE(2)])).toEqual([[1, 1000], [2, 1001], [3, 1002], [4, 1003]]);
  });

  it('rejects an invalid fault plan', async () => {
    const s = await server();
    expect(() => s.setFaults({ every: 0 })).toThrow(expect.objectContaining({ code: 'BL_ERR_SIMULATOR' }));
    expect(() => s.setFaults({ delayMs: -1 })).toThrow(expect.objectContaining({ code: 'BL_ERR_SIMULATOR' }));
  });

  it('close() ends open connections, including silent ones', async () => {
    const s = await startModbusTcpServer({ handler: testDevice().handler, faults: { mode: { kind: 'silent' } } });
    const r = await raw(s.port);
    await r.write(mbap(1, 1, readPdu(4, 0, 1)));
    await s.close();
    await r.untilClosed();
    expect(s.connections()).toBe(0);
    await s.close(); // idempotent
  });
});

function u16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}
