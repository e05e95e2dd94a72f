/**
 * The X-ray OPC UA simulator's pure parts (scenarios, memory across restarts) and its command line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  iso6346CheckDigit, makeScan, operatorDecisionFor, scenarioFor, SCAN_SCENARIOS,
} from '../../../simulators/opcua-scanner/scenarios.js';
import { loadMemory, saveMemory, STATE_FILE } from '../../../simulators/opcua-scanner/state-store.js';
import { runSimulatorCommand } from '../../../simulators/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-xray-sim-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('X-ray scan scenarios', () => {
  it('cycle runs the four scenarios in turn by ScanSequence', () => {
    expect([1, 2, 3, 4, 5].map((s) => scenarioFor('cycle', s))).toEqual([...SCAN_SCENARIOS, 'clear-bag']);
    expect(scenarioFor('aborted', 9)).toBe('aborted');
  });

  it('each scenario has the content its name promises, deterministically', () => {
    const t = Date.UTC(2026, 0, 2, 3, 4, 5);
    expect(makeScan('alarm-two-threats', 12, t)).toEqual(makeScan('alarm-two-threats', 12, t));
    const clear = makeScan('clear-bag', 1, t);
    expect(clear).toMatchObject({ alarmDecision: 'CLEAR', abortFlag: false, threatObjects: [], conveyanceType: 'bag', scanId: 'XR-00000001', scanSequence: 1 });
    const alarm = makeScan('alarm-two-threats', 2, t);
    expect(alarm.alarmDecision).toBe('ALARM');
    expect(alarm.threatObjects.map((o) => [o.category, o.assessment])).toEqual([['EXPLOSIVE', 'HIGH_THREAT'], ['CONTRABAND', 'THREAT']]);
    for (const o of alarm.threatObjects) {
      expect(o.probability).toBeGreaterThanOrEqual(0);
      expect(o.probability).toBeLessThanOrEqual(1);
      expect(o.base).toHaveLength(2);
      expect(o.extent).toHaveLength(2);
    }
    // container numbers carry a valid ISO 6346 check digit
    const id = alarm.conveyanceId;
    expect(id).toMatch(/^[A-Z]{3}U\d{7}$/);
    expect(Number(id.slice(10))).toBe(iso6346CheckDigit(id.slice(0, 10)));
    expect(iso6346CheckDigit('CSQU305438')).toBe(3); // the standard's worked example
    const aborted = makeScan('aborted', 3, t);
    expect(aborted).toMatchObject({ abortFlag: true, alarmDecision: 'UNKNOWN' });
    expect(aborted.abortReason.length).toBeGreaterThan(0);
    const override = makeScan('operator-override', 4, t);
    expect(override.alarmDecision).toBe('ALARM');
    expect(operatorDecisionFor(override, 1, t + 200)).toEqual({ scanId: override.scanId, decision: 'CLEAR', operatorId: 'OP-0042', time: t + 200, sequence: 1 });
    expect(operatorDecisionFor(alarm, 1, t)).toBeUndefined();
  });
});

describe('scanner memory', () => {
  it('survives a restart and starts from zero without a file', () => {
    const d = path.join(dir, 'mem');
    expect(loadMemory(d)).toEqual({ scanSequence: 0, operatorSequence: 0, lastScan: null, lastDecision: null });
    const scan = makeScan('clear-bag', 41, 1_000);
    saveMemory(d, { scanSequence: 41, operatorSequence: 3, lastScan: scan, lastDecision: null });
    expect(loadMemory(d)).toEqual({ scanSequence: 41, operatorSequence: 3, lastScan: scan, lastDecision: null });
    writeFileSync(path.join(d, STATE_FILE), 'not json');
    expect(loadMemory(d).scanSequence).toBe(0);
  });
});

describe('borderlink simulate xray-opcua', () => {
  const io = (): { out: string[]; err: string[]; io: Parameters<typeof runSimulatorCommand>[1] } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: { write: (s: string) => out.push(s) }, stderr: { write: (s: string) => err.push(s) } } };
  };

  it('prints its usage, and refuses a missing state folder or an unknown scenario', async () => {
    const help = io();
    expect(await runSimulatorCommand(['xray-opcua', '--help'], help.io)).toBe(0);
    expect(help.out.join('')).toContain('--state-dir DIR');
    const noDir = io();
    expect(await runSimulatorCommand(['xray-opcua'], noDir.io)).toBe(2);
    expect(noDir.err.join('')).toContain('--state-dir DIR is required');
    const bad = io();
    expect(await runSimulatorCommand(['xray-opcua', '--state-dir', dir, '--scenario', 'nope'], bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('valid scenarios: cycle, idle, clear-bag');
    const user = io();
    expect(await runSimulatorCommand(['xray-opcua', '--state-dir', dir, '--user', 'nopassword'], user.io)).toBe(2);
    expect(user.err.join('')).toContain('--user must be NAME:PASSWORD');
  });
});
