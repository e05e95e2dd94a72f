/**
 * The adapter against its simulator over real byte streams, without the gateway's connectors
 * (the lead wires those): simulator -> TCP socket or pseudo-terminal -> lines split on LF ->
 * decode + normalise -> events. The connector-level end to end belongs to the contract suite.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import adapter from '../../../../adapters/rpm-line-protocol/adapter.js';
import type { LineOptions, LineState } from '../../../../adapters/rpm-line-protocol/line-state.js';
import type { CodecContext, EventDraft } from '../../../../src/adapter/types.js';
import { buildEnvelope } from '../../../../src/pipeline/envelope.js';
import { createEventValidator } from '../../../../src/schema/validator.js';
import { startRpmLineSimulator } from '../../../../simulators/rpm-line/rpm-line-simulator.js';
import { lineReader, socatSuite, startPtyPair, tcpLineClient } from '../../simulators/rpm-line/line-client.js';

const T0 = 1_795_428_000_000;
const DEVICE = { id: 'lane-9', siteId: 'XXTST' };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

/** What the gateway would make of these lines (each "received" at its index, 100 ms apart). */
function toDrafts(lines: readonly string[]): { drafts: EventDraft[]; quarantined: string[] } {
  let state: LineState = adapter.initialState();
  const drafts: EventDraft[] = [];
  const quarantined: string[] = [];
  for (const [i, line] of lines.entries()) {
    const ctx: CodecContext<LineOptions> = { device: DEVICE, options: {}, now: T0 + i * 100 };
    const decoded = adapter.decode({ transport: 'tcp-socket', receivedAt: ctx.now, data: Buffer.from(`${line}\r`, 'latin1') }, ctx);
    if (!decoded.ok) {
      quarantined.push(decoded.error.code);
      continue;
    }
    for (const r of decoded.value) {
      const n = adapter.normalise(r, state, ctx);
      if (!n.ok) throw new Error(n.error.message);
      state = n.value.state;
      drafts.push(...n.value.drafts);
    }
  }
  return { drafts, quarantined };
}

function expectDualAlarm(drafts: readonly EventDraft[]): void {
  const result = drafts.find((d) => d.eventType === 'result');
  expect(result).toMatchObject({
    quality: 'good',
    subject: { inspectionId: 'occ-1' },
    outcome: { state: 'alarm', categories: ['gamma', 'neutron'], vendorState: 'GA+NA' },
  });
  expect(result?.findings?.map((f) => f.category)).toEqual(['gamma', 'neutron']);
  for (const f of result?.findings ?? []) expect(f.score?.value).toBeGreaterThan(4);
  expect(result?.measurements).toHaveLength(6);
  const validator = createEventValidator();
  for (const [i, draft] of drafts.entries()) {
    const event = buildEnvelope({ draft, device: DEVICE, adapter, gatewayId: 'gw', eventId: '01890a5d-ac96-774b-bcce-b302099a8057', receivedAt: T0 });
    expect(validator.validate({ ...event, sequence: i + 1 })).toEqual({ ok: true });
  }
}

describe('rpm-line-protocol end to end over TCP', () => {
  it('simulator -> socket -> adapter gives a dual-alarm result', async () => {
    const sim = await startRpmLineSimulator({ mode: 'tcp', port: 0, scenario: 'dual-alarm', realtime: false, startTimeMs: T0 });
    cleanups.push(() => sim.close());
    const client = await tcpLineClient(sim.port as number);
    cleanups.push(() => client.close());
    await client.waitFor((l) => l.length >= 4, 'the greeting');
    sim.step(10_000);
    const lines = await client.waitFor((l) => l.some((x) => x.startsWith('GX,')), 'the end of the first occupancy');
    const { drafts, quarantined } = toDrafts(lines);
    expect(quarantined).toEqual([]);
    expectDualAlarm(drafts);
    expect(drafts.map((d) => d.eventType).slice(0, 3)).toEqual(['status', 'status', 'measurement']);
  });

  it('the malformed scenario\'s broken lines are failures with their codes, and the occupancy still comes out', async () => {
    const sim = await startRpmLineSimulator({ mode: 'tcp', port: 0, scenario: 'malformed', realtime: false, startTimeMs: T0 });
    cleanups.push(() => sim.close());
    const client = await tcpLineClient(sim.port as number);
    cleanups.push(() => client.close());
    await client.waitFor((l) => l.length >= 2, 'the greeting');
    sim.step(30_000);
    const lines = await client.waitFor((l) => l.some((x) => x.startsWith('GX,')), 'a GX');
    const { drafts, quarantined } = toDrafts(lines);
    expect(quarantined.length).toBeGreaterThan(0);
    expect(new Set(quarantined)).toEqual(new Set(['BL_ERR_LINE_FIELDS', 'BL_ERR_LINE_VALUE']));
    expect(drafts.some((d) => d.eventType === 'result')).toBe(true);
  });
});

const pty = socatSuite('rpm-line-protocol end to end over a pseudo-terminal (socat)');
describe.skipIf(pty.skip)(pty.name, () => {
  it('simulator -> pty -> serialport -> adapter gives a dual-alarm result', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-rpm-pty-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const pair = await startPtyPair(dir);
    cleanups.push(() => pair.stop());
    const reader = lineReader();
    const port = new SerialPort({ path: pair.gateway, baudRate: 115_200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    port.on('data', (c: Buffer) => reader.push(c));
    cleanups.push(() => new Promise<void>((resolve) => (port.isOpen ? port.close(() => resolve()) : resolve())));
    const sim = await startRpmLineSimulator({ mode: 'path', path: pair.device, scenario: 'dual-alarm', realtime: false, startTimeMs: T0 });
    cleanups.push(() => sim.close());
    sim.step(10_000);
    const lines = await reader.waitFor((l) => l.some((x) => x.startsWith('GX,')), 'the end of the first occupancy over the pty');
    const { drafts, quarantined } = toDrafts(lines);
    expect(quarantined).toEqual([]);
    expectDualAlarm(drafts);
  });
});
