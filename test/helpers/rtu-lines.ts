import { socatPtys } from './socat.js';
/**
 * Serial lines for Modbus RTU tests: an in-memory pair of ports (fast, no processes) whose cable
 * can be unplugged, a raw scripted slave on it, and a real socat pseudo-terminal pair.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { BorderlinkError } from '../../src/errors.js';
import type { OpenRtuPort, RtuPortEvents } from '../../src/connectors/rtu-serial-port.js';

export interface MemoryRtuLine {
  /** the end the gateway (bus) opens */
  readonly gateway: OpenRtuPort;
  /** the end the simulated slaves open */
  readonly device: OpenRtuPort;
  /** pulls the cable: both open ends are lost, opens fail until plug() */
  unplug(reason?: string): void;
  plug(): void;
  /** successful opens of the gateway end so far */
  gatewayOpens(): number;
  /** the gateway end is open now */
  gatewayOpen(): boolean;
  /** bytes the gateway wrote, one entry per write */
  written(): Buffer[];
  /** delivers bytes to the gateway as if a slave sent them */
  sendToGateway(bytes: Buffer): void;
}

interface End {
  events: RtuPortEvents | null;
}

export function memoryRtuLine(): MemoryRtuLine {
  const ends: { gateway: End; device: End } = { gateway: { events: null }, device: { events: null } };
  let plugged = true;
  let opens = 0;
  const writes: Buffer[] = [];

  const deliver = (to: End, bytes: Buffer): void => {
    const target = to.events;
    // a later tick, like a real line: a reply never arrives inside the write call
    setImmediate(() => {
      if (to.events === target && target !== null) target.data(Buffer.from(bytes));
    });
  };

  const opener = (self: 'gateway' | 'device'): OpenRtuPort => async (opts, events) => {
    if (!plugged) throw new BorderlinkError('BL_ERR_CONNECT_FAILED', `cannot open serial port ${opts.path}: no such file`);
    const me = ends[self];
    const other = self === 'gateway' ? ends.device : ends.gateway;
    me.events = events;
    if (self === 'gateway') opens += 1;
    return {
      write(data) {
        if (me.events !== events) return;
        if (self === 'gateway') writes.push(Buffer.from(data));
        deliver(other, data);
      },
      close() {
        if (me.events === events) me.events = null;
        return Promise.resolve();
      },
    };
  };

  return {
    gateway: opener('gateway'),
    device: opener('device'),
    unplug(reason = 'device disconnected') {
      plugged = false;
      for (const end of [ends.gateway, ends.device]) {
        const ev = end.events;
        end.events = null;
        ev?.lost(reason);
      }
    },
    plug() {
      plugged = true;
    },
    gatewayOpens: () => opens,
    gatewayOpen: () => ends.gateway.events !== null,
    written: () => writes,
    sendToGateway(bytes) {
      deliver(ends.gateway, bytes);
    },
  };
}

/** A scripted slave on a memory line's device end: every request goes to `respond`; null stays silent. */
export async function scriptedSlave(line: MemoryRtuLine, respond: (request: Buffer) => Buffer | Buffer[] | null): Promise<{ requests: Buffer[] }> {
  const requests: Buffer[] = [];
  let port: Awaited<ReturnType<OpenRtuPort>> | null = null;
  port = await line.device({ path: 'memory', baudRate: 19_200, parity: 'even', dataBits: 8, stopBits: 1 }, {
    data(chunk) {
      requests.push(chunk);
      const reply = respond(chunk);
      if (reply === null) return;
      for (const part of Array.isArray(reply) ? reply : [reply]) port?.write(part);
    },
    lost() {
      port = null;
    },
  });
  return { requests };
}

export { socatAvailable } from './socat.js';
export { socatSuite as socatSuiteName } from './socat.js';

export interface SocatPair {
  /** <dir>/bus-gw: the end the gateway opens */
  readonly gateway: string;
  /** <dir>/bus-dev: the end the simulated units answer on */
  readonly device: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function socatPair(dir: string): SocatPair {
  const p = socatPtys(dir, ['bus-gw', 'bus-dev']);
  return { gateway: p.a, device: p.b, start: () => p.start(), stop: () => p.stop() };
}
