/**
 * Serves an adapter's golden input frames over real Modbus TCP, one frame per poll: each read is
 * answered from the current frame's block with the same table and address, and the frame
 * advances once all of its blocks have been read. The replay clock reports the frame's own
 * receivedAt, so the events made through the real connector match the golden ones exactly.
 */
import type { ModbusTable } from '../../src/adapter/types.js';
import type { FrameFixture, HexBlock } from '../helpers/modbus-image.js';
import type { Clock } from '../../src/clock.js';
import { startModbusTcpServer, type ModbusRequest, type ModbusResponse, type ModbusTcpServer } from '../../simulators/modbus/lean-tcp-server.js';

const TABLE_BY_FC: Record<1 | 2 | 3 | 4, ModbusTable> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };

export interface ReplayServer {
  server: ModbusTcpServer;
  clock: Clock;
  /** frames fully served so far */
  served(): number;
  close(): Promise<void>;
}

function decodeBlock(b: HexBlock): ModbusResponse {
  const bytes = Buffer.from(b.data, 'hex');
  if (b.table === 'coil' || b.table === 'discrete') {
    const values: number[] = [];
    for (let i = 0; i < b.count && i >> 3 < bytes.length; i++) values.push(((bytes[i >> 3] ?? 0) >> (i & 7)) & 1);
    return { kind: 'bits', values };
  }
  const values: number[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) values.push(bytes.readUInt16BE(i));
  return { kind: 'registers', values };
}

export async function startReplayServer(frames: readonly FrameFixture[]): Promise<ReplayServer> {
  let index = 0;
  let readInFrame = new Set<number>();
  const handler = (req: ModbusRequest): ModbusResponse => {
    if (req.functionCode > 4) return { kind: 'exception', code: 1 };
    const frame = frames[Math.min(index, frames.length - 1)] as FrameFixture;
    const table = TABLE_BY_FC[req.functionCode as 1 | 2 | 3 | 4];
    const i = frame.blocks.findIndex((b) => b.table === table && b.address === req.address);
    if (i < 0) return { kind: 'exception', code: 2 };
    readInFrame.add(i);
    const response = decodeBlock(frame.blocks[i] as HexBlock);
    if (readInFrame.size === frame.blocks.length) {
      readInFrame = new Set();
      index += 1;
    }
    return response;
  };
  const server = await startModbusTcpServer({ port: 0, handler });
  return {
    server,
    clock: { now: () => (frames[Math.max(0, Math.min(index, frames.length) - (readInFrame.size === 0 ? 1 : 0))] ?? frames[0])?.receivedAt ?? 0 },
    served: () => index,
    close: () => server.close(),
  };
}
