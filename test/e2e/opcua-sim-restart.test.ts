/**
 * The OPC UA connector against the X-ray simulator running as its own process
 * (`borderlink simulate xray-opcua`, from dist/), killed with SIGKILL mid-stream and restarted on
 * the same port with the same state folder:
 *
 *   1. scans keep running through the restart: the connector comes back by itself, its snapshot
 *      shows the latest scan of the gap, and from there on every ScanSequence arrives, in order
 *      (the scans between the restart and the new subscription are gone: a server keeps no
 *      history for a client that was away, only the latest value);
 *   2. the restarted simulator holds its scans (--paused) until the connector is back, then
 *      resumes them (SIGUSR2): every scan after the restart arrives, contiguous from the
 *      ScanSequence the killed process had persisted.
 *
 * The connector trusts the simulator on first use; the restarted simulator keeps its
 * certificate (same PKI folder), so the pin holds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createOpcUaConnector } from '../../src/connectors/opcua.js';
import type { Connector } from '../../src/connectors/types.js';
import { MAIN, ROOT } from '../helpers/daemon.js';
import { opcuaSettings, recordingOpcUaSink, scanSequences, waitUntil, xrayPlan, type RecordingOpcUaSink } from '../helpers/opcua.js';

const logger = pino({ level: process.env.BL_TEST_LOG ?? 'silent' }, pino.destination(2));
const USER = { username: 'screener', password: 'correct horse battery' };
const root = mkdtempSync(path.join(os.tmpdir(), 'bl-opcua-e2e-'));
const stateDir = path.join(root, 'sim');
const children = new Set<ChildProcess>();
let connector: Connector | undefined;

afterAll(async () => {
  await connector?.stop();
  for (const c of children) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface Ready {
  port: number;
  endpointUrl: string;
  scanSequence: number;
}

/** Starts the simulator as a child process; resolves with its ready line. */
function startSim(port: number, extra: string[] = []): Promise<{ child: ChildProcess; ready: Ready; exited: Promise<void> }> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: the build did not run`);
  const child = spawn(process.execPath, [MAIN, 'simulate', 'xray-opcua', '--state-dir', stateDir, '--port', String(port), '--scenario', 'cycle',
    '--interval-ms', '150', '--user', `${USER.username}:${USER.password}`, '--log-level', 'warn', ...extra], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => {
    children.delete(child);
    resolve();
  }));
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`simulator not ready within 30 s; stderr: ${err.slice(0, 2000)}`)), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line === undefined) return;
      clearTimeout(timer);
      resolve({ child, ready: JSON.parse(line) as Ready, exited });
    });
    void exited.then(() => reject(new Error(`simulator exited before it was ready; stderr: ${err.slice(0, 2000)}`)));
  });
}

function onlineCount(rec: RecordingOpcUaSink): number {
  return rec.statuses.filter((s) => s.state === 'online').length;
}

/** Every integer in [from, to] exactly once, in order. */
function expectContiguous(seqs: readonly number[], from: number): void {
  expect(seqs.length).toBeGreaterThan(0);
  expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => from + i));
}

describe('OPC UA simulator as a process, killed and restarted', () => {
  it('the connector reconnects by itself after SIGKILL and receives every scan after the restart', async () => {
    const first = await startSim(0);
    const port = first.ready.port;
    const rec = recordingOpcUaSink();
    connector = createOpcUaConnector({
      deviceId: 'xray-e2e',
      endpointUrl: first.ready.endpointUrl,
      settings: opcuaSettings(path.join(root, 'pki'), { trustUnknownServer: true, identity: { type: 'username', ...USER } }),
      plan: xrayPlan(),
      sink: rec.sink,
      logger,
      clock: { now: () => Date.now() },
      backoff: { baseMs: 200, capMs: 1_000 },
    });
    await connector.start();
    await waitUntil(() => scanSequences(rec.frames).length >= 3, 30_000, 'three scans from the first process');
    expectContiguous(scanSequences(rec.frames), scanSequences(rec.frames)[0] as number);

    // 1. SIGKILL mid-stream, restart with scans running
    first.child.kill('SIGKILL');
    await first.exited;
    await waitUntil(() => rec.lastStatus()?.state === 'offline', 10_000, 'offline after SIGKILL');
    const framesAtKill = rec.frames.length;
    const lastBeforeKill = Math.max(...scanSequences(rec.frames));
    const onlineBefore = onlineCount(rec);
    const second = await startSim(port);
    const readyAt = Date.now();
    expect(second.ready.scanSequence).toBeGreaterThanOrEqual(lastBeforeKill); // persisted across the kill
    await waitUntil(() => onlineCount(rec) > onlineBefore, 30_000, 'online after the restart');
    const reconnectMs = Date.now() - readyAt;
    const snapshot = rec.frames.slice(framesAtKill).find((f) => f.source === 'data-change');
    const latestInGap = snapshot?.values.scanSequence as number;
    expect(latestInGap).toBeGreaterThanOrEqual(second.ready.scanSequence);
    await waitUntil(() => scanSequences(rec.frames.slice(framesAtKill)).filter((s) => s > latestInGap).length >= 5, 30_000, 'five scans after the reconnection');
    expectContiguous(scanSequences(rec.frames.slice(framesAtKill)).filter((s) => s > latestInGap), latestInGap + 1);

    // 2. SIGKILL again; the restarted simulator holds its scans until the connector is back
    second.child.kill('SIGKILL');
    await second.exited;
    await waitUntil(() => rec.lastStatus()?.state === 'offline', 10_000, 'offline after the second SIGKILL');
    const framesAtKill2 = rec.frames.length;
    const onlineBefore2 = onlineCount(rec);
    const third = await startSim(port, ['--paused']);
    const persisted = third.ready.scanSequence;
    await waitUntil(() => onlineCount(rec) > onlineBefore2, 30_000, 'online after the second restart');
    const snapshot2 = rec.frames.slice(framesAtKill2).find((f) => f.source === 'data-change');
    expect(snapshot2?.values.scanSequence).toBe(persisted);
    third.child.kill('SIGUSR2'); // resume scanning
    await waitUntil(() => scanSequences(rec.frames.slice(framesAtKill2)).length >= 6, 30_000, 'six scans after the second restart');
    expectContiguous(scanSequences(rec.frames.slice(framesAtKill2)), persisted + 1);
    // the subscription is the new one: data changes flow too
    expect(rec.frames.slice(framesAtKill2).filter((f) => f.source === 'data-change' && f.changed.includes('scanSequence')).length).toBeGreaterThan(1);

    await connector.stop();
    connector = undefined;
    third.child.kill('SIGTERM');
    await third.exited;
    process.stderr.write(`[opcua e2e] after SIGKILL + restart: online again ${reconnectMs} ms after the simulator was ready\n`);
  }, 150_000);
});
