import { describe, expect, it } from 'vitest';
import adapter from '../../../adapters/n42-document/adapter.js';
import type { AnyAdapter, ArtifactRef, EventDraft } from '../../../src/adapter/types.js';
import { decodeN42 } from '../../../src/n42/decode.js';
import { n42ToDrafts, nuclideCode, type N42EventOptions } from '../../../src/n42/n42-events.js';
import { buildEnvelope } from '../../../src/pipeline/envelope.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { alarm, analysis, detector, doc2006, doc2012, fixture, gross, measurement } from './n42-builders.js';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const ARTIFACT: ArtifactRef = { sha256: 'a'.repeat(64), bytes: 1234, mediaType: 'application/xml', uri: `/v1/artifacts/${'a'.repeat(64)}` };
const validator = createEventValidator();

/** Decodes and maps; every draft must also make a schema-valid event. */
function drafts(bytes: Buffer, ctx: { now?: number; artifact?: ArtifactRef } = {}, opts?: N42EventOptions): EventDraft[] {
  const d = decodeN42(bytes);
  if (!d.ok) throw new Error(`decode failed: ${d.error.code} ${d.error.message}`);
  const r = n42ToDrafts(d.value, { now: ctx.now ?? NOW, ...(ctx.artifact === undefined ? {} : { artifact: ctx.artifact }) }, opts);
  if (!r.ok) throw new Error(`mapping failed: ${r.error.code} ${r.error.message}`);
  for (const draft of r.value) {
    const event = buildEnvelope({
      draft, device: { id: 'dev-1', siteId: 'XXTST', laneId: 'L9' }, adapter: adapter as unknown as AnyAdapter, gatewayId: 'gw',
      eventId: '01890a5d-ac96-774b-bcce-b302099a8057', receivedAt: NOW,
    });
    expect(validator.validate({ ...event, sequence: 1 })).toEqual({ ok: true });
  }
  return JSON.parse(JSON.stringify(r.value)) as EventDraft[];
}

function one(bytes: Buffer, ctx?: { now?: number; artifact?: ArtifactRef }, opts?: N42EventOptions): EventDraft {
  const all = drafts(bytes, ctx, opts);
  expect(all).toHaveLength(1);
  return all[0] as EventDraft;
}

const fg = (content: string, extra: { id?: string; groups?: string; occupied?: boolean; start?: string; real?: string } = {}): string =>
  measurement({ id: extra.id ?? 'M1', start: extra.start ?? '2026-11-23T10:00:00Z', real: extra.real ?? 'PT1S', content, ...(extra.groups === undefined ? {} : { groups: extra.groups }), ...(extra.occupied === undefined ? {} : { occupied: extra.occupied }) });
const DETS = detector('G1', 'Gamma') + detector('N1', 'Neutron');

describe('portal occupancy (2012 fixture)', () => {
  const d = one(fixture('portal-2012-dual-alarm.n42'), { artifact: ARTIFACT });

  it('is one alarm result for gamma and neutron, decided by the machine', () => {
    expect(d.eventType).toBe('result');
    expect(d.outcome).toEqual({ state: 'alarm', categories: ['gamma', 'neutron'], decisionBy: 'machine', vendorState: 'GAMMA ALARM; NEUTRON ALARM' });
    expect(d.quality).toBe('good');
  });

  it('spans the occupied slices, and decidedAt is the first alarm', () => {
    expect([d.observedAt, d.endedAt, d.decidedAt]).toEqual(['2026-11-23T10:15:30.000Z', '2026-11-23T10:15:33.000Z', '2026-11-23T10:15:31.450Z']);
  });

  it('makes a count-exceedance finding per alarm, with its detectors', () => {
    expect(d.findings).toEqual([
      { kind: 'count-exceedance', name: 'gamma gross counts above threshold', category: 'gamma', identified: false, detectors: ['G1'] },
      { kind: 'count-exceedance', name: 'neutron gross counts above threshold', category: 'neutron', identified: false, detectors: ['N1'] },
    ]);
  });

  it('summarises each detector: device sums, peak 1 s rate over the slices, background, occupancy, speed', () => {
    expect(d.measurements?.[0]).toEqual({
      detectorId: 'G1', category: 'gamma', startedAt: '2026-11-23T10:15:30.000Z', realTimeS: 3, liveTimeS: 2.985, grossCounts: 1080,
      countRateCps: 507, backgroundRateCps: 250, occupied: true, speedKmh: 8.208,
    });
    expect(d.measurements?.map((m) => [m.detectorId, m.category, m.grossCounts, m.countRateCps, m.backgroundRateCps])).toEqual([
      ['G1', 'gamma', 1080, 507, 250], ['G2', 'gamma', 808, 296, 255], ['N1', 'neutron', 32, 21, 4], ['N2', 'neutron', 14, 7, 4.2],
    ]);
  });

  it('inlines the small CountedZeroes spectrum on a keV axis', () => {
    expect(d.spectrum).toMatchObject({ xUnits: 'keV', yUnits: 'counts', firstX: 0, lastX: 3100, npoints: 32 });
    expect(d.spectrum?.y.slice(0, 4)).toEqual([0, 0, 204, 194]);
  });

  it('names the device, algorithm and inspection as the document does', () => {
    expect(d.source).toEqual({
      device: { technique: 'gamma-neutron', vendor: 'ExampleRad', model: 'PM-700', serial: 'PM7-00412', firmware: '3.4.1' },
      algorithm: { name: 'gross-count-sigma', version: 'alarm logic 2.1', settings: { gammaNSigma: 8, neutronNSigma: 5 } },
    });
    expect(d.subject).toEqual({ inspectionId: 'd6e3c1a2-5b4f-4e8a-9c1d-2f7b8a9e0c13' });
    expect(d.raw?.nativeIds).toEqual({ n42DocUUID: 'd6e3c1a2-5b4f-4e8a-9c1d-2f7b8a9e0c13', radMeasurementGroupId: 'RadMeasurementGroup-Occupancy' });
  });

  it('keeps the lane, vendor data and other unmapped facts in raw.extensions', () => {
    expect(d.raw?.format).toBe('n42-2012');
    expect(d.raw?.extensions).toMatchObject({
      laneId: 'L3', instrumentClass: 'Portal Monitor', instrumentVersions: { Firmware: '3.4.1', Software: '2.0.7' },
      analysisStatus: ['Valid'], algorithmCreator: 'ExampleRad',
      vendor: { 'urn:example:examplerad:portal:1': { AlarmWord: ['5', '5'] } },
    });
  });

  it('references the stored document as an n42 artifact', () => {
    expect(d.artifacts).toEqual([{ kind: 'n42', mediaType: 'application/xml', uri: ARTIFACT.uri, sha256: ARTIFACT.sha256, bytes: 1234 }]);
  });
});

describe('artifacts', () => {
  const body = DETS + fg(gross('G1', 5));
  it('are left out when nothing was stored', () => {
    expect(one(doc2012(body)).artifacts).toBeUndefined();
  });

  it('carry a plain media type even when the client sent parameters', () => {
    expect(one(doc2012(body), { artifact: { ...ARTIFACT, mediaType: 'text/xml; charset=utf-8' } }).artifacts?.[0]?.mediaType).toBe('text/xml');
    expect(one(doc2012(body), { artifact: { ...ARTIFACT, mediaType: 'garbage' } }).artifacts?.[0]?.mediaType).toBe('application/xml');
  });
});

describe('outcome', () => {
  it('is clear without RadAlarm, even with an analysis', () => {
    const d = one(doc2012(DETS + fg(gross('G1', 5)) + analysis('<AnalysisAlgorithmName>x</AnalysisAlgorithmName>')));
    expect(d.outcome).toEqual({ state: 'clear', decisionBy: 'machine' });
    expect(d.findings).toBeUndefined();
  });

  it('reads combined alarm words and isotope alarms', () => {
    const d = one(doc2012(DETS + fg(gross('G1', 5)) + analysis(alarm('Gamma-Neutron', 'G1 N1') + alarm('Isotope'))));
    expect(d.outcome?.categories).toEqual(['gamma', 'neutron', 'isotope']);
    expect(d.findings?.map((f) => [f.kind, f.category, f.detectors])).toEqual([['count-exceedance', 'gamma', ['G1', 'N1']], ['count-exceedance', 'neutron', ['G1', 'N1']]]);
  });

  it('is alarm for a 2006 flag, clear for a false one', () => {
    expect(one(fixture('portal-2006-alarm.n42')).outcome).toEqual({ state: 'alarm', categories: ['neutron'], decisionBy: 'machine', vendorState: 'Neutron alarm' });
    const clear = one(doc2006('<Measurement><CountDoseData DetectorType="Gamma"><StartTime>2026-11-23T10:00:00Z</StartTime><Counts>10</Counts></CountDoseData><AnalysisResults><Alarmed>false</Alarmed></AnalysisResults></Measurement>'));
    expect(clear.outcome).toEqual({ state: 'clear', decisionBy: 'machine' });
  });
});

describe('nuclide findings (handheld fixture)', () => {
  const d = one(fixture('handheld-2012-nuclide-id.n42'), { artifact: ARTIFACT });

  it('gives each nuclide its name, code, identification, scored confidence and activity', () => {
    expect(d.findings).toEqual([
      { kind: 'nuclide', name: 'Cs-137', codes: { nuclide: 'Cs-137' }, category: 'isotope', identified: true, score: { value: 87, min: 0, max: 100, higherIsBetter: true, method: 'n42-confidence' }, activity: { value: 370, unit: 'kBq', uncertainty: 55 } },
      { kind: 'nuclide', name: 'Am241', codes: { nuclide: 'Am-241' }, category: 'isotope', identified: false, score: { value: 35, min: 0, max: 100, higherIsBetter: true, method: 'n42-confidence' } },
    ]);
    expect(d.outcome).toMatchObject({ state: 'alarm', categories: ['isotope'], vendorState: 'Cs-137 Industrial' });
  });

  it('keeps nuclide categories and textual confidence, and dose rates, in raw.extensions', () => {
    expect(d.raw?.extensions?.nuclides).toEqual([{ name: 'Cs-137', category: 'Industrial' }, { name: 'Am241', category: 'Industrial', confidence: 'Tentative' }]);
    expect(d.raw?.extensions?.doseRates).toEqual([
      { detectorId: 'Gamma-NaI', uSvPerH: 0.42, kind: 'DoseRate', from: 'foreground' },
      { uSvPerH: 0.42, kind: 'AverageDoseRate', from: 'analysis' },
      { uSvPerH: 0.57, kind: 'MaximumDoseRate', from: 'analysis' },
    ]);
  });

  it('reads times with an offset into UTC and leaves occupancy out', () => {
    expect([d.observedAt, d.endedAt]).toEqual(['2026-11-23T10:40:05.250Z', '2026-11-23T10:42:05.250Z']);
    expect(d.measurements?.every((m) => m.occupied === undefined)).toBe(true);
    expect(d.measurements?.map((m) => [m.detectorId, m.grossCounts, m.liveTimeS, m.backgroundRateCps])).toEqual([['Gamma-NaI', 123547, 117.4, 50], ['Neutron-He3', 15, 120, 0.12]]);
  });

  it('inlines the 1024-channel spectrum with its energy axis', () => {
    expect(d.spectrum).toMatchObject({ xUnits: 'keV', firstX: 0, lastX: 3069, npoints: 1024 });
    expect(d.spectrum?.y).toHaveLength(1024);
    expect(d.source?.device).toMatchObject({ technique: 'spectroscopic-gamma-neutron', firmware: '5.2.0' });
  });

  it('leaves a spectrum longer than maxInlineChannels to the artifact', () => {
    const small = one(fixture('handheld-2012-nuclide-id.n42'), {}, { maxInlineChannels: 512 });
    expect(small.spectrum).toBeUndefined();
    expect(small.raw?.extensions?.spectrum).toMatchObject({ channels: 1024, inline: false, reason: 'more than 512 channels: see the n42 artifact' });
  });

  it.each([['Cs-137', 'Cs-137'], ['Cs137', 'Cs-137'], ['137Cs', 'Cs-137'], ['Tc-99m', 'Tc-99m'], ['99mTc', 'Tc-99m'], ['U235', 'U-235'], ['HEU', undefined], ['Unknown', undefined], ['NORM', undefined]])('nuclideCode(%s) is %s', (name, code) => {
    expect(nuclideCode(name)).toBe(code);
  });
});

describe('spectrum axis', () => {
  const withCal = (cal: string): Buffer => doc2012(`${DETS}<EnergyCalibration id="C">${cal}</EnergyCalibration>${fg('<Spectrum radDetectorInformationReference="G1" energyCalibrationReference="C"><ChannelData>1 2 3 4</ChannelData></Spectrum>')}`);

  it('uses channels when the calibration is not linear', () => {
    expect(one(withCal('<CoefficientValues>0 3 0.001</CoefficientValues>')).spectrum).toEqual({ xUnits: 'channel', yUnits: 'counts', firstX: 0, lastX: 3, npoints: 4, y: [1, 2, 3, 4] });
  });

  it('uses keV for evenly spaced energy boundaries', () => {
    expect(one(withCal('<EnergyBoundaryValues>10 20 30 40 50</EnergyBoundaryValues>')).spectrum).toMatchObject({ xUnits: 'keV', firstX: 10, lastX: 40 });
  });

  it('sums spectra of several slices and detectors that share channels and calibration', () => {
    const spec = (det: string, data: string): string => `<Spectrum radDetectorInformationReference="${det}"><ChannelData>${data}</ChannelData></Spectrum>`;
    const d = one(doc2012(detector('A', 'Gamma') + detector('B', 'Gamma') + fg(spec('A', '1 1') + spec('B', '2 2'), { id: 'S1' }) + fg(spec('A', '3 3'), { id: 'S2', start: '2026-11-23T10:00:01Z' })));
    expect(d.spectrum?.y).toEqual([6, 6]);
    expect(d.raw?.extensions?.spectrum).toMatchObject({ detectors: ['A', 'B'], spectraSummed: 3 });
  });

  it('inlines nothing when the detectors differ in channel count', () => {
    const d = one(doc2012(detector('A', 'Gamma') + detector('B', 'Gamma') + fg('<Spectrum radDetectorInformationReference="A"><ChannelData>1 1</ChannelData></Spectrum><Spectrum radDetectorInformationReference="B"><ChannelData>1 1 1</ChannelData></Spectrum>')));
    expect(d.spectrum).toBeUndefined();
    expect(d.raw?.extensions?.spectrum).toMatchObject({ inline: false });
  });
});

describe('measurements', () => {
  it('count every foreground slice when the document flags no occupancy, and say nothing about it', () => {
    const d = one(doc2012(DETS + fg(gross('G1', 10), { id: 'A' }) + fg(gross('G1', 30), { id: 'B', start: '2026-11-23T10:00:01Z' })));
    expect(d.measurements).toEqual([{ detectorId: 'G1', category: 'gamma', startedAt: '2026-11-23T10:00:00.000Z', realTimeS: 2, grossCounts: 40, countRateCps: 30 }]);
  });

  it('count all slices as unoccupied when none is flagged occupied', () => {
    const d = one(doc2012(DETS + fg(gross('G1', 10), { occupied: false })));
    expect(d.measurements?.[0]?.occupied).toBe(false);
  });

  it('prefer the device sums in DerivedData over the slices', () => {
    const derived = `<DerivedData id="D"><MeasurementClassCode>Foreground</MeasurementClassCode><StartDateTime>2026-11-23T10:00:00Z</StartDateTime><RealTimeDuration>PT1S</RealTimeDuration>${gross('G1', 99)}</DerivedData>`;
    expect(one(doc2012(DETS + fg(gross('G1', 10)) + derived)).measurements?.[0]?.grossCounts).toBe(99);
  });

  it('use the spectrum sum when a detector has no GrossCounts', () => {
    expect(one(doc2012(DETS + fg('<Spectrum radDetectorInformationReference="G1"><ChannelData>1 2 3</ChannelData></Spectrum>'))).measurements?.[0]?.grossCounts).toBe(6);
  });

  it('leave out detectors that are neither gamma nor neutron, with a warning', () => {
    const d = one(doc2012(detector('A1', 'Alpha') + DETS + fg(gross('A1', 3) + gross('G1', 5))));
    expect(d.measurements?.map((m) => m.detectorId)).toEqual(['G1']);
    expect(d.quality).toBe('uncertain');
    expect(d.raw?.extensions?.warnings).toEqual(['detector A1 is neither gamma nor neutron: its counts are left in the document']);
  });
});

describe('background-only documents', () => {
  it('give one measurement event per background measurement', () => {
    const d = one(fixture('background-only-2012.n42'), { artifact: ARTIFACT });
    expect(d.eventType).toBe('measurement');
    expect(d.outcome).toBeUndefined();
    expect([d.observedAt, d.endedAt]).toEqual(['2026-11-23T10:00:00.000Z', '2026-11-23T10:01:00.000Z']);
    expect(d.measurements?.[0]).toEqual({ detectorId: 'G1', category: 'gamma', startedAt: '2026-11-23T10:00:00.000Z', realTimeS: 60, liveTimeS: 59.9, grossCounts: 14975, countRateCps: 250, backgroundRateCps: 250, occupied: false });
    expect(d.raw?.extensions).toMatchObject({ measurementId: 'Background-20261123-1000', doseRates: [{ detectorId: 'G1', uSvPerH: 0.11, kind: 'DoseRate', from: 'background' }] });
    expect(d.artifacts).toHaveLength(1);
  });

  it('refuse a document with nothing usable', () => {
    const r = decodeN42(doc2012(DETS + measurement({ id: 'C', cls: 'Calibration', content: gross('G1', 5) })));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const m = n42ToDrafts(r.value, { now: NOW });
    expect(m.ok ? undefined : m.error.code).toBe('BL_ERR_N42_INVALID');
  });
});

describe('times and quality', () => {
  it('fall back to the analysis time, then to the gateway clock with quality uncertain', () => {
    const fromAnalysis = one(doc2012(analysis('<AnalysisStartDateTime>2026-11-23T09:00:00Z</AnalysisStartDateTime>' + alarm('Gamma'))));
    expect([fromAnalysis.observedAt, fromAnalysis.quality]).toEqual(['2026-11-23T09:00:00.000Z', 'good']);
    const none = one(doc2012(analysis(alarm('Gamma'))));
    expect([none.observedAt, none.quality]).toEqual([new Date(NOW).toISOString(), 'uncertain']);
    expect(none.raw?.extensions?.warnings).toEqual(["the document gives no time: observedAt is the gateway's receive time"]);
  });

  it('mark times without a zone as uncertain', () => {
    const d = one(doc2012(DETS + measurement({ id: 'M', start: '2026-11-23T10:00:00', real: 'PT1S', content: gross('G1', 1) })));
    expect([d.observedAt, d.quality]).toEqual(['2026-11-23T10:00:00.000Z', 'uncertain']);
  });
});

describe('device identity', () => {
  const inst = (cls: string, versions: string): string => `<RadInstrumentInformation id="I"><RadInstrumentClassCode>${cls}</RadInstrumentClassCode>${versions}</RadInstrumentInformation>`;
  const version = (c: string, v: string): string => `<RadInstrumentVersion><RadInstrumentComponentName>${c}</RadInstrumentComponentName><RadInstrumentComponentVersion>${v}</RadInstrumentComponentVersion></RadInstrumentVersion>`;

  it.each([
    ['Portal Monitor', detector('G1', 'Gamma'), 'gamma'],
    ['Spectroscopic Portal Monitor', detector('G1', 'Gamma'), 'spectroscopic-gamma'],
    ['Radionuclide Identifier', DETS, 'spectroscopic-gamma-neutron'],
    ['Dosimeter', DETS, undefined],
  ])('technique of a %s', (cls, dets, technique) => {
    expect(one(doc2012(inst(cls, '') + dets + fg(gross('G1', 1)))).source?.device?.technique).toBe(technique);
  });

  it('takes firmware from the Firmware component, else Software, else the only one', () => {
    expect(one(doc2012(inst('Other', version('Hardware', 'B') + version('Software', '2') + version('Firmware', '1')) + DETS + fg(gross('G1', 1)))).source?.device?.firmware).toBe('1');
    expect(one(doc2012(inst('Other', version('Hardware', 'B') + version('Software', '2')) + DETS + fg(gross('G1', 1)))).source?.device?.firmware).toBe('2');
    expect(one(doc2012(inst('Other', version('Hardware', 'B')) + DETS + fg(gross('G1', 1)))).source?.device?.firmware).toBe('B');
  });

  it('maps the 2006 fixture: lane from a vendor LaneNumber, format n42-2006', () => {
    const d = one(fixture('portal-2006-alarm.n42'));
    expect(d.raw).toMatchObject({ format: 'n42-2006', nativeIds: { n42DocUUID: '3a1f8e62-0c4d-4b5e-9f27-6d8c1e0b2a94' }, extensions: { laneId: '2' } });
    expect(d.source?.device).toEqual({ technique: 'gamma-neutron', vendor: 'ExamplePortals', model: 'RP-06', serial: 'RP06-2231', firmware: '1.4.2' });
    expect(d.measurements?.map((m) => [m.detectorId, m.grossCounts, m.realTimeS, m.countRateCps, m.backgroundRateCps])).toEqual([['GammaSum', 2069, 1, 2069, 2000], ['NeutronSum', 22, 1, 22, 5]]);
  });
});

describe('inspections', () => {
  const group = (g: string): string => `<RadMeasurementGroup id="${g}"/>`;

  it('split a document holding several attributable occupancies into one result each', () => {
    const all = drafts(doc2012(DETS + group('O1') + group('O2')
      + fg(gross('G1', 1), { id: 'A', groups: 'O1' }) + fg(gross('G1', 2), { id: 'B', groups: 'O2', start: '2026-11-23T10:05:00Z' })
      + analysis(alarm('Gamma'), 'radMeasurementGroupReferences="O1"') + analysis('', 'radMeasurementReferences="B"'), { uuid: 'doc' }));
    expect(all.map((d) => [d.subject?.inspectionId, d.outcome?.state, d.observedAt, d.measurements?.[0]?.grossCounts])).toEqual([
      ['doc#O1', 'alarm', '2026-11-23T10:00:00.000Z', 1], ['doc#O2', 'clear', '2026-11-23T10:05:00.000Z', 2],
    ]);
  });

  it('split a 2006 file by Measurement, each named by its own UUID', () => {
    const m = (uuid: string, counts: number, alarmed: boolean): string => `<Measurement UUID="${uuid}"><CountDoseData DetectorType="Gamma" Detector="G"><StartTime>2026-11-23T10:00:0${counts}Z</StartTime><SampleRealTime>PT1S</SampleRealTime><Counts>${counts}</Counts></CountDoseData>`
      + `<AnalysisResults><Alarmed>${alarmed}</Alarmed><AlarmType>Gamma</AlarmType></AnalysisResults></Measurement>`;
    const all = drafts(doc2006(m('u-1', 1, true) + m('u-2', 2, false)));
    expect(all.map((d) => [d.subject?.inspectionId, d.raw?.nativeIds, d.outcome?.state, d.measurements?.[0]?.grossCounts])).toEqual([
      ['u-1', { n42DocUUID: 'u-1' }, 'alarm', 1], ['u-2', { n42DocUUID: 'u-2' }, 'clear', 2],
    ]);
  });

  it('keep the document whole when an analysis cannot be attributed', () => {
    const all = drafts(doc2012(DETS + group('O1') + group('O2')
      + fg(gross('G1', 1), { id: 'A', groups: 'O1' }) + fg(gross('G1', 2), { id: 'B', groups: 'O2' }) + analysis(alarm('Gamma')), { uuid: 'doc' }));
    expect(all.map((d) => [d.subject?.inspectionId, d.measurements?.[0]?.grossCounts])).toEqual([['doc', 3]]);
  });
});
