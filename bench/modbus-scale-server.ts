/**
 * The device side of the modbus-scale bench and the soak, run as a child process so its CPU is
 * not charged to the gateway being measured: one lean Modbus TCP server that answers every read
 * of every unit id with a fixed register image (input and holding registers 0..124 hold their
 * own address; coils and discrete inputs alternate).
 *
 *   node dist/bench/modbus-scale-server.js        (forked; sends { port } over IPC once listening)
 *
 * The parent ends it by disconnecting the IPC channel (or by killing it).
 */
import { pathToFileURL } from 'node:url';
import { startModbusTcpServer, type ModbusRequestHandler } from '../simulators/modbus/lean-tcp-server.js';

const REGISTERS = Uint16Array.from({ length: 125 }, (_, i) => i);
const BITS = Uint8Array.from({ length: 2000 }, (_, i) => i % 2);

/** Answers any read inside the fixed image; anything else is exception 1 (illegal function). */
export const fixedImageHandler: ModbusRequestHandler = (req) => {
  switch (req.functionCode) {
    case 3:
    case 4:
      if (req.address + req.count > REGISTERS.length) return { kind: 'exception', code: 2 };
      return { kind: 'registers', values: REGISTERS.subarray(req.address, req.address + req.count) };
    case 1:
    case 2:
      if (req.address + req.count > BITS.length) return { kind: 'exception', code: 2 };
      return { kind: 'bits', values: BITS.subarray(req.address, req.address + req.count) };
    default:
      return { kind: 'exception', code: 1 };
  }
};

async function main(): Promise<void> {
  const server = await startModbusTcpServer({ handler: fixedImageHandler, maxConnections: 10_000 });
  const stop = (): void => {
    void server.close().then(() => process.exit(0));
  };
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  if (process.send === undefined) {
    console.log(JSON.stringify({ port: server.port }));
  } else {
    process.send({ port: server.port });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
