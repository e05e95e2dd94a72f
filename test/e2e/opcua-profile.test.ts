/**
 * OPC UA profiles end to end: the OPC UA X-ray scanner simulator (in-process, SignAndEncrypt, its
 * certificate pinned as the daemon pins a built-in simulator's) read by two devices through the
 * real OPC UA connector, pipeline (schema validation included) and SQLite outbox, with no code:
 *
 *   - adapters/xray-opcua-profile (the LastScan variables): status and fault events from the
 *     scanner's state, one result per scan, categories and findings from the threat objects;
 *   - test/fixtures/opcua-profile/xray-sim-events.profile.yaml (ScanCompletedEventType events).
 *
 * Then the simulator restarts on the same port: the connector comes back by itself, its snapshot
 * re-read emits nothing again, and the next scan is one more result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileProfile } from '../../src/adapter/declarative/compile-profile.js';
import { loadProfile } from '../../src/adapter/declarative/load-profile.js';
import { loadAdapters } from '../../src/adapter/registry.js';
import type { AnyAdapter } from '../../src/adapter/types.js';
import { silentLogger } from '../../src/log.js';
import { packageRoot } from '../../src/package-root.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startXrayOpcuaSimulator, type XrayOpcuaSimulator } from '../../simulators/opcua-scanner/xray-opcua-simulator.js';
import { isLinkStatus, startHarness, type Harness } from '../contract/contract-harness.js';

const ROOT = packageRoot();
const WAIT_MS = 30_000;
const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-opcua-profile-e2e-'));
const stateDir = path.join(dir, 'sim');
let sim: XrayOpcuaSimulator | undefined;
const harnesses: Harness[] = [];

afterAll(async () => {
  for (const h of harnesses) await h.stop();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

const own = (h: Harness): DetectionEvent[] => h.events().filter((e) => !isLinkStatus(e));
const results = (h: Harness): DetectionEvent[] => own(h).filter((e) => e.eventType === 'result');
const linkOnline = (h: Harness): number => h.events().filter((e) => isLinkStatus(e) && e.status?.state === 'online').length;

describe('OPC UA profiles against the OPC UA scanner simulator', () => {
  let variables: AnyAdapter;
  let events: AnyAdapter;
  beforeAll(async () => {
    variables = (await loadAdapters(path.join(ROOT, 'adapters'))).get('xray-opcua-profile') as AnyAdapter;
    events = compileProfile(await loadProfile(path.join(ROOT, 'test', 'fixtures', 'opcua-profile', 'xray-sim-events.profile.yaml')));
  });

  it('makes status, fault and result events with no code, and survives a simulator restart without repeating one', async () => {
    expect(variables).toBeDefined();
    sim = await startXrayOpcuaSimulator({ stateDir, port: 0, scenario: 'idle', logger: silentLogger() });
    const port = sim.port;
    const address = { opcua: { endpointUrl: sim.endpointUrl, serverCertificate: sim.certificate } };
    const v = await startHarness({ adapter: variables, address, deviceId: 'xray-variables' });
    harnesses.push(v);
    const e = await startHarness({ adapter: events, address, deviceId: 'xray-events' });
    harnesses.push(e);

    // the first snapshot: the scanner is ready (a status of the profile's, beside the link's own)
    for (const h of [v, e]) {
      await h.waitFor(() => linkOnline(h) > 0, 'link online', WAIT_MS);
      await h.waitFor(() => own(h).some((x) => x.eventType === 'status' && x.status?.state === 'online'), 'scanner ready', WAIT_MS);
    }

    // two scans back to back: both arrive, each once, in order
    sim.scan('clear-bag');
    sim.scan('alarm-two-threats');
    for (const h of [v, e]) await h.waitFor(() => results(h).length >= 2, 'two results', WAIT_MS);
    const [clear, alarm] = results(v);
    expect(clear?.subject?.inspectionId).toBe('XR-00000001');
    expect(clear?.outcome).toEqual({ state: 'clear', decisionBy: 'machine', vendorState: 'CLEAR' });
    expect(alarm?.subject?.inspectionId).toBe('XR-00000002');
    expect(alarm?.outcome?.state).toBe('alarm');
    expect(alarm?.outcome?.categories).toEqual(['explosive', 'contraband']);
    expect(alarm?.findings?.map((f) => [f.kind, f.category, f.score?.value])).toEqual([['threat-object', 'explosive', 0.91], ['threat-object', 'contraband', 0.64]]);
    expect(alarm?.source.adapter).toEqual({ id: 'xray-opcua-profile', version: '1.0.0' });
    expect(alarm?.source.algorithm).toEqual({ name: 'SIM-ATR', version: '2.3' });
    expect(alarm?.raw?.nativeIds).toEqual({ scanSequence: '2' });
    expect(results(e).map((r) => [r.subject?.inspectionId, r.outcome?.state, r.raw?.format])).toEqual([
      ['XR-00000001', 'clear', 'opcua-event'],
      ['XR-00000002', 'alarm', 'opcua-event'],
    ]);

    // a fault raised and cleared
    sim.setState('fault');
    await v.waitFor(() => own(v).some((x) => x.eventType === 'fault' && x.fault?.active === true), 'fault raised', WAIT_MS);
    expect(own(v).some((x) => x.eventType === 'status' && x.status?.state === 'degraded')).toBe(true);
    sim.setState('ready');
    await v.waitFor(() => own(v).some((x) => x.eventType === 'fault' && x.fault?.active === false), 'fault cleared', WAIT_MS);

    // the simulator restarts on the same port (same state folder: same certificate, same ScanSequence)
    const onlineBefore = linkOnline(v);
    await sim.close();
    sim = await startXrayOpcuaSimulator({ stateDir, port, scenario: 'idle', logger: silentLogger() });
    await v.waitFor(() => linkOnline(v) > onlineBefore, 'link online again', WAIT_MS);
    sim.scan('aborted');
    await v.waitFor(() => results(v).length >= 3, 'the scan after the restart', WAIT_MS);
    expect(results(v).map((r) => [r.subject?.inspectionId, r.outcome?.state])).toEqual([
      ['XR-00000001', 'clear'],
      ['XR-00000002', 'alarm'],
      ['XR-00000003', 'indeterminate'],
    ]);
    for (const h of [v, e]) expect(h.quarantine()).toEqual([]);
    // sequences strictly increase per device
    const seqs = v.events().map((x) => x.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  }, 120_000);
});
