/**
 * ANSI N42.42-2012 (root RadInstrumentData, namespace http://physics.nist.gov/N42/2011/N42) into
 * the edition-neutral N42Document. Element names follow the 2012 schema; what the schema does not
 * define is left to the vendor-extension collector.
 */
import type { JsonValue } from '../schema/detection-event.js';
import { readChannelData } from './channel-data.js';
import type {
  N42Algorithm, N42Alarm, N42Analysis, N42Detector, N42Document, N42DoseRate, N42EnergyCalibration,
  N42GrossCounts, N42Instrument, N42Measurement, N42Nuclide, N42Spectrum,
} from './document.js';
import { attr, collectExtensions, refs, walk } from './element-query.js';
import {
  alarmCategories, childDuration, childNonNegative, childTime, detectorCategory, measurementClass, warn, type ReadContext,
} from './read-context.js';
import { invalid, parseBoolean, parseNumber, parseNumberList, roundTo } from './simple-types.js';
import type { XmlElement } from './xml-tree.js';

export function read2012(root: XmlElement, ctx: ReadContext): N42Document {
  const { q } = ctx;
  const calibrations = new Map<string, N42EnergyCalibration>();
  for (const el of q.kids(root, 'EnergyCalibration')) {
    const cal = readCalibration(el, ctx);
    if (cal.id !== undefined) calibrations.set(cal.id, cal);
  }
  const detectors = q.kids(root, 'RadDetectorInformation').map((el, i) => readDetector(el, i, ctx));
  const instrumentEl = q.kid(root, 'RadInstrumentInformation');
  const doc: N42Document = {
    version: '2012',
    namespace: root.ns,
    instrument: instrumentEl === undefined ? { versions: [], characteristics: [] } : readInstrument(instrumentEl, ctx),
    detectors,
    measurements: q.kids(root, 'RadMeasurement').map((el) => readMeasurement(el, 'RadMeasurement', calibrations, ctx)),
    derived: q.kids(root, 'DerivedData').map((el) => readMeasurement(el, 'DerivedData', calibrations, ctx)),
    groups: q.kids(root, 'RadMeasurementGroup').flatMap((el) => {
      const id = attr(el, 'id');
      if (id === undefined) return [];
      const description = q.text(el, 'RadMeasurementGroupDescription');
      return [description === undefined ? { id } : { id, description }];
    }),
    analyses: q.kids(root, 'AnalysisResults').map((el) => readAnalysis(el, ctx)),
    extensions: collectExtensions(root, q),
    warnings: ctx.warnings,
  };
  const uuid = attr(root, 'n42DocUUID');
  if (uuid !== undefined && uuid.trim() !== '') doc.uuid = uuid.trim();
  const creator = q.text(root, 'RadInstrumentDataCreatorName');
  if (creator !== undefined) doc.createdBy = creator;
  if (doc.instrument.lane === undefined) {
    const lane = laneFromAnywhere(root);
    if (lane !== undefined) doc.instrument.lane = lane;
  }
  return doc;
}

function readCalibration(el: XmlElement, ctx: ReadContext): N42EnergyCalibration {
  const cal: N42EnergyCalibration = {};
  const id = attr(el, 'id');
  if (id !== undefined) cal.id = id;
  const coeff = ctx.q.text(el, 'CoefficientValues');
  if (coeff !== undefined) cal.coefficients = parseNumberList(coeff, 'CoefficientValues');
  const bounds = ctx.q.text(el, 'EnergyBoundaryValues');
  if (bounds !== undefined) cal.energyBoundaries = parseNumberList(bounds, 'EnergyBoundaryValues');
  return cal;
}

function readDetector(el: XmlElement, index: number, ctx: ReadContext): N42Detector {
  const { q } = ctx;
  const d: N42Detector = { id: attr(el, 'id') ?? `detector-${index + 1}` };
  const set = <K extends 'name' | 'kind' | 'description' | 'categoryRaw'>(k: K, v: string | undefined): void => {
    if (v !== undefined) d[k] = v;
  };
  set('name', q.text(el, 'RadDetectorName'));
  set('categoryRaw', q.text(el, 'RadDetectorCategoryCode'));
  set('kind', q.text(el, 'RadDetectorKindCode'));
  set('description', q.text(el, 'RadDetectorDescription'));
  const category = detectorCategory(d.categoryRaw);
  if (category !== undefined) d.category = category;
  return d;
}

function readInstrument(el: XmlElement, ctx: ReadContext): N42Instrument {
  const { q } = ctx;
  const inst: N42Instrument = { versions: [], characteristics: [] };
  const set = <K extends 'id' | 'manufacturer' | 'model' | 'serial' | 'description' | 'classCode'>(k: K, v: string | undefined): void => {
    if (v !== undefined) inst[k] = v;
  };
  set('id', attr(el, 'id'));
  set('manufacturer', q.text(el, 'RadInstrumentManufacturerName'));
  set('model', q.text(el, 'RadInstrumentModelName'));
  set('serial', q.text(el, 'RadInstrumentIdentifier'));
  set('description', q.text(el, 'RadInstrumentDescription'));
  set('classCode', q.text(el, 'RadInstrumentClassCode'));
  for (const v of q.kids(el, 'RadInstrumentVersion')) {
    const component = q.text(v, 'RadInstrumentComponentName');
    const version = q.text(v, 'RadInstrumentComponentVersion');
    if (component !== undefined && version !== undefined) inst.versions.push({ component, version });
  }
  for (const group of q.kids(el, 'RadInstrumentCharacteristics')) {
    for (const c of walk(group)) {
      if (c.name !== 'Characteristic' || !q.isN42(c)) continue;
      const name = q.text(c, 'CharacteristicName');
      const value = q.text(c, 'CharacteristicValue');
      if (name === undefined || value === undefined) continue;
      const units = q.text(c, 'CharacteristicValueUnits');
      inst.characteristics.push(units === undefined ? { name, value } : { name, value, units });
    }
  }
  const lane = inst.characteristics.find((c) => /^lane\s*(number|id|no\.?)?$/i.test(c.name.trim()))?.value ?? laneFromAnywhere(el);
  if (lane !== undefined) inst.lane = lane;
  return inst;
}

/** A LaneNumber / LaneID / Lane element in any namespace (2006 portals, vendor extensions). */
export function laneFromAnywhere(root: XmlElement): string | undefined {
  for (const el of walk(root)) {
    if (/^lane(number|id)?$/i.test(el.name) && el.children.length === 0 && el.text !== '') return el.text;
  }
  return undefined;
}

function readMeasurement(
  el: XmlElement, origin: 'RadMeasurement' | 'DerivedData', calibrations: ReadonlyMap<string, N42EnergyCalibration>, ctx: ReadContext,
): N42Measurement {
  const { q } = ctx;
  const classRaw = q.text(el, 'MeasurementClassCode');
  const m: N42Measurement = {
    origin, classCode: measurementClass(classRaw), groupRefs: refs(el, 'radMeasurementGroupReferences'),
    grossCounts: [], spectra: [], doseRates: [],
  };
  const id = attr(el, 'id');
  if (id !== undefined) m.id = id;
  if (classRaw !== undefined) m.classRaw = classRaw;
  const start = childTime(ctx, el, 'StartDateTime');
  if (start !== undefined) m.startMs = start;
  const real = childDuration(ctx, el, 'RealTimeDuration');
  if (real !== undefined) m.realTimeS = real;
  const occupancy = q.text(el, 'OccupancyIndicator');
  if (occupancy !== undefined) {
    const b = parseBoolean(occupancy);
    if (b === undefined) throw invalid(`OccupancyIndicator: "${occupancy}" is not a boolean`, { element: 'OccupancyIndicator', value: occupancy });
    m.occupied = b;
  }
  for (const s of q.kids(el, 'Spectrum')) m.spectra.push(readSpectrum(s, calibrations, ctx));
  for (const g of q.kids(el, 'GrossCounts')) m.grossCounts.push(readGrossCounts(g, ctx));
  for (const d of q.kids(el, 'DoseRate')) {
    const v = q.text(d, 'DoseRateValue');
    if (v === undefined) continue;
    const rate: N42DoseRate = { uSvPerH: parseNumber(v, 'DoseRateValue'), kind: 'DoseRate' };
    const det = attr(d, 'radDetectorInformationReference');
    if (det !== undefined) rate.detectorId = det;
    m.doseRates.push(rate);
  }
  for (const item of q.kids(el, 'RadItemState')) {
    const speed = q.text(q.kid(item, 'StateVector') ?? item, 'SpeedValue');
    if (speed !== undefined) m.speedKmh = roundTo(parseNumber(speed, 'SpeedValue') * 3.6, 3);
  }
  return m;
}

function readSpectrum(el: XmlElement, calibrations: ReadonlyMap<string, N42EnergyCalibration>, ctx: ReadContext): N42Spectrum {
  const { q } = ctx;
  const channelEl = q.kid(el, 'ChannelData');
  const compression = channelEl === undefined ? undefined : (attr(channelEl, 'compressionCode') ?? attr(channelEl, 'Compression'));
  const s: N42Spectrum = {
    channels: channelEl === undefined ? [] : readChannelData(channelEl.text, compression, ctx.maxChannels, 'ChannelData'),
  };
  const set = <K extends 'id' | 'detectorId' | 'compression'>(k: K, v: string | undefined): void => {
    if (v !== undefined) s[k] = v;
  };
  set('id', attr(el, 'id'));
  set('detectorId', attr(el, 'radDetectorInformationReference'));
  set('compression', compression);
  const live = childDuration(ctx, el, 'LiveTimeDuration');
  if (live !== undefined) s.liveTimeS = live;
  const calRef = attr(el, 'energyCalibrationReference');
  if (calRef !== undefined) {
    const cal = calibrations.get(calRef);
    if (cal === undefined) warn(ctx, `Spectrum ${s.id ?? ''} refers to EnergyCalibration "${calRef}", which the document does not define`);
    else s.calibration = cal;
  }
  return s;
}

function readGrossCounts(el: XmlElement, ctx: ReadContext): N42GrossCounts {
  const data = ctx.q.text(el, 'CountData');
  const values = data === undefined ? [] : parseNumberList(data, 'CountData');
  for (const v of values) if (v < 0) throw invalid(`CountData: negative count ${v}`, { element: 'CountData' });
  const g: N42GrossCounts = { counts: roundTo(values.reduce((a, b) => a + b, 0), 6) };
  const det = attr(el, 'radDetectorInformationReference');
  if (det !== undefined) g.detectorId = det;
  const live = childDuration(ctx, el, 'LiveTimeDuration');
  if (live !== undefined) g.liveTimeS = live;
  return g;
}

function readAnalysis(el: XmlElement, ctx: ReadContext): N42Analysis {
  const { q } = ctx;
  const a: N42Analysis = {
    measurementRefs: refs(el, 'radMeasurementReferences'),
    groupRefs: refs(el, 'radMeasurementGroupReferences'),
    derivedRefs: refs(el, 'derivedDataReferences'),
    alarms: q.kids(el, 'RadAlarm').map((r) => readAlarm(r, ctx)),
    nuclides: q.kids(el, 'NuclideAnalysisResults').flatMap((n) => q.kids(n, 'Nuclide')).map((n) => readNuclide(n, ctx)),
    doseRates: [],
  };
  const id = attr(el, 'id');
  if (id !== undefined) a.id = id;
  const start = childTime(ctx, el, 'AnalysisStartDateTime');
  if (start !== undefined) a.startMs = start;
  const status = q.text(el, 'AnalysisResultStatusCode');
  if (status !== undefined) a.statusCode = status;
  const description = q.text(el, 'AnalysisResultDescription');
  if (description !== undefined) a.description = description;
  const algorithm = readAlgorithm(el, ctx);
  if (algorithm !== undefined) a.algorithm = algorithm;
  for (const dose of q.kids(el, 'DoseAnalysisResults')) {
    for (const [name, kind] of [['AverageDoseRateValue', 'AverageDoseRate'], ['MaximumDoseRateValue', 'MaximumDoseRate']] as const) {
      const v = q.text(dose, name);
      if (v !== undefined) a.doseRates.push({ uSvPerH: parseNumber(v, name), kind });
    }
  }
  return a;
}

/** AnalysisAlgorithmName/CreatorName/Version/Setting; undefined when the document names none of them. */
export function readAlgorithm(el: XmlElement, ctx: ReadContext): N42Algorithm | undefined {
  const { q } = ctx;
  const alg: N42Algorithm = { settings: {} };
  const name = q.text(el, 'AnalysisAlgorithmName');
  if (name !== undefined) alg.name = name;
  const creator = q.text(el, 'AnalysisAlgorithmCreatorName');
  if (creator !== undefined) alg.creator = creator;
  const versions: string[] = [];
  for (const v of q.kids(el, 'AnalysisAlgorithmVersion')) {
    const component = q.text(v, 'AnalysisAlgorithmComponentName');
    const version = q.text(v, 'AnalysisAlgorithmComponentVersion');
    if (version !== undefined) versions.push(component === undefined ? version : `${component} ${version}`);
    else if (v.text !== '') versions.push(v.text);
  }
  if (versions.length > 0) alg.version = versions.join('; ');
  for (const s of q.kids(el, 'AnalysisAlgorithmSetting')) {
    const setting = readSetting(s);
    if (setting !== undefined) alg.settings[setting[0]] = setting[1];
  }
  return alg.name === undefined && alg.version === undefined && Object.keys(alg.settings).length === 0 ? undefined : alg;
}

/** A setting as name/value: children *Name and *Value, or a name attribute and text, or "name=value". */
function readSetting(el: XmlElement): [string, JsonValue] | undefined {
  const nameEl = el.children.find((c) => c.name.endsWith('Name'));
  const valueEl = el.children.find((c) => c.name.endsWith('Value'));
  let name = nameEl?.text ?? attr(el, 'name') ?? attr(el, 'Name');
  let value = valueEl?.text ?? (name !== undefined && nameEl === undefined ? el.text : undefined);
  if (name === undefined && /^[^=]+=/.test(el.text)) [name, value] = [el.text.slice(0, el.text.indexOf('=')).trim(), el.text.slice(el.text.indexOf('=') + 1).trim()];
  if (name === undefined || name === '' || value === undefined) return undefined;
  return [name, /^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value) ? Number(value) : value];
}

function readAlarm(el: XmlElement, ctx: ReadContext): N42Alarm {
  const { q } = ctx;
  const categoryRaw = q.text(el, 'RadAlarmCategoryCode');
  const alarm: N42Alarm = { categories: alarmCategories(categoryRaw), detectorIds: refs(el, 'radDetectorInformationReferences') };
  if (categoryRaw !== undefined) alarm.categoryRaw = categoryRaw;
  const description = q.text(el, 'RadAlarmDescription');
  if (description !== undefined) alarm.description = description;
  const at = childTime(ctx, el, 'RadAlarmDateTime');
  if (at !== undefined) alarm.atMs = at;
  return alarm;
}

function readNuclide(el: XmlElement, ctx: ReadContext): N42Nuclide {
  const { q } = ctx;
  const n: N42Nuclide = { name: q.text(el, 'NuclideName') ?? 'unknown' };
  const identified = q.text(el, 'NuclideIdentifiedIndicator');
  if (identified !== undefined) {
    const b = parseBoolean(identified);
    if (b === undefined) throw invalid(`NuclideIdentifiedIndicator: "${identified}" is not a boolean`, { element: 'NuclideIdentifiedIndicator', value: identified });
    n.identified = b;
  }
  const confidence = q.text(el, 'NuclideIDConfidenceValue');
  if (confidence !== undefined) {
    const v = parseNumber(confidence, 'NuclideIDConfidenceValue');
    if (v < 0 || v > 100) throw invalid(`NuclideIDConfidenceValue: ${v} is outside 0..100`, { element: 'NuclideIDConfidenceValue', value: confidence });
    n.confidence = v;
  }
  const confidenceText = q.text(el, 'NuclideIDConfidenceDescription') ?? q.text(el, 'NuclideIDConfidenceIndication');
  if (confidenceText !== undefined) n.confidenceText = confidenceText;
  const category = q.text(el, 'NuclideCategoryDescription');
  if (category !== undefined) n.categoryDescription = category;
  const activity = childNonNegative(ctx, el, 'NuclideActivityValue');
  if (activity !== undefined) {
    // N42.42-2012 states activities in kBq
    n.activity = { value: activity, unit: 'kBq' };
    const u = childNonNegative(ctx, el, 'NuclideActivityUncertaintyValue');
    if (u !== undefined) n.activity.uncertainty = u;
  }
  return n;
}
