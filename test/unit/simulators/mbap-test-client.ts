/** A raw MBAP client for tests that need what modbus-serial hides: pipelining, split frames, exact bytes. */
import net from 'node:net';
import modbusSerial from 'modbus-serial';

/** modbus-serial is CommonJS; its typings expose the client class as the module's `default`. */
const ModbusRTU = modbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

export function mbap(transactionId: number, unitId: number, pdu: readonly number[], protocolId = 0): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(transactionId, 0);
  b.writeUInt16BE(protocolId, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unitId;
  Buffer.from(pdu).copy(b, 7);
  return b;
}

/** FC 1-4 request PDU */
export function readPdu(fc: number, address: number, count: number): number[] {
  return [fc, address >> 8, address & 0xff, count >> 8, count & 0xff];
}

export interface Frame {
  transactionId: number;
  protocolId: number;
  unitId: number;
  pdu: Buffer;
}

export class RawMbapClient {
  private buf = Buffer.alloc(0);
  private readonly frames: Frame[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      while (this.buf.length >= 7) {
        const len = this.buf.readUInt16BE(4);
        if (this.buf.length < 6 + len) break;
        this.frames.push({
          transactionId: this.buf.readUInt16BE(0),
          protocolId: this.buf.readUInt16BE(2),
          unitId: this.buf[6] ?? 0,
          pdu: Buffer.from(this.buf.subarray(7, 6 + len)),
        });
        this.buf = this.buf.subarray(6 + len);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<RawMbapClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1', noDelay: true }, () => resolve(new RawMbapClient(s)));
      s.once('error', reject);
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (e) => (e ? reject(e) : resolve())));
  }

  /** Wait for n frames in total (or the socket to close); returns them all. */
  async waitFrames(n: number): Promise<Frame[]> {
    while (this.frames.length < n && !this.closed) await new Promise<void>((r) => this.waiters.push(r));
    return [...this.frames];
  }

  /** bytes received that do not (yet) form a complete frame */
  leftover(): Buffer {
    return this.buf;
  }

  /** resolves once the server has closed the connection */
  async untilClosed(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => this.waiters.push(r));
  }

  close(): void {
    this.socket.destroy();
  }
}

export async function modbusClient(port: number, unitId = 1, timeoutMs = 2000): Promise<ModbusClient> {
  const client = new ModbusRTU();
  await client.connectTCP('127.0.0.1', { port });
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  return client;
}

export function closeClient(client: ModbusClient): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isOpen) {
      resolve();
      return;
    }
    client.close(() => resolve());
  });
}

/** the Modbus exception code a modbus-serial call failed with, or undefined */
export async function exceptionOf(p: Promise<unknown>): Promise<number | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    const code = (e as { modbusCode?: unknown }).modbusCode;
    return typeof code === 'number' ? code : undefined;
  }
}
