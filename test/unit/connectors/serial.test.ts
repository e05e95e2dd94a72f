import { EventEmitter } from 'node:events';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamPlan } from '../../../src/adapter/types.js';
import {
  createSerialConnector, type SerialConnectorOptions, type SerialPortLike, type SerialPortSettings,
} from '../../../src/connectors/serial.js';
import type { Connector } from '../../../src/connectors/types.js';
import { isBorderlinkError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';
import { ptyPair, socatAvailable, statusTrail, streamSink, waitUntil, type PtyPair, type StreamRecordingSink } from './stream-fakes.js';

const clock = { now: (): number => Date.now() };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function plan(over: Partial<StreamPlan> = {}): StreamPlan {
  return { kind: 'stream', framing: { kind: 'delimiter', delimiter: '\r\n', maxLength: 64 }, idleTimeoutMs: 0, ...over };
}

function connector(devicePath: string, rec: StreamRecordingSink, over: Partial<SerialConnectorOptions> = {}): Connector {
  const c = createSerialConnector({
    deviceId: 'rpm-serial',
    path: devicePath,
    baudRate: 9600,
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

const tick = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A port that opens at once and emits what the test tells it to. */
class FakePort extends EventEmitter implements SerialPortLike {
  isOpen = false;
  readonly calls: string[] = [];
  constructor(readonly settings: SerialPortSettings, private readonly failOpen: string | null) {
    super();
  }
  open(callback: (err: Error | null) => void): void {
    setImmediate(() => {
      if (this.failOpen !== null) {
        callback(new Error(this.failOpen));
        return;
      }
      this.isOpen = true;
      callback(null);
    });
  }
  close(callback: (err: Error | null) => void): void {
    this.isOpen = false;
    setImmediate(() => {
      this.emit('close', null);
      callback(null);
    });
  }
  pause(): this {
    this.calls.push('pause');
    return this;
  }
  resume(): this {
    this.calls.push('resume');
    return this;
  }
  /** the adapter was pulled out: serialport closes the port with a DisconnectedError */
  unplug(): void {
    this.isOpen = false;
    this.emit('close', new Error('bad file descriptor'));
  }
}

describe('serial connector with an injected port', () => {
  function fakeFactory(failures: string[] = []): { ports: FakePort[]; openPort: (s: SerialPortSettings) => FakePort } {
    const ports: FakePort[] = [];
    return {
      ports,
      openPort: (s) => {
        const p = new FakePort(s, failures.shift() ?? null);
        ports.push(p);
        return p;
      },
    };
  }

  it('opens with the line settings (8N1 by default) and frames what the port emits', async () => {
    const f = fakeFactory();
    const rec = streamSink();
    const c = connector('/dev/ttyFAKE0', rec, { openPort: f.openPort, baudRate: 19200, parity: 'even' });
    await c.start();
    await waitUntil(() => rec.statuses().length === 1, 'online');
    expect(f.ports[0]?.settings).toEqual({ path: '/dev/ttyFAKE0', baudRate: 19200, dataBits: 8, parity: 'even', stopBits: 1 });
    f.ports[0]?.emit('data', Buffer.from('GB,1,2,3,4\r\nGS,'));
    f.ports[0]?.emit('data', Buffer.from('5,6,7,8\r\n'));
    await waitUntil(() => rec.frames().length === 2, 'two frames');
    expect(rec.frames().map((fr) => [fr.transport, fr.data.toString()])).toEqual([['serial', 'GB,1,2,3,4'], ['serial', 'GS,5,6,7,8']]);
    expect(statusTrail(rec.statuses())).toEqual(['online']);
  });

  it('retries a port that cannot be opened, then reopens one that was unplugged', async () => {
    const f = fakeFactory(['No such file or directory, cannot open /dev/ttyFAKE0', 'No such file or directory']);
    const rec = streamSink();
    const c = connector('/dev/ttyFAKE0', rec, { openPort: f.openPort });
    await c.start();
    await waitUntil(() => f.ports.length === 3 && rec.statuses().length === 2, 'third open');
    expect(statusTrail(rec.statuses())).toEqual(['offline:BL_ERR_CONNECT_FAILED', 'online']);
    expect(rec.statuses()[0]?.detail).toBe('open /dev/ttyFAKE0 failed: No such file or directory, cannot open /dev/ttyFAKE0');
    f.ports[2]?.emit('data', Buffer.from('cut-o'));
    f.ports[2]?.unplug();
    await waitUntil(() => f.ports.length === 4 && rec.statuses().length === 4, 'reopened');
    expect(statusTrail(rec.statuses())).toEqual(['offline:BL_ERR_CONNECT_FAILED', 'online', 'offline:BL_ERR_CONNECT_FAILED', 'online']);
    expect(rec.statuses()[2]?.detail).toBe('/dev/ttyFAKE0: bad file descriptor');
    expect(rec.rejects().map((r) => [r.code, r.raw.toString()])).toEqual([['BL_ERR_STREAM_GARBAGE', 'cut-o']]);
  });

  it('pauses the port while the sink is behind, and resumes it', async () => {
    const f = fakeFactory();
    const rec = streamSink();
    rec.close();
    const c = connector('/dev/ttyFAKE0', rec, { openPort: f.openPort, maxQueuedFrames: 4 });
    await c.start();
    await waitUntil(() => rec.statuses().length === 1, 'online');
    f.ports[0]?.emit('data', Buffer.from('a\r\nb\r\nc\r\nd\r\ne\r\nf\r\n'));
    expect(f.ports[0]?.calls).toEqual(['pause']);
    expect(rec.maxInFlight()).toBe(1);
    rec.open();
    await waitUntil(() => rec.frames().length === 6, 'all frames');
    expect(f.ports[0]?.calls).toEqual(['pause', 'resume']);
  });

  it('stop closes the port and does not reopen it', async () => {
    const f = fakeFactory();
    const rec = streamSink();
    const c = connector('/dev/ttyFAKE0', rec, { openPort: f.openPort });
    await c.start();
    await waitUntil(() => f.ports[0]?.isOpen === true, 'open');
    await c.stop();
    expect(f.ports[0]?.isOpen).toBe(false);
    await tick(80);
    expect(f.ports.length).toBe(1);
  });

  it('refuses bad line settings with BL_ERR_CONFIG_INVALID', () => {
    const rec = streamSink();
    const bad: Array<Partial<SerialConnectorOptions>> = [
      { path: '' }, { baudRate: 0 }, { dataBits: 9 as 8 }, { parity: 'sometimes' as 'odd' }, { stopBits: 3 as 2 },
    ];
    for (const over of bad) {
      let thrown: unknown;
      try {
        createSerialConnector({
          deviceId: 'd', path: '/dev/null', baudRate: 9600, plan: plan(), sink: rec.sink, logger: silentLogger(), clock, ...over,
        });
      } catch (e) {
        thrown = e;
      }
      expect(isBorderlinkError(thrown) && thrown.code === 'BL_ERR_CONFIG_INVALID', JSON.stringify(over)).toBe(true);
    }
  });
});

const hasSocat = socatAvailable();
if (!hasSocat && process.env.CI === 'true') {
  throw new Error('socat is required in CI: the serial connector is tested over a real pseudo-terminal pair');
}

describe.skipIf(!hasSocat)(
  hasSocat
    ? 'serial connector over a real pseudo-terminal pair (socat)'
    : 'serial connector over a real pseudo-terminal pair (skipped: socat is not installed)',
  () => {
    let dir = '';
    let pty: PtyPair;
    /** the instrument's end, written with plain fs like a device would */
    let fd: number | null = null;

    function openInstrument(): void {
      fd = openSync(pty.instrument, 'w');
    }
    function closeInstrument(): void {
      if (fd !== null) closeSync(fd);
      fd = null;
    }
    function send(text: string): void {
      if (fd === null) throw new Error('instrument end not open');
      writeSync(fd, Buffer.from(text, 'latin1'));
    }

    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c(); // connectors first, then the "cable"
      closeInstrument();
      await pty.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    async function setUp(): Promise<void> {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bl-serial-'));
      pty = ptyPair(dir);
      await pty.start();
    }

    it('frames lines written to the other end, in pieces', async () => {
      await setUp();
      const rec = streamSink();
      const c = connector(pty.device, rec);
      await c.start();
      await waitUntil(() => statusTrail(rec.statuses()).includes('online'), 'online');
      openInstrument();
      send('GB,000123,000456,000789,001011\r');
      await tick(20);
      send('\nGS,000200,00');
      await tick(20);
      send('0201,000202,000203\r\nTT\r\n');
      await waitUntil(() => rec.frames().length === 3, 'three frames');
      expect(rec.texts()).toEqual(['GB,000123,000456,000789,001011', 'GS,000200,000201,000202,000203', 'TT']);
      expect(rec.frames().every((f) => f.transport === 'serial')).toBe(true);
      expect(rec.rejects()).toEqual([]);
    });

    it('quarantines an over-long line and carries on', async () => {
      await setUp();
      const rec = streamSink();
      const c = connector(pty.device, rec, { plan: plan({ framing: { kind: 'delimiter', delimiter: '\r\n', maxLength: 16 } }) });
      await c.start();
      await waitUntil(() => statusTrail(rec.statuses()).includes('online'), 'online');
      openInstrument();
      send(`${'#'.repeat(40)}\r\nSP,01.2\r\n`);
      await waitUntil(() => rec.frames().length === 1, 'the good line');
      expect(rec.texts()).toEqual(['SP,01.2']);
      // the line's three framer records (16 bytes at most each) are one quarantine row
      expect(rec.rejects().map((r) => r.code)).toEqual(['BL_ERR_STREAM_GARBAGE']);
      expect(Buffer.concat(rec.rejects().map((r) => r.raw)).toString()).toBe('#'.repeat(40));
    });

    it('a silent line is degraded, without reopening the port, and online again at the next byte', async () => {
      await setUp();
      const rec = streamSink();
      const c = connector(pty.device, rec, { plan: plan({ idleTimeoutMs: 400 }) });
      await c.start();
      await waitUntil(() => statusTrail(rec.statuses()).includes('online'), 'online');
      openInstrument();
      send('GB,1,2,3,4\r\n');
      await waitUntil(() => statusTrail(rec.statuses()).includes('degraded:BL_ERR_DEVICE_UNRESPONSIVE'), 'degraded');
      send('GB,5,6,7,8\r\n');
      await waitUntil(() => rec.frames().length === 2, 'second frame');
      expect(statusTrail(rec.statuses())).toEqual(['online', 'degraded:BL_ERR_DEVICE_UNRESPONSIVE', 'online']);
    });

    it('an unplugged adapter goes offline, its cut-off line is quarantined, and it comes back when replugged', async () => {
      await setUp();
      const rec = streamSink();
      const c = connector(pty.device, rec);
      await c.start();
      await waitUntil(() => statusTrail(rec.statuses()).includes('online'), 'online');
      openInstrument();
      send('before\r\ncut-o');
      await waitUntil(() => rec.frames().length === 1, 'first frame');

      closeInstrument();
      await pty.stop(); // unplug: the pty pair and its links are gone
      await waitUntil(() => statusTrail(rec.statuses()).at(-1) === 'offline:BL_ERR_CONNECT_FAILED', 'offline');
      await waitUntil(() => rec.rejects().length === 1, 'cut-off line quarantined');
      expect(rec.rejects()[0]).toMatchObject({ code: 'BL_ERR_STREAM_GARBAGE', raw: Buffer.from('cut-o') });
      await tick(150); // reopen attempts fail while unplugged: reported once

      await pty.start(); // replug: same link names, new pseudo-terminals
      await waitUntil(() => statusTrail(rec.statuses()).at(-1) === 'online', 'online again');
      openInstrument();
      send('after\r\n');
      await waitUntil(() => rec.frames().length === 2, 'frame after replug');
      expect(rec.texts()).toEqual(['before', 'after']);
      expect(statusTrail(rec.statuses())).toEqual(['online', 'offline:BL_ERR_CONNECT_FAILED', 'online']);
    });

    it('a device path that does not exist yet is retried until it appears', async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'bl-serial-'));
      pty = ptyPair(dir);
      const rec = streamSink();
      const c = connector(pty.device, rec);
      await c.start();
      await waitUntil(() => rec.statuses().length === 1, 'a status');
      expect(rec.statuses()[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED' });
      await pty.start();
      await waitUntil(() => statusTrail(rec.statuses()).at(-1) === 'online', 'online');
      openInstrument();
      send('hello\r\n');
      await waitUntil(() => rec.frames().length === 1, 'a frame');
    });
  },
);
