/**
 * Line-protocol captures made by the rpm-line simulator's device, without I/O: the stored
 * fixtures (test/fixtures/line-protocol/*.log) and the simulator-made golden inputs are
 * regenerated from these definitions and checked against them (line-fixtures.test.ts).
 */
import { SCENARIOS, type ScenarioName } from '../../simulators/rpm/scenarios.js';
import { LINE_END } from '../../simulators/rpm-line/line-encoder.js';
import { RpmLineDevice } from '../../simulators/rpm-line/line-device.js';
import type { StreamFrameFixture } from './stream-fixture.js';

/** 2026-11-23T10:00:00.000Z, the start of every golden case */
export const CAPTURE_START_MS = 1_795_428_000_000;

export interface CapturedLine {
  line: string;
  /** device time the line was written at, epoch ms */
  atMs: number;
}

export interface CaptureDefinition {
  scenario: ScenarioName;
  /** simulated seconds, at most */
  seconds: number;
  seed?: number;
  /** stop after the first line this accepts (e.g. the first GX) */
  until?: (line: string) => boolean;
}

/** The greeting (setup and background) a listener gets at start, then everything the device writes. */
export function captureLines(def: CaptureDefinition): CapturedLine[] {
  const scenario = SCENARIOS[def.scenario];
  const lines: CapturedLine[] = [];
  let done = false;
  const device = new RpmLineDevice({
    scenario,
    seed: def.seed ?? scenario.defaultSeed,
    startTimeMs: CAPTURE_START_MS,
    onLine: (line, atMs) => {
      if (done) return;
      lines.push({ line, atMs });
      if (def.until?.(line) === true) done = true;
    },
  });
  for (const line of device.greetingLines()) lines.push({ line, atMs: device.now() });
  for (let ms = 0; ms < def.seconds * 1000 && !done; ms += 200) device.step(200);
  return lines;
}

/** A capture file: the bytes as the simulator writes them (CRLF after every line). */
export function captureFile(lines: readonly CapturedLine[]): string {
  return lines.map((l) => `${l.line}${LINE_END}`).join('');
}

/** Golden input frames: each line received at the device time it was written. */
export function captureFixtures(lines: readonly CapturedLine[]): StreamFrameFixture[] {
  return lines.map((l) => ({ receivedAt: l.atMs, line: l.line }));
}

/** Stored captures for `borderlink inspect` and tests, by file name under test/fixtures/line-protocol/. */
export const STORED_CAPTURES: Readonly<Record<string, CaptureDefinition>> = {
  'dual-alarm.log': { scenario: 'dual-alarm', seconds: 30 },
  'tamper.log': { scenario: 'tamper', seconds: 35 },
  'background-fault.log': { scenario: 'background', seconds: 130 },
  'malformed.log': { scenario: 'malformed', seconds: 25 },
};

/** Golden inputs made by the simulator, by case name under adapters/rpm-line-protocol/testcases/. */
export const SIMULATED_CASES: Readonly<Record<string, CaptureDefinition>> = {
  'alarm-occupancy': { scenario: 'dual-alarm', seconds: 30, until: (line) => line.startsWith('GX,') },
};
