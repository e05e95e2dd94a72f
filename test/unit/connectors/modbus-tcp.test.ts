import { afterEach, describe, expect, it } from 'vitest';
import modbusSerial from 'modbus-serial';
import type { ModbusPollPlan } from '../../../src/adapter/types.js';
import { createModbusTcpConnector, type ModbusTcpConnectorOptions } from '../../../src/connectors/modbus-tcp.js';
import type { Connector } from '../../../src/connectors/types.js';
import { silentLogger } from '../../../src/log.js';
import {
  adu, exceptionAdu, freePort, hasDuplicateStatus, healthyReply, recordingSink, registerPdu,
  startRawModbusServer, waitUntil, type ModbusRequest, type RecordingSink, type Responder,
} from './modbus-fakes.js';

const clock = { now: (): number => Date.now() };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function plan(over: Partial<ModbusPollPlan> = {}): ModbusPollPlan {
  return {
    kind: 'modbus-poll',
    pollIntervalMs: 50,
    timeoutMs: 300,
    reads: [{ table: 'holding', address: 0, count: 2 }],
    ...over,
  };
}

function connect(port: number, rec: RecordingSink, over: Partial<ModbusTcpConnectorOptions> = {}): Connector {
  const c = createModbusTcpConnector({
    deviceId: `dev-${port}`,
    host: '127.0.0.1',
    port,
    unitId: 7,
    plan: plan(),
    sink: rec.sink,
    logger: silentLogger(),
    clock,
    backoff: { baseMs: 20, capMs: 100 },
    ...over,
  });
  cleanups.push(() => c.stop());
  return c;
}

async function rawServer(respond: Responder, port = 0): ReturnType<typeof startRawModbusServer> {
  const s = await startRawModbusServer(respond, port);
  cleanups.push(() => s.close());
  return s;
}

describe('modbus tcp connector against modbus-serial ServerTCP', () => {
  it('polls every read into one frame with the raw data bytes', async () => {
    const port = await freePort(); // ServerTCP turns port 0 into 502
    const server = new modbusSerial.ServerTCP({
      getHoldingRegister: (addr: number) => addr * 10,
      getInputRegister: (addr: number) => 1000 + addr,
      getCoil: (addr: number) => addr % 3 === 0,
      getDiscreteInput: (addr: number) => addr % 2 === 0,
    }, { host: '127.0.0.1', port });
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    await new Promise<void>((resolve) => server.on('initialized', () => resolve()));

    const rec = recordingSink();
    const c = connect(port, rec, {
      plan: plan({
        reads: [
          { table: 'holding', address: 0, count: 4 },
          { table: 'input', address: 10, count: 2 },
          { table: 'coil', address: 0, count: 10 },
          { table: 'discrete', address: 5, count: 3 },
        ],
      }),
    });
    await c.start();
    await waitUntil(() => rec.frames.length >= 3, '3 frames');
    await c.stop();

    const frame = rec.frames[0];
    expect(frame).toMatchObject({ transport: 'modbus-tcp', unitId: 7 });
    expect(frame?.blocks.map((b) => [b.table, b.address, b.count])).toEqual([
      ['holding', 0, 4], ['input', 10, 2], ['coil', 0, 10], ['discrete', 5, 3],
    ]);
    expect(frame?.blocks.map((b) => b.data.toString('hex'))).toEqual([
      '0000000a0014001e', // 0, 10, 20, 30
      '03f203f3', // 1010, 1011
      '4902', // bits 0, 3, 6 | bit 9
      '02', // 5 no, 6 yes, 7 no
    ]);
    expect(rec.statuses).toEqual([{ state: 'online', detail: 'polling' }]);
    expect(rec.rejects).toEqual([]);
    expect(rec.maxInFlight()).toBe(1);
  });
});

describe('modbus tcp connector fault handling (raw server)', () => {
  it('quarantines an exception reply with its bytes, keeps polling on the same link, and recovers', async () => {
    let broken = true;
    const server = await rawServer((req) => (broken && req.address >= 100 ? exceptionAdu(req, 2) : healthyReply(req)));
    const rec = recordingSink();
    const c = connect(server.port, rec, {
      plan: plan({ reads: [{ table: 'holding', address: 0, count: 2 }, { table: 'holding', address: 100, count: 2 }] }),
    });
    await c.start();
    await waitUntil(() => rec.rejects.length >= 3, '3 rejects');

    const first = rec.rejects[0];
    expect(first?.code).toBe('BL_ERR_MODBUS_ILLEGAL_ADDRESS');
    const exceptionReq = server.requests.find((r) => r.address === 100) as ModbusRequest;
    expect(first?.raw).toEqual(exceptionAdu(exceptionReq, 2));
    expect(rec.frames).toEqual([]);
    expect(server.connections()).toBe(1);
    expect(rec.statuses).toEqual([expect.objectContaining({ state: 'degraded', code: 'BL_ERR_MODBUS_ILLEGAL_ADDRESS' })]);

    broken = false;
    await waitUntil(() => rec.frames.length >= 1, 'a frame after the fix');
    expect(rec.statuses.map((s) => s.state)).toEqual(['degraded', 'online']);
    expect(server.connections()).toBe(1);
  });

  it('maps other exception codes to BL_ERR_MODBUS_EXCEPTION', async () => {
    const server = await rawServer((req) => exceptionAdu(req, 4));
    const rec = recordingSink();
    const c = connect(server.port, rec);
    await c.start();
    await waitUntil(() => rec.rejects.length >= 1, 'a reject');
    expect(rec.rejects[0]?.code).toBe('BL_ERR_MODBUS_EXCEPTION');
    expect(rec.rejects[0]?.raw.length).toBe(9);
  });

  const malformed: Array<[string, (req: ModbusRequest) => Buffer]> = [
    ['byte count says 10 but 4 bytes follow',
      (req) => adu(req.tid, req.unitId, Buffer.from([3, 10, 0, 1, 0, 2]))],
    ['byte count says 2 for a 2-register read',
      (req) => adu(req.tid, req.unitId, Buffer.from([3, 2, 0, 1, 0, 2]))],
    ['MBAP length claims more than follows',
      (req) => adu(req.tid, req.unitId, registerPdu(3, [1, 2]), 20)],
    ['MBAP length claims less than follows',
      (req) => adu(req.tid, req.unitId, registerPdu(3, [1, 2]), 4)],
    ['wrong function code', (req) => adu(req.tid, req.unitId, registerPdu(4, [1, 2]))],
    ['wrong unit id', (req) => adu(req.tid, req.unitId + 1, registerPdu(3, [1, 2]))],
    ['wrong transaction id', (req) => adu(req.tid + 1, req.unitId, registerPdu(3, [1, 2]))],
  ];

  it.each(malformed)('rejects a malformed reply (%s) with its raw bytes, then reconnects', async (_name, lie) => {
    const sent: Buffer[] = [];
    const server = await rawServer((req) => {
      if (sent.length > 0) return healthyReply(req);
      const reply = lie(req);
      sent.push(reply);
      return reply;
    });
    const rec = recordingSink();
    const c = connect(server.port, rec);
    await c.start();
    await waitUntil(() => rec.frames.length >= 1, 'a frame after the reconnect');

    expect(rec.rejects).toHaveLength(1);
    expect(rec.rejects[0]?.code).toBe('BL_ERR_MODBUS_MALFORMED_REPLY');
    expect(rec.rejects[0]?.raw).toEqual(sent[0]);
    expect(server.connections()).toBe(2);
    expect(rec.statuses.map((s) => [s.state, s.code])).toEqual([
      ['degraded', 'BL_ERR_MODBUS_MALFORMED_REPLY'], ['online', undefined],
    ]);
  });

  it('a silent device (accepts, never answers) goes offline with a timeout and is retried with backoff', async () => {
    const server = await rawServer(() => null);
    const rec = recordingSink();
    const c = connect(server.port, rec, { plan: plan({ timeoutMs: 150 }) });
    await c.start();
    await waitUntil(() => server.connections() >= 3, '3 connection attempts');
    expect(rec.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_MODBUS_TIMEOUT' });
    expect(hasDuplicateStatus(rec.statuses)).toBe(false);
    expect(rec.frames).toEqual([]);
    expect(rec.rejects).toEqual([]);
    await c.stop();
    await waitUntil(() => server.openConnections() === 0, 'the socket closed after stop');
  });

  it('reports offline while the device is down and online again once it is back', async () => {
    const port = await freePort();
    const rec = recordingSink();
    const c = connect(port, rec);
    await c.start();
    await waitUntil(() => rec.statuses.length >= 1, 'a status while down');
    expect(rec.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED' });

    let server = await startRawModbusServer(healthyReply, port);
    await waitUntil(() => rec.frames.length >= 1, 'a frame once up');
    expect(rec.statuses.at(-1)).toMatchObject({ state: 'online' });

    await server.close(); // the link drops under a running poll loop
    await waitUntil(() => rec.statuses.at(-1)?.state === 'offline', 'offline after the drop');
    const framesBefore = rec.frames.length;

    server = await startRawModbusServer(healthyReply, port);
    cleanups.push(() => server.close());
    await waitUntil(() => rec.frames.length > framesBefore, 'frames after the restart');
    expect(rec.statuses.map((s) => s.state)).toEqual(['offline', 'online', 'offline', 'online']);
    expect(hasDuplicateStatus(rec.statuses)).toBe(false);
  });

  it('one silent device does not hold back another', async () => {
    const silent = await rawServer(() => null);
    const healthy = await rawServer(healthyReply);
    const recSilent = recordingSink();
    const recHealthy = recordingSink();
    const a = connect(silent.port, recSilent, { plan: plan({ timeoutMs: 2_000 }) });
    const b = connect(healthy.port, recHealthy, { plan: plan({ pollIntervalMs: 20 }) });
    await a.start();
    await b.start();
    await waitUntil(() => silent.requests.length >= 1, 'the silent device to be asked');
    const before = recHealthy.frames.length;
    await new Promise((r) => setTimeout(r, 500)); // well inside the silent device's 2 s timeout
    expect(recHealthy.frames.length - before).toBeGreaterThan(2);
    expect(recSilent.frames).toEqual([]);
  });

  it('stop() during a hanging request resolves promptly and closes the socket', async () => {
    const server = await rawServer(() => null);
    const rec = recordingSink();
    const c = connect(server.port, rec, { plan: plan({ timeoutMs: 20_000 }) });
    await c.start();
    await waitUntil(() => server.requests.length >= 1, 'a request in flight');
    const outcome = await Promise.race([
      c.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('hung'), 5_000)),
    ]);
    expect(outcome).toBe('stopped');
    await waitUntil(() => server.openConnections() === 0, 'the socket closed');
    expect(rec.statuses).toEqual([]); // stop is not a device failure
  });

  it('stop() while connecting to a black-holed address resolves promptly', async () => {
    const rec = recordingSink();
    // 10.255.255.1 is normally unroutable: connect hangs until our connect timeout
    const c = createModbusTcpConnector({
      deviceId: 'blackhole', host: '10.255.255.1', port: 502, unitId: 1, plan: plan(), sink: rec.sink,
      logger: silentLogger(), clock, connectTimeoutMs: 20_000,
    });
    await c.start();
    await new Promise((r) => setTimeout(r, 50));
    const outcome = await Promise.race([
      c.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('hung'), 5_000)),
    ]);
    expect(outcome).toBe('stopped');
  });

  it('stop() resolves within its timeout even when the sink never settles', async () => {
    const server = await rawServer(healthyReply);
    const rec = recordingSink();
    let pushes = 0;
    const c = connect(server.port, rec, {
      sink: { ...rec.sink, push: () => { pushes += 1; return new Promise<never>(() => undefined); } },
      stopTimeoutMs: 200,
    });
    await c.start();
    await waitUntil(() => pushes === 1, 'a push in flight');
    const outcome = await Promise.race([
      c.stop().then(() => 'stopped'),
      new Promise((r) => setTimeout(() => r('hung'), 5_000)),
    ]);
    expect(outcome).toBe('stopped');
    await waitUntil(() => server.openConnections() === 0, 'the socket closed');
  });

  it('leaves no timers or sockets behind after stop()', async () => {
    const count = (kind: string): number => process.getActiveResourcesInfo().filter((r) => r === kind).length;
    const before = { timers: count('Timeout'), sockets: count('TCPSocketWrap') };
    const silent = await startRawModbusServer(() => null);
    const healthy = await startRawModbusServer(healthyReply);
    const recs = [recordingSink(), recordingSink()];
    const cs = [connect(silent.port, recs[0] as RecordingSink, { plan: plan({ timeoutMs: 100 }) }),
      connect(healthy.port, recs[1] as RecordingSink)];
    for (const c of cs) await c.start();
    await waitUntil(() => silent.connections() >= 2 && (recs[1]?.frames.length ?? 0) >= 2, 'both devices busy');
    for (const c of cs) await c.stop();
    await silent.close();
    await healthy.close();
    await waitUntil(() => count('TCPSocketWrap') <= before.sockets && count('Timeout') <= before.timers,
      'sockets and timers released');
  });

  it('a slow sink slows polling: never more than one push in flight, no pile-up of requests', async () => {
    const server = await rawServer(healthyReply);
    const rec = recordingSink({ pushDelayMs: 100 });
    const c = connect(server.port, rec, {
      plan: plan({ pollIntervalMs: 5, reads: [{ table: 'holding', address: 0, count: 2 }, { table: 'coil', address: 0, count: 8 }] }),
    });
    await c.start();
    await waitUntil(() => rec.frames.length >= 4, '4 frames');
    await c.stop();
    expect(rec.maxInFlight()).toBe(1);
    // every poll's requests wait for the previous push: at most one poll ahead of the sink
    expect(server.requests.length).toBeLessThanOrEqual((rec.frames.length + 1) * 2);
  });

  it('start() is idempotent and stop() before start() is harmless', async () => {
    const server = await rawServer(healthyReply);
    const rec = recordingSink();
    const idle = connect(server.port, rec);
    await idle.stop();
    const c = connect(server.port, rec);
    await c.start();
    await c.start();
    await waitUntil(() => rec.frames.length >= 2, '2 frames');
    expect(server.connections()).toBe(1);
  });

  it('refuses an invalid plan with a coded config error', () => {
    const rec = recordingSink();
    expect(() => connect(502, rec, { plan: plan({ reads: [] }) })).toThrow(/no reads/);
    expect(() => connect(502, rec, { plan: plan({ reads: [{ table: 'holding', address: 0, count: 126 }] }) }))
      .toThrow(expect.objectContaining({ code: 'BL_ERR_CONFIG_INVALID' }));
  });
});
