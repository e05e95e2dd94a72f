import { describe, expect, it } from 'vitest';
import { decodeN42, type N42DecodeOptions } from '../../../src/n42/decode.js';
import type { N42Document } from '../../../src/n42/document.js';
import { alarm, analysis, doc2006, doc2012, fixture, gross, measurement, NS_2012 } from './n42-builders.js';

function decoded(bytes: Buffer, opts?: N42DecodeOptions): N42Document {
  const r = decodeN42(bytes, opts);
  if (!r.ok) throw new Error(`expected a document, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function failure(bytes: Buffer, opts?: N42DecodeOptions): { code: string; message: string } {
  const r = decodeN42(bytes, opts);
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

const fg = (content: string): string => measurement({ id: 'M1', start: '2026-11-23T10:00:00Z', real: 'PT1S', content });

describe('decodeN42: editions and namespaces', () => {
  it('reads a 2012 document in the default namespace', () => {
    const d = decoded(doc2012(fg(gross('G1', 10)), { uuid: 'u-1' }));
    expect([d.version, d.namespace, d.uuid, d.warnings]).toEqual(['2012', NS_2012, 'u-1', []]);
    expect(d.measurements[0]?.grossCounts).toEqual([{ detectorId: 'G1', counts: 10 }]);
  });

  it('reads the same document written with an n42: prefix', () => {
    const prefixed = Buffer.from(`<n42:RadInstrumentData xmlns:n42="${NS_2012}"><n42:RadMeasurement id="M1"><n42:MeasurementClassCode>Foreground</n42:MeasurementClassCode>`
      + '<n42:GrossCounts radDetectorInformationReference="G1"><n42:CountData>10</n42:CountData></n42:GrossCounts></n42:RadMeasurement></n42:RadInstrumentData>');
    expect(decoded(prefixed).measurements[0]?.grossCounts).toEqual([{ detectorId: 'G1', counts: 10 }]);
  });

  it('reads a root without a namespace, with a warning', () => {
    const d = decoded(Buffer.from('<RadInstrumentData><RadMeasurement id="M1"><MeasurementClassCode>Background</MeasurementClassCode></RadMeasurement></RadInstrumentData>'));
    expect(d.version).toBe('2012');
    expect(d.warnings).toEqual(['root element declares no namespace: read as N42.42-2012']);
  });

  it('reads a 2006 document', () => {
    expect(decoded(fixture('portal-2006-alarm.n42')).version).toBe('2006');
  });

  it('refuses another root, or an N42 root name in a foreign namespace', () => {
    expect(failure(fixture('not-n42.xml')).code).toBe('BL_ERR_N42_NOT_N42');
    expect(failure(Buffer.from('<RadInstrumentData xmlns="urn:not-n42"/>')).code).toBe('BL_ERR_N42_NOT_N42');
    expect(failure(Buffer.from(`<N42InstrumentData xmlns="${NS_2012}"/>`)).code).toBe('BL_ERR_N42_NOT_N42');
  });

  it('passes the hardening failures through', () => {
    expect(failure(fixture('not-xml.n42')).code).toBe('BL_ERR_N42_NOT_XML');
    expect(failure(fixture('doctype-billion-laughs.n42')).code).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
    expect(failure(fixture('doctype-external-entity.n42')).code).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
    expect(failure(fixture('background-only-2012.n42'), { maxBytes: 1000 }).code).toBe('BL_ERR_N42_TOO_LARGE');
    expect(failure(fixture('portal-2012-dual-alarm.n42'), { maxDepth: 3 }).code).toBe('BL_ERR_N42_NOT_XML');
  });
});

describe('decodeN42: the 2012 portal fixture as a document model', () => {
  const d = decoded(fixture('portal-2012-dual-alarm.n42'));

  it('reads the instrument, its versions and its lane characteristic', () => {
    expect(d.instrument).toMatchObject({ manufacturer: 'ExampleRad', model: 'PM-700', serial: 'PM7-00412', classCode: 'Portal Monitor', lane: 'L3' });
    expect(d.instrument.versions).toEqual([{ component: 'Firmware', version: '3.4.1' }, { component: 'Software', version: '2.0.7' }]);
  });

  it('reads detectors with their categories', () => {
    expect(d.detectors.map((x) => [x.id, x.category, x.kind])).toEqual([['G1', 'gamma', 'PVT'], ['G2', 'gamma', 'PVT'], ['N1', 'neutron', 'He3'], ['N2', 'neutron', 'He3']]);
  });

  it('reads measurements, occupancy flags, speed, group references and derived data', () => {
    expect(d.measurements).toHaveLength(18);
    expect(d.measurements[0]).toMatchObject({ classCode: 'background', realTimeS: 60, occupied: false });
    expect(d.measurements.filter((m) => m.occupied === true)).toHaveLength(15);
    expect(d.measurements[3]).toMatchObject({ speedKmh: 8.208, groupRefs: ['RadMeasurementGroup-Occupancy'], startMs: Date.UTC(2026, 10, 23, 10, 15, 30) });
    expect(d.groups).toEqual([{ id: 'RadMeasurementGroup-Occupancy', description: 'Occupancy 20261123-101530 lane 3' }]);
    expect(d.derived).toHaveLength(1);
  });

  it('expands the CountedZeroes spectrum written with the 2006 attribute name, and links its calibration', () => {
    const s = d.derived[0]?.spectra[0];
    expect(s?.compression).toBe('CountedZeroes');
    expect(s?.channels).toHaveLength(32);
    expect(s?.channels.slice(0, 4)).toEqual([0, 0, 204, 194]);
    expect(s?.channels.reduce((a, b) => a + b, 0)).toBe(1080);
    expect(s?.calibration?.coefficients).toEqual([0, 100, 0]);
  });

  it('reads the analysis: algorithm, settings, alarms', () => {
    const a = d.analyses[0];
    expect(a?.algorithm).toEqual({ name: 'gross-count-sigma', creator: 'ExampleRad', version: 'alarm logic 2.1', settings: { gammaNSigma: 8, neutronNSigma: 5 } });
    expect(a?.alarms.map((x) => [x.categories, x.detectorIds, x.description])).toEqual([[['gamma'], ['G1'], 'GAMMA ALARM'], [['neutron'], ['N1'], 'NEUTRON ALARM']]);
    expect(a?.groupRefs).toEqual(['RadMeasurementGroup-Occupancy']);
  });

  it('keeps vendor-namespace elements as JSON and does not read them as N42', () => {
    expect(d.extensions['urn:example:examplerad:portal:1']).toEqual({
      CabinetTemperature: { '@units': 'degC', '#text': '31.5' },
      AlarmWord: ['5', '5'],
      OperatorAcknowledged: 'false',
    });
  });
});

describe('decodeN42: details', () => {
  it('never reads a vendor element as N42 even when it shares a name', () => {
    const d = decoded(doc2012(fg(`${gross('G1', 10)}<RadMeasurementExtension><v:GrossCounts><v:CountData>999</v:CountData></v:GrossCounts></RadMeasurementExtension>`), { extraNs: ' xmlns:v="urn:v"' }));
    expect(d.measurements[0]?.grossCounts).toEqual([{ detectorId: 'G1', counts: 10 }]);
    expect(d.extensions).toEqual({ 'urn:v': { GrossCounts: { CountData: '999' } } });
  });

  it('reads the 2012 compressionCode spelling too', () => {
    const spectrum = '<Spectrum radDetectorInformationReference="G1"><ChannelData compressionCode="CountedZeroes">3 0 2 1</ChannelData></Spectrum>';
    expect(decoded(doc2012(fg(spectrum))).measurements[0]?.spectra[0]?.channels).toEqual([3, 0, 0, 1]);
  });

  it('sums CountData values and reads live time', () => {
    expect(decoded(doc2012(fg(gross('G1', '10 20 5', 'PT0.9S')))).measurements[0]?.grossCounts).toEqual([{ detectorId: 'G1', counts: 35, liveTimeS: 0.9 }]);
  });

  it('reads lane numbers from vendor elements', () => {
    const d = decoded(doc2012(`<RadInstrumentInformation id="I"><RadInstrumentInformationExtension><v:LaneNumber>7</v:LaneNumber></RadInstrumentInformationExtension></RadInstrumentInformation>${fg(gross('G1', 1))}`, { extraNs: ' xmlns:v="urn:v"' }));
    expect(d.instrument.lane).toBe('7');
  });

  it('warns about a calibration reference that goes nowhere', () => {
    const d = decoded(doc2012(fg('<Spectrum id="S1" radDetectorInformationReference="G1" energyCalibrationReference="missing"><ChannelData>1 2</ChannelData></Spectrum>')));
    expect(d.warnings).toEqual(['Spectrum S1 refers to EnergyCalibration "missing", which the document does not define']);
  });

  it.each([
    ['a count that is not a number', fg(gross('G1', '12a')), /CountData/],
    ['a negative count', fg(gross('G1', '-3')), /CountData/],
    ['an OccupancyIndicator that is not a boolean', measurement({ id: 'M', occupied: 'perhaps' as unknown as boolean }), /OccupancyIndicator/],
    ['a confidence over 100', analysis('<NuclideAnalysisResults><Nuclide><NuclideIdentifiedIndicator>true</NuclideIdentifiedIndicator><NuclideName>Cs-137</NuclideName><NuclideIDConfidenceValue>120</NuclideIDConfidenceValue></Nuclide></NuclideAnalysisResults>'), /0\.\.100/],
    ['a start time that is not a time', measurement({ id: 'M', start: 'noon' }), /StartDateTime/],
    ['a duration in months', measurement({ id: 'M', real: 'P1M' }), /RealTimeDuration/],
    ['CountedZeroes that would expand too far', fg('<Spectrum><ChannelData compressionCode="CountedZeroes">0 999999999</ChannelData></Spectrum>'), /ChannelData/],
  ])('refuses %s with BL_ERR_N42_INVALID naming the element', (_name, body, element) => {
    const e = failure(doc2012(body));
    expect(e.code).toBe('BL_ERR_N42_INVALID');
    expect(e.message).toMatch(element);
  });

  it('caps channels by option', () => {
    const body = fg('<Spectrum><ChannelData>1 2 3 4</ChannelData></Spectrum>');
    expect(failure(doc2012(body), { maxChannels: 3 }).code).toBe('BL_ERR_N42_INVALID');
    expect(decoded(doc2012(body), { maxChannels: 4 }).measurements[0]?.spectra[0]?.channels).toEqual([1, 2, 3, 4]);
  });

  it('turns 2012 alarm codes into categories, including combined words', () => {
    const d = decoded(doc2012(analysis(alarm('Gamma-Neutron') + alarm('Isotope') + alarm('Alpha'))));
    expect(d.analyses[0]?.alarms.map((a) => a.categories)).toEqual([['gamma', 'neutron'], ['isotope'], ['other']]);
  });
});

describe('decodeN42: 2006', () => {
  it('reads the portal fixture: slices, background, detectors, lane, alarm', () => {
    const d = decoded(fixture('portal-2006-alarm.n42'));
    expect(d.uuid).toBe('3a1f8e62-0c4d-4b5e-9f27-6d8c1e0b2a94');
    expect(d.instrument).toMatchObject({ manufacturer: 'ExamplePortals', model: 'RP-06', serial: 'RP06-2231', classCode: 'PortalMonitor', lane: '2', versions: [{ component: 'Firmware', version: '1.4.2' }] });
    expect(d.detectors).toEqual([{ id: 'GammaSum', categoryRaw: 'Gamma', category: 'gamma' }, { id: 'NeutronSum', categoryRaw: 'Neutron', category: 'neutron' }]);
    expect(d.measurements.filter((m) => m.classCode === 'background')).toHaveLength(2);
    expect(d.measurements.filter((m) => m.occupied === true)).toHaveLength(5);
    expect(d.analyses[0]?.alarms).toEqual([{ categories: ['neutron'], categoryRaw: 'Neutron', detectorIds: [] }]);
    expect(d.analyses[0]?.description).toBe('Neutron alarm');
  });

  it('reads spectra with calibration, nuclides, dose units and per-detector alarm flags', () => {
    const d = decoded(doc2006(`<Measurement UUID="m-1">
      <InstrumentInformation><InstrumentType>RadionuclideIdentifier</InstrumentType><Manufacturer>X</Manufacturer></InstrumentInformation>
      <Spectrum Detector="NaI" DetectorType="Gamma"><SourceType>Item</SourceType><StartTime>2026-11-23T10:00:00Z</StartTime><RealTime>PT60S</RealTime><LiveTime>PT59S</LiveTime>
        <Calibration Type="Energy"><Equation Model="Polynomial"><Coefficients>0 3 0</Coefficients></Equation></Calibration>
        <ChannelData Compression="CountedZeroes">0 2 5 6</ChannelData></Spectrum>
      <CountDoseData DetectorType="Gamma" Detector="NaI"><StartTime>2026-11-23T10:00:00Z</StartTime><DoseRate Units="uRem/h">50</DoseRate></CountDoseData>
      <DetectorData><StartTime>2026-11-23T10:00:00Z</StartTime><SampleRealTime>PT1S</SampleRealTime>
        <DetectorMeasurement Detector="He3" DetectorType="Neutron"><CountDoseData><Counts>9</Counts></CountDoseData><Alarm>true</Alarm></DetectorMeasurement></DetectorData>
      <AnalysisResults><NuclideAnalysis><Nuclide><NuclideName>Cs137</NuclideName><NuclideType>Industrial</NuclideType><NuclideIDConfidenceIndication>High</NuclideIDConfidenceIndication><NuclideActivity Units="µCi">2.5</NuclideActivity></Nuclide>
        <Nuclide><NuclideName>Co60</NuclideName><NuclideIDConfidence>40</NuclideIDConfidence></Nuclide></NuclideAnalysis>
        <Alarmed>false</Alarmed></AnalysisResults>
    </Measurement>`));
    const spectrum = d.measurements[0]?.spectra[0];
    expect(spectrum).toMatchObject({ detectorId: 'NaI', liveTimeS: 59, channels: [0, 0, 5, 6], calibration: { coefficients: [0, 3, 0] } });
    expect(d.measurements[0]).toMatchObject({ classCode: 'foreground', realTimeS: 60 });
    expect(d.measurements[1]?.doseRates).toEqual([{ detectorId: 'NaI', uSvPerH: 0.5, kind: 'DoseRate' }]);
    expect(d.analyses[0]?.alarms).toEqual([{ categories: ['neutron'], categoryRaw: 'Neutron', detectorIds: ['He3'] }]);
    expect(d.analyses[0]?.nuclides).toEqual([
      { name: 'Cs137', categoryDescription: 'Industrial', confidenceText: 'High', activity: { value: 2.5, unit: 'uCi' } },
      { name: 'Co60', confidence: 40 },
    ]);
  });

  it('leaves a dose rate in an unknown unit in the document, with a warning', () => {
    const d = decoded(doc2006('<Measurement><CountDoseData DetectorType="Gamma"><DoseRate Units="mR/h">1</DoseRate></CountDoseData></Measurement>'));
    expect(d.measurements[0]?.doseRates).toEqual([]);
    expect(d.warnings[0]).toMatch(/mR\/h/);
  });
});
