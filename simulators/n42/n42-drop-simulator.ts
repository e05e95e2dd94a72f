/**
 * A portal that exports one ANSI N42.42-2012 document per occupancy into a folder, as many
 * vendors' consoles do (write elsewhere, then rename into the drop folder). The occupancies come
 * from the same physics as the other RPM simulators; the document follows the 2012 structure
 * (RadInstrumentInformation, RadDetectorInformation, a RadMeasurementGroup with occupied gross
 * counts per panel, background, RadAlarm, DerivedData sums).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../src/log.js';
import { BorderlinkError } from '../../src/errors.js';
import { RpmPhysics } from '../rpm/physics.js';
import { SAMPLE_PERIOD_MS, type OccupancySummary, type RpmDeviceState } from '../rpm/rpm-model.js';
import { ScenarioPlayer } from '../rpm/scenario-player.js';
import { SCENARIOS, isScenarioName } from '../rpm/scenarios.js';

export interface N42DropSimulatorOptions {
  /** the watched folder's incoming/ directory (created if missing) */
  dir: string;
  scenario?: string;
  seed?: number;
  realtime?: boolean;
  startTimeMs?: number;
  logger?: Logger;
}

export interface N42DropSimulator {
  readonly dir: string;
  step(ms: number): void;
  documentsWritten(): number;
  close(): Promise<void>;
}

const GAMMA = ['G1', 'G2', 'G3', 'G4'];
const NEUTRON = ['N1', 'N2'];

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function duration(ms: number): string {
  return `PT${(ms / 1000).toFixed(1)}S`;
}

/** One 2012 document for one occupancy, from the device's own view of it. */
export function occupancyDocument(s: OccupancySummary, state: RpmDeviceState, serial: string): string {
  const alarms: string[] = [];
  if (s.gammaAlarm) alarms.push(`<RadAlarm><RadAlarmDateTime>${iso(s.endTimeMs)}</RadAlarmDateTime><RadAlarmCategoryCode>Gamma</RadAlarmCategoryCode><RadAlarmDescription>gamma gross counts above ${state.nSigma.toFixed(1)} sigma (max ${s.maxGammaSigma.toFixed(2)})</RadAlarmDescription></RadAlarm>`);
  if (s.neutronAlarm) alarms.push(`<RadAlarm><RadAlarmDateTime>${iso(s.endTimeMs)}</RadAlarmDateTime><RadAlarmCategoryCode>Neutron</RadAlarmCategoryCode><RadAlarmDescription>neutron gross counts above ${state.nSigma.toFixed(1)} sigma (max ${s.maxNeutronSigma.toFixed(2)})</RadAlarmDescription></RadAlarm>`);
  const realS = s.durationMs / 1000;
  const occupied = [
    ...GAMMA.map((d, i) => `<GrossCounts radDetectorInformationReference="det-${d}"><LiveTimeDuration>${duration(s.durationMs)}</LiveTimeDuration><CountData>${Math.round((s.maxGammaCps[i] ?? 0) * realS)}</CountData></GrossCounts>`),
    ...NEUTRON.map((d, i) => `<GrossCounts radDetectorInformationReference="det-${d}"><LiveTimeDuration>${duration(s.durationMs)}</LiveTimeDuration><CountData>${Math.round((s.maxNeutronCps[i] ?? 0) * realS)}</CountData></GrossCounts>`),
  ].join('\n      ');
  const background = [
    ...GAMMA.map((d, i) => `<GrossCounts radDetectorInformationReference="det-${d}"><LiveTimeDuration>PT10.0S</LiveTimeDuration><CountData>${Math.round((state.gammaBackgroundCps[i] ?? 0) * 10)}</CountData></GrossCounts>`),
    ...NEUTRON.map((d, i) => `<GrossCounts radDetectorInformationReference="det-${d}"><LiveTimeDuration>PT10.0S</LiveTimeDuration><CountData>${Math.round((state.neutronBackgroundCps[i] ?? 0) * 10)}</CountData></GrossCounts>`),
  ].join('\n      ');
  const detectors = [
    ...GAMMA.map((d) => `<RadDetectorInformation id="det-${d}"><RadDetectorName>${d}</RadDetectorName><RadDetectorCategoryCode>Gamma</RadDetectorCategoryCode><RadDetectorKindCode>PVT</RadDetectorKindCode></RadDetectorInformation>`),
    ...NEUTRON.map((d) => `<RadDetectorInformation id="det-${d}"><RadDetectorName>${d}</RadDetectorName><RadDetectorCategoryCode>Neutron</RadDetectorCategoryCode><RadDetectorKindCode>He3</RadDetectorKindCode></RadDetectorInformation>`),
  ].join('\n  ');
  return `<?xml version="1.0" encoding="UTF-8"?>
<RadInstrumentData xmlns="http://physics.nist.gov/N42/2011/N42" n42DocUUID="${randomUUID()}" n42DocDateTime="${iso(s.endTimeMs)}">
  <RadInstrumentDataCreatorName>BorderLink N42 drop simulator</RadInstrumentDataCreatorName>
  <RadInstrumentInformation id="rpm">
    <RadInstrumentManufacturerName>Simulated Portals</RadInstrumentManufacturerName>
    <RadInstrumentModelName>SP-N42 portal</RadInstrumentModelName>
    <RadInstrumentIdentifier>${serial}</RadInstrumentIdentifier>
    <RadInstrumentClassCode>Portal Monitor</RadInstrumentClassCode>
    <RadInstrumentVersion><RadInstrumentComponentName>Firmware</RadInstrumentComponentName><RadInstrumentComponentVersion>3.1</RadInstrumentComponentVersion></RadInstrumentVersion>
  </RadInstrumentInformation>
  ${detectors}
  <RadMeasurement id="bg-${s.occupancyNumber}">
    <MeasurementClassCode>Background</MeasurementClassCode>
    <StartDateTime>${iso(s.startTimeMs - 10_000)}</StartDateTime>
    <RealTimeDuration>PT10.0S</RealTimeDuration>
    ${background}
  </RadMeasurement>
  <RadMeasurement id="occ-${s.occupancyNumber}" radMeasurementGroupReferences="group-${s.occupancyNumber}">
    <MeasurementClassCode>Foreground</MeasurementClassCode>
    <StartDateTime>${iso(s.startTimeMs)}</StartDateTime>
    <RealTimeDuration>${duration(s.durationMs)}</RealTimeDuration>
    ${occupied}
    <OccupancyIndicator>true</OccupancyIndicator>
  </RadMeasurement>
  <RadMeasurementGroup id="group-${s.occupancyNumber}"><RadMeasurementGroupDescription>occupancy ${s.occupancyNumber}</RadMeasurementGroupDescription></RadMeasurementGroup>
  <AnalysisResults radMeasurementGroupReferences="group-${s.occupancyNumber}">
    <AnalysisAlgorithmName>n-sigma gross count</AnalysisAlgorithmName>
    <AnalysisAlgorithmVersion>1.0</AnalysisAlgorithmVersion>
    ${alarms.join('\n    ')}
  </AnalysisResults>
</RadInstrumentData>
`;
}

export async function startN42DropSimulator(opts: N42DropSimulatorOptions): Promise<N42DropSimulator> {
  const scenarioName = opts.scenario ?? 'demo';
  if (!isScenarioName(scenarioName)) throw new BorderlinkError('BL_ERR_USAGE', `unknown scenario "${scenarioName}" (known: ${Object.keys(SCENARIOS).join(', ')})`);
  const scenario = SCENARIOS[scenarioName];
  const seed = opts.seed ?? scenario.defaultSeed;
  mkdirSync(opts.dir, { recursive: true });
  let written = 0;
  const serial = `SPN42-${(seed >>> 0).toString().padStart(6, '0')}`;
  const pending: OccupancySummary[] = [];
  const physics = new RpmPhysics({ seed, startTimeMs: opts.startTimeMs ?? Date.now(), onOccupancyEnd: (s) => pending.push(s) });
  const player = new ScenarioPlayer({ scenario, physics, seed });
  const flush = (): void => {
    for (const s of pending.splice(0)) {
      const name = `occupancy-${serial}-${String(s.occupancyNumber).padStart(6, '0')}.n42`;
      const tmp = path.join(opts.dir, `.${name}.part`);
      writeFileSync(tmp, occupancyDocument(s, physics.state(), serial));
      renameSync(tmp, path.join(opts.dir, name));
      written += 1;
      opts.logger?.info({ file: name, gammaAlarm: s.gammaAlarm, neutronAlarm: s.neutronAlarm }, 'n42 simulator wrote a document');
    }
  };
  const step = (ms: number): void => {
    player.step(ms);
    flush();
  };
  let timer: NodeJS.Timeout | undefined;
  if (opts.realtime ?? true) {
    timer = setInterval(() => step(SAMPLE_PERIOD_MS), SAMPLE_PERIOD_MS);
    timer.unref();
  }
  return {
    dir: opts.dir,
    step,
    documentsWritten: () => written,
    async close() {
      if (timer) clearInterval(timer);
    },
  };
}
