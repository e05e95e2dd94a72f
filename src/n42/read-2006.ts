/**
 * ANSI N42.42-2006 (root N42InstrumentData) into the edition-neutral N42Document. The 2006 edition
 * nests everything in Measurement elements and spells things differently: InstrumentInformation,
 * Spectrum with StartTime/RealTime/LiveTime, CountDoseData with Counts and DoseRate, portal time
 * slices as DetectorData (with Occupied) holding DetectorMeasurement elements, NuclideAnalysis,
 * and alarms written as Alarmed / AlarmIndicator / Alarm flags. Each Measurement becomes one
 * measurement group, so a file holding several occupancies yields several inspections.
 */
import { readChannelData } from './channel-data.js';
import type {
  N42Alarm, N42Analysis, N42Detector, N42Document, N42DoseRate, N42EnergyCalibration, N42Instrument, N42Measurement,
  N42Nuclide, N42Spectrum,
} from './document.js';
import { attr, collectExtensions, walk } from './element-query.js';
import {
  alarmCategories, childDuration, childNonNegative, childTime, detectorCategory, measurementClass, warn, type ReadContext,
} from './read-context.js';
import { laneFromAnywhere, readAlgorithm } from './read-2012.js';
import { invalid, parseBoolean, parseNonNegative, parseNumber, parseNumberList, roundTo } from './simple-types.js';
import type { XmlElement } from './xml-tree.js';

const ALARM_FLAGS = new Set(['Alarmed', 'AlarmIndicator', 'Alarm']);

interface DetectorSeen {
  order: string[];
  types: Map<string, string | undefined>;
}

export function read2006(root: XmlElement, ctx: ReadContext): N42Document {
  const { q } = ctx;
  const seen: DetectorSeen = { order: [], types: new Map() };
  const doc: N42Document = {
    version: '2006', namespace: root.ns, instrument: { versions: [], characteristics: [] }, detectors: [],
    measurements: [], derived: [], groups: [], analyses: [], extensions: collectExtensions(root, q), warnings: ctx.warnings,
  };
  for (const [i, m] of q.kids(root, 'Measurement').entries()) {
    const uuid = attr(m, 'UUID')?.trim();
    const real = uuid !== undefined && uuid !== '';
    const groupId = real ? uuid : `Measurement-${i + 1}`;
    if (doc.uuid === undefined && real) doc.uuid = uuid;
    doc.groups.push(real ? { id: groupId } : { id: groupId, synthetic: true });
    const info = q.kid(m, 'InstrumentInformation');
    if (info !== undefined && doc.instrument.manufacturer === undefined && doc.instrument.model === undefined) doc.instrument = readInstrument(info, ctx);
    const measurementCal = energyCalibration(m, ctx);
    for (const s of q.kids(m, 'Spectrum')) doc.measurements.push(spectrumMeasurement(s, groupId, measurementCal, seen, ctx));
    for (const c of q.kids(m, 'CountDoseData')) doc.measurements.push(countMeasurement(c, groupId, seen, ctx));
    for (const d of q.kids(m, 'DetectorData')) doc.measurements.push(detectorDataSlice(d, groupId, measurementCal, seen, ctx));
    const analysis = readAnalysis(m, groupId, ctx);
    if (analysis !== undefined) doc.analyses.push(analysis);
  }
  doc.detectors = seen.order.map((id): N42Detector => {
    const raw = seen.types.get(id);
    const category = detectorCategory(raw ?? id);
    const d: N42Detector = { id };
    if (raw !== undefined) d.categoryRaw = raw;
    if (category !== undefined && category !== 'other') d.category = category;
    return d;
  });
  if (doc.instrument.lane === undefined) {
    const lane = laneFromAnywhere(root);
    if (lane !== undefined) doc.instrument.lane = lane;
  }
  return doc;
}

function readInstrument(el: XmlElement, ctx: ReadContext): N42Instrument {
  const { q } = ctx;
  const inst: N42Instrument = { versions: [], characteristics: [] };
  const set = <K extends 'manufacturer' | 'model' | 'serial' | 'description' | 'classCode'>(k: K, v: string | undefined): void => {
    if (v !== undefined) inst[k] = v;
  };
  set('manufacturer', q.text(el, 'Manufacturer'));
  set('model', q.text(el, 'InstrumentModel'));
  set('serial', q.text(el, 'InstrumentID'));
  set('description', q.text(el, 'InstrumentDescription'));
  set('classCode', q.text(el, 'InstrumentType'));
  const version = q.text(el, 'InstrumentVersion');
  if (version !== undefined) inst.versions.push({ component: 'Firmware', version });
  const lane = laneFromAnywhere(el);
  if (lane !== undefined) inst.lane = lane;
  return inst;
}

function noteDetector(seen: DetectorSeen, id: string, type: string | undefined): void {
  if (!seen.types.has(id)) seen.order.push(id);
  if (type !== undefined || !seen.types.has(id)) seen.types.set(id, type ?? seen.types.get(id));
}

/** Detector id and type from attributes (Detector, DetectorType) or children, with a fallback. */
function detectorOf(el: XmlElement, ctx: ReadContext, outer?: { id?: string; type?: string }): { id: string; type?: string } {
  const type = attr(el, 'DetectorType') ?? ctx.q.text(el, 'DetectorType') ?? outer?.type;
  const id = attr(el, 'Detector') ?? attr(el, 'DetectorName') ?? outer?.id ?? type ?? 'Gamma';
  return type === undefined ? { id } : { id, type };
}

/** Calibration Type="Energy" with Equation Model="Polynomial" Coefficients, under `el`. */
function energyCalibration(el: XmlElement, ctx: ReadContext): N42EnergyCalibration | undefined {
  const { q } = ctx;
  for (const cal of q.kids(el, 'Calibration')) {
    const type = attr(cal, 'Type');
    if (type !== undefined && type.toLowerCase() !== 'energy') continue;
    const coefficients = q.text(q.kid(cal, 'Equation') ?? cal, 'Coefficients');
    if (coefficients !== undefined) return { coefficients: parseNumberList(coefficients, 'Coefficients') };
  }
  return undefined;
}

function readSpectrum(el: XmlElement, detectorId: string, fallbackCal: N42EnergyCalibration | undefined, ctx: ReadContext): N42Spectrum {
  const channelEl = ctx.q.kid(el, 'ChannelData');
  const compression = channelEl === undefined ? undefined : (attr(channelEl, 'Compression') ?? attr(channelEl, 'compressionCode'));
  const s: N42Spectrum = {
    detectorId,
    channels: channelEl === undefined ? [] : readChannelData(channelEl.text, compression, ctx.maxChannels, 'ChannelData'),
  };
  if (compression !== undefined) s.compression = compression;
  const id = attr(el, 'ID') ?? attr(el, 'id');
  if (id !== undefined) s.id = id;
  const live = childDuration(ctx, el, 'LiveTime');
  if (live !== undefined) s.liveTimeS = live;
  const cal = energyCalibration(el, ctx) ?? fallbackCal;
  if (cal !== undefined) s.calibration = cal;
  return s;
}

function baseMeasurement(el: XmlElement, groupId: string, ctx: ReadContext, realTimeNames: readonly string[]): N42Measurement {
  const classRaw = ctx.q.text(el, 'SourceType') ?? attr(el, 'SourceType');
  const m: N42Measurement = { origin: 'Measurement', classCode: measurementClass(classRaw), groupRefs: [groupId], grossCounts: [], spectra: [], doseRates: [] };
  const id = attr(el, 'ID') ?? attr(el, 'id');
  if (id !== undefined) m.id = id;
  if (classRaw !== undefined) m.classRaw = classRaw;
  const start = childTime(ctx, el, 'StartTime');
  if (start !== undefined) m.startMs = start;
  for (const name of realTimeNames) {
    const real = childDuration(ctx, el, name);
    if (real !== undefined) {
      m.realTimeS = real;
      break;
    }
  }
  const occupied = ctx.q.text(el, 'Occupied');
  if (occupied !== undefined) {
    const b = parseBoolean(occupied);
    if (b === undefined) throw invalid(`Occupied: "${occupied}" is not a boolean`, { element: 'Occupied', value: occupied });
    m.occupied = b;
  }
  return m;
}

function spectrumMeasurement(el: XmlElement, groupId: string, cal: N42EnergyCalibration | undefined, seen: DetectorSeen, ctx: ReadContext): N42Measurement {
  const m = baseMeasurement(el, groupId, ctx, ['RealTime']);
  const det = detectorOf(el, ctx);
  noteDetector(seen, det.id, det.type ?? 'Gamma');
  m.spectra.push(readSpectrum(el, det.id, cal, ctx));
  return m;
}

function countMeasurement(el: XmlElement, groupId: string, seen: DetectorSeen, ctx: ReadContext): N42Measurement {
  const m = baseMeasurement(el, groupId, ctx, ['SampleRealTime', 'RealTime']);
  addCounts(m, el, detectorOf(el, ctx), seen, ctx);
  return m;
}

/** Counts, live time and dose rate of one CountDoseData element. */
function addCounts(m: N42Measurement, el: XmlElement, det: { id: string; type?: string }, seen: DetectorSeen, ctx: ReadContext): void {
  noteDetector(seen, det.id, det.type);
  const counts = childNonNegative(ctx, el, 'Counts');
  if (counts !== undefined) {
    const live = childDuration(ctx, el, 'LiveTime');
    m.grossCounts.push(live === undefined ? { detectorId: det.id, counts } : { detectorId: det.id, counts, liveTimeS: live });
  }
  const doseEl = ctx.q.kid(el, 'DoseRate');
  if (doseEl !== undefined && doseEl.text !== '') {
    const rate = doseToMicroSievert(parseNonNegative(doseEl.text, 'DoseRate'), attr(doseEl, 'Units'), ctx);
    if (rate !== undefined) m.doseRates.push({ detectorId: det.id, uSvPerH: rate, kind: 'DoseRate' } satisfies N42DoseRate);
  }
}

/** 2006 dose rates carry their unit; anything but a known dose-equivalent rate is kept out (with a warning). */
function doseToMicroSievert(value: number, units: string | undefined, ctx: ReadContext): number | undefined {
  const u = (units ?? 'uSv/h').trim().toLowerCase().replace('µ', 'u').replace('μ', 'u').replace(/[_ ]/g, '/');
  const factors: Readonly<Record<string, number>> = { 'usv/h': 1, 'nsv/h': 0.001, 'msv/h': 1000, 'urem/h': 0.01, 'mrem/h': 10 };
  const f = factors[u];
  if (f === undefined) {
    warn(ctx, `DoseRate unit "${units ?? ''}" is not a dose-equivalent rate the gateway converts: value left in the document`);
    return undefined;
  }
  return roundTo(value * f, 9);
}

function detectorDataSlice(el: XmlElement, groupId: string, cal: N42EnergyCalibration | undefined, seen: DetectorSeen, ctx: ReadContext): N42Measurement {
  const { q } = ctx;
  const m = baseMeasurement(el, groupId, ctx, ['SampleRealTime', 'RealTime']);
  for (const dm of q.kids(el, 'DetectorMeasurement')) {
    const det = detectorOf(dm, ctx);
    for (const c of q.kids(dm, 'CountDoseData')) addCounts(m, c, detectorOf(c, ctx, det), seen, ctx);
    const spectra = [...q.kids(dm, 'Spectrum'), ...q.kids(dm, 'SpectrumMeasurement').flatMap((sm) => q.kids(sm, 'Spectrum'))];
    for (const s of spectra) {
      const sd = detectorOf(s, ctx, det);
      noteDetector(seen, sd.id, sd.type ?? 'Gamma');
      m.spectra.push(readSpectrum(s, sd.id, cal, ctx));
    }
    const counts = childNonNegative(ctx, dm, 'Counts') ?? childNonNegative(ctx, dm, 'GrossCounts');
    if (counts !== undefined) {
      noteDetector(seen, det.id, det.type);
      m.grossCounts.push({ detectorId: det.id, counts });
    }
  }
  return m;
}

/** AnalysisResults plus every alarm flag of the Measurement; undefined when there is neither. */
function readAnalysis(measurement: XmlElement, groupId: string, ctx: ReadContext): N42Analysis | undefined {
  const { q } = ctx;
  const results = q.kids(measurement, 'AnalysisResults');
  const alarms: N42Alarm[] = [];
  for (const parent of walk(measurement)) {
    for (const el of parent.children) {
      if (!ALARM_FLAGS.has(el.name) || !q.isN42(el)) continue;
      const alarm = readAlarmFlag(el, parent, ctx);
      if (alarm !== undefined) alarms.push(alarm);
    }
  }
  if (results.length === 0 && alarms.length === 0) return undefined;
  const a: N42Analysis = { measurementRefs: [], groupRefs: [groupId], derivedRefs: [], alarms, nuclides: [], doseRates: [] };
  for (const r of results) {
    const alg = readAlgorithm(r, ctx);
    if (alg !== undefined && a.algorithm === undefined) a.algorithm = alg;
    const threat = q.text(r, 'ThreatDescription');
    if (threat !== undefined && a.description === undefined) a.description = threat;
    for (const na of q.kids(r, 'NuclideAnalysis')) for (const n of q.kids(na, 'Nuclide')) a.nuclides.push(readNuclide(n, ctx));
  }
  return a;
}

/**
 * An alarm flag: `<Alarmed>true</Alarmed>`, `<Alarm Type="Neutron"/>`, `<Alarm>Gamma</Alarm>` or a
 * structured `<Alarm><AlarmType>..</AlarmType></Alarm>`. The category comes from the flag's own
 * attributes, an AlarmType/AlarmCategory child or sibling, a non-boolean text, or the enclosing
 * detector's type. A flag that reads false is no alarm.
 */
function readAlarmFlag(el: XmlElement, parent: XmlElement, ctx: ReadContext): N42Alarm | undefined {
  const { q } = ctx;
  const flag = el.text === '' ? undefined : parseBoolean(el.text);
  if (flag === false) return undefined;
  const typeText = (from: XmlElement): string | undefined => q.text(from, 'AlarmType') ?? q.text(from, 'AlarmCategory') ?? q.text(from, 'AlarmCategoryCode');
  const categoryRaw = attr(el, 'Type') ?? attr(el, 'AlarmType') ?? attr(el, 'Category') ?? attr(el, 'DetectorType')
    ?? typeText(el) ?? (flag === undefined && el.text !== '' ? el.text : undefined) ?? typeText(parent)
    ?? attr(parent, 'DetectorType') ?? q.text(parent, 'DetectorType');
  const alarm: N42Alarm = { categories: alarmCategories(categoryRaw), detectorIds: [] };
  if (categoryRaw !== undefined) alarm.categoryRaw = categoryRaw;
  const det = attr(parent, 'Detector');
  if (det !== undefined) alarm.detectorIds.push(det);
  const description = q.text(el, 'AlarmDescription') ?? q.text(parent, 'AlarmDescription');
  if (description !== undefined) alarm.description = description;
  return alarm;
}

function readNuclide(el: XmlElement, ctx: ReadContext): N42Nuclide {
  const { q } = ctx;
  const n: N42Nuclide = { name: q.text(el, 'NuclideName') ?? 'unknown' };
  const type = q.text(el, 'NuclideType');
  if (type !== undefined) n.categoryDescription = type;
  const confText = q.text(el, 'NuclideIDConfidence') ?? q.text(el, 'NuclideIDConfidenceIndication');
  if (confText !== undefined) {
    if (/^\s*[+-]?\d+(\.\d+)?\s*$/.test(confText)) {
      const v = parseNumber(confText, 'NuclideIDConfidence');
      if (v < 0 || v > 100) throw invalid(`NuclideIDConfidence: ${v} is outside 0..100`, { element: 'NuclideIDConfidence', value: confText });
      n.confidence = v;
    } else {
      n.confidenceText = confText;
    }
  }
  const identified = q.text(el, 'NuclideIdentifiedIndicator');
  if (identified !== undefined) {
    const b = parseBoolean(identified);
    if (b !== undefined) n.identified = b;
  }
  const activityEl = q.kid(el, 'NuclideActivity');
  if (activityEl !== undefined && activityEl.text !== '') {
    const unit = attr(activityEl, 'Units') ?? 'kBq';
    n.activity = { value: parseNonNegative(activityEl.text, 'NuclideActivity'), unit: unit.replace('µ', 'u').replace('μ', 'u') };
  }
  return n;
}
