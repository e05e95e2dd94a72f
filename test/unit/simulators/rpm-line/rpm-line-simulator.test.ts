import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_BUFFERED_BYTES } from '../../../../simulators/rpm-line/line-outputs.js';
import { startRpmLineSimulator, type RpmLineSimulator } from '../../../../simulators/rpm-line/rpm-line-simulator.js';
import { isBorderlinkError } from '../../../../src/errors.js';
import { socatSuite, startPtyPair, tcpLineClient } from './line-client.js';

const T0 = 1_795_428_000_000;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

async function tcpSim(scenario = 'dual-alarm', extra: Partial<Parameters<typeof startRpmLineSimulator>[0]> = {}): Promise<RpmLineSimulator> {
  const sim = await startRpmLineSimulator({ mode: 'tcp', port: 0, scenario, realtime: false, startTimeMs: T0, ...extra });
  cleanups.push(() => sim.close());
  return sim;
}

describe('rpm-line simulator over TCP', () => {
  it('greets every client with setup and background, then streams the same lines to all of them', async () => {
    const sim = await tcpSim();
    expect(sim.port).toBeGreaterThan(0);
    expect(sim).toMatchObject({ mode: 'tcp', host: '127.0.0.1', scenario: 'dual-alarm', seed: 1006 });
    const a = await tcpLineClient(sim.port as number);
    const b = await tcpLineClient(sim.port as number);
    cleanups.push(() => a.close(), () => b.close());
    for (const c of [a, b]) await c.waitFor((l) => l.length >= 4, 'the greeting');
    expect(a.lines().map((l) => l.slice(0, 2))).toEqual(['SG', 'SN', 'NB', 'GB']);
    expect(sim.listeners()).toBe(2);
    sim.step(10_000);
    const want = (l: string[]): boolean => l.some((x) => x.startsWith('GX,'));
    const [la, lb] = await Promise.all([a.waitFor(want, 'a GX'), b.waitFor(want, 'a GX')]);
    expect(la).toEqual(lb);
    expect(la.some((l) => l.startsWith('GA,'))).toBe(true);
    expect(la.some((l) => l.startsWith('NA,'))).toBe(true);
    // CRLF after every line, nothing else
    const raw = a.bytes().toString('latin1');
    expect(raw.endsWith('\r\n')).toBe(true);
    expect(raw.split('\r\n').slice(0, -1).every((l) => /^[A-Z]{2}(,[0-9.]+)*$/.test(l))).toBe(true);
  });

  it('a client that connects later gets its own greeting and only what is written from then on', async () => {
    const sim = await tcpSim('idle');
    sim.step(20_000);
    const c = await tcpLineClient(sim.port as number);
    cleanups.push(() => c.close());
    await c.waitFor((l) => l.length >= 4, 'the greeting');
    sim.step(5_000);
    const lines = await c.waitFor((l) => l.length >= 6, 'the next background');
    expect(lines.map((l) => l.slice(0, 2))).toEqual(['SG', 'SN', 'NB', 'GB', 'NB', 'GB']);
  });

  it('dropConnections is an injected disconnect; the listener stays up', async () => {
    const sim = await tcpSim('idle');
    const c = await tcpLineClient(sim.port as number);
    await c.waitFor((l) => l.length >= 4, 'the greeting');
    sim.dropConnections();
    await c.closed;
    const again = await tcpLineClient(sim.port as number);
    cleanups.push(() => again.close());
    await again.waitFor((l) => l.length >= 4, 'a new greeting');
  });

  it('realtime: a timer keeps the device in step with the clock it is given', async () => {
    let now = T0;
    const sim = await tcpSim('idle', { realtime: true, clock: { now: () => now } });
    const c = await tcpLineClient(sim.port as number);
    cleanups.push(() => c.close());
    await c.waitFor((l) => l.length >= 4, 'the greeting');
    now += 5_000;
    await c.waitFor((l) => l.length >= 6, 'a background 5 s later');
    expect(sim.now()).toBe(T0 + 5_000);
  });

  it('refuses an unknown scenario and a path mode without a path', async () => {
    const e1 = await startRpmLineSimulator({ mode: 'tcp', scenario: 'nope' }).catch((e: unknown) => e);
    expect(isBorderlinkError(e1) && e1.code).toBe('BL_ERR_USAGE');
    const e2 = await startRpmLineSimulator({ mode: 'path' }).catch((e: unknown) => e);
    expect(isBorderlinkError(e2) && e2.code).toBe('BL_ERR_USAGE');
  });
});

describe('rpm-line simulator into a path', () => {
  it('appends CRLF lines to a file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-rpm-line-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'capture.log');
    const seen: string[] = [];
    const sim = await startRpmLineSimulator({ mode: 'path', path: file, scenario: 'tamper', realtime: false, startTimeMs: T0, onLine: (l) => seen.push(l) });
    expect(sim).toMatchObject({ mode: 'path', path: file });
    expect(sim.port).toBeUndefined();
    sim.step(15_000);
    await sim.close();
    const text = readFileSync(file, 'latin1');
    expect(text).toBe(seen.map((l) => `${l}\r\n`).join(''));
    expect(seen.slice(0, 2).map((l) => l.slice(0, 2))).toEqual(['SG', 'SN']);
    expect(seen).toContain('TT');
    expect(seen).toContain('TC');
  });

  it('a path that cannot be opened is BL_ERR_SIMULATOR', async () => {
    const e = await startRpmLineSimulator({ mode: 'path', path: path.join(os.tmpdir(), 'no-such-dir-bl', 'x', 'y.log'), realtime: false }).catch((x: unknown) => x);
    expect(isBorderlinkError(e) && e.code).toBe('BL_ERR_SIMULATOR');
  });
});

const pty = socatSuite('rpm-line simulator into a pseudo-terminal (socat)');
describe.skipIf(pty.skip)(pty.name, () => {
  it('never blocks on a pseudo-terminal nobody reads: lines are dropped, close() returns', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-rpm-pty-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = await startPtyPair(dir);
    cleanups.push(() => pair.stop());
    let written = 0;
    const sim = await startRpmLineSimulator({ mode: 'path', path: pair.device, scenario: 'dual-alarm', realtime: false, startTimeMs: T0, onLine: (l) => (written += l.length + 2) });
    sim.step(60 * 60_000);
    // far more than a pseudo-terminal buffers, and more than the simulator queues for a slow reader
    expect(written).toBeGreaterThan(4 * MAX_BUFFERED_BYTES);
    await sim.close();
  });
});
