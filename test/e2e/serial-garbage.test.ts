/**
 * A serial line that floods garbage (issue 6, item 5): the instrument end of a socat pty pair is
 * written as fast as the pty takes it with seeded random bytes (the whole byte range, so STX and
 * ETX turn up in the noise too), with a valid STX-framed message after every garbage block. The
 * serial connector must resynchronise and deliver every valid message, keep every byte (frames +
 * quarantined bytes = bytes written), and quarantine the noise in a bounded number of rows (the
 * pump coalesces runs of garbage; without that a length-prefix framer makes one row per
 * maxLength bytes of noise).
 *
 * Long variant: BL_GARBAGE_MIB (default 4).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamFrame, StreamPlan } from '../../src/adapter/types.js';
import { createSerialConnector } from '../../src/connectors/serial.js';
import type { LinkStatus, RejectedInput, Sink } from '../../src/connectors/types.js';
import { silentLogger } from '../../src/log.js';
import { socatPtys, socatSuite, type SocatPtys } from '../helpers/socat.js';
import { waitUntil } from '../unit/connectors/modbus-fakes.js';

const GARBAGE_MIB = Number(process.env.BL_GARBAGE_MIB ?? 4);
const BLOCK = 16 * 1024;
const STX = 0x02;
const ETX = 0x03;

const plan: StreamPlan = {
  kind: 'stream',
  framing: { kind: 'length-prefix', lengthBytes: 2, offset: 1, adjust: 1, maxLength: 256, start: STX, end: ETX },
  idleTimeoutMs: 0,
};

/** xorshift32: the same noise on every run, so the framer's outputs are the same on every run */
function noise(seed: number): (out: Buffer) => void {
  let x = seed >>> 0 || 1;
  return (out) => {
    for (let i = 0; i < out.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
  };
}

function message(k: number): Buffer {
  const payload = Buffer.from(`OK:${k}`, 'latin1');
  const head = Buffer.from([STX, 0, 0]);
  head.writeUInt16BE(payload.length, 1);
  return Buffer.concat([head, payload, Buffer.from([ETX])]);
}

/** Stores like an outbox commit would: one at a time, a millisecond each. */
function slowSink(): { sink: Sink<StreamFrame>; frames: Buffer[]; rejects: RejectedInput[]; statuses: LinkStatus[] } {
  const frames: Buffer[] = [];
  const rejects: RejectedInput[] = [];
  const statuses: LinkStatus[] = [];
  const commit = (): Promise<void> => new Promise((r) => setTimeout(r, 1));
  return {
    frames,
    rejects,
    statuses,
    sink: {
      async push(frame) {
        await commit();
        frames.push(frame.data);
        return { status: 'accepted', eventIds: [] };
      },
      async reject(input) {
        await commit();
        rejects.push(input);
      },
      status: (s) => statuses.push(s),
    },
  };
}

const suite = socatSuite('serial garbage flood over a socat pty pair');

describe.skipIf(suite.skip)(suite.name, () => {
  let dir = '';
  let pty: SocatPtys | null = null;
  let fh: FileHandle | null = null;
  const cleanups: Array<() => Promise<void>> = [];

  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await fh?.close();
    fh = null;
    await pty?.stop();
    pty = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${GARBAGE_MIB} MiB of noise at full speed: every valid message decodes, no byte is lost, quarantine rows stay few`, async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bl-garbage-'));
    pty = socatPtys(dir, ['device', 'instrument']);
    await pty.start();
    const rec = slowSink();
    const c = createSerialConnector({
      deviceId: 'noisy', path: pty.a, baudRate: 115200, plan, sink: rec.sink, logger: silentLogger(), clock: { now: () => Date.now() },
    });
    cleanups.push(() => c.stop());
    await c.start();
    await waitUntil(() => rec.statuses.some((s) => s.state === 'online'), 'port open');

    fh = await open(pty.b, 'w');
    const fill = noise(0x5eed);
    const blocks = Math.round((GARBAGE_MIB * 2 ** 20) / BLOCK);
    let written = 0;
    let garbageBytes = 0;
    const block = Buffer.alloc(BLOCK);
    for (let k = 0; k < blocks; k++) {
      fill(block);
      const m = message(k);
      await fh.write(block);
      await fh.write(m);
      written += block.length + m.length;
      garbageBytes += block.length;
    }

    const received = (): number =>
      rec.frames.reduce((a, f) => a + f.length, 0) + rec.rejects.reduce((a, r) => a + r.raw.length, 0);
    // the last message ends the stream; any tail the framer holds would only come out at close
    await waitUntil(() => received() >= written - 256 && rec.frames.some((f) => f.toString('latin1').includes(`OK:${blocks - 1}`)),
      'every byte through the framer', 45_000);

    const texts = rec.frames.map((f) => f.subarray(3, f.length - 1).toString('latin1'));
    const valid = texts.filter((t) => /^OK:\d+$/.test(t));
    console.log(`garbage flood: ${written} bytes written, ${rec.frames.length} frames (${valid.length} valid), ` +
      `${rec.rejects.length} quarantine rows (${(garbageBytes / Math.max(1, rec.rejects.length) / 1024).toFixed(1)} KiB of noise per row)`);

    expect(valid).toEqual(Array.from({ length: blocks }, (_, k) => `OK:${k}`));
    expect(received()).toBe(written);
    expect(rec.rejects.every((r) => r.code === 'BL_ERR_STREAM_GARBAGE')).toBe(true);
    // not one row per byte, nor per maxLength (256 B) of noise: rows are coalesced runs
    expect(rec.rejects.length).toBeLessThan(garbageBytes / 2048);
    expect(rec.statuses.map((s) => s.state)).toEqual(['online']);
  }, 60_000);
});
