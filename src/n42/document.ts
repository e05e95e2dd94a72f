/**
 * An ANSI N42.42 document as the gateway understands it, one shape for both editions (2012 and
 * 2006), so the mapping to DetectionEvent v1 is written once. Everything is already parsed:
 * times in ms since the epoch, durations in seconds, channel data decompressed. What the
 * gateway does not interpret but should not lose goes into `extensions` (vendor namespaces).
 */
import type { Category, JsonValue } from '../schema/detection-event.js';

export type N42Version = '2012' | '2006';

export const N42_2012_NAMESPACE = 'http://physics.nist.gov/N42/2011/N42';
export const N42_2006_NAMESPACE = 'http://physics.nist.gov/Divisions/Div846/Gp4/ANSIN4242/2005/ANSIN4242';

export type DetectorCategory = 'gamma' | 'neutron' | 'alpha' | 'beta' | 'x-ray' | 'other';

/** MeasurementClassCode (2012) or SourceType (2006), lower-cased. */
export type MeasurementClass = 'foreground' | 'background' | 'calibration' | 'intrinsic' | 'not-specified';

export interface N42Instrument {
  /** the element's id attribute (2012) */
  id?: string;
  manufacturer?: string;
  model?: string;
  /** RadInstrumentIdentifier (2012) / InstrumentID (2006): the serial number in practice */
  serial?: string;
  description?: string;
  /** RadInstrumentClassCode (2012) / InstrumentType (2006), verbatim */
  classCode?: string;
  /** RadInstrumentVersion components (Firmware, Software, Hardware...) */
  versions: Array<{ component: string; version: string }>;
  /** RadInstrumentCharacteristics as name/value/units */
  characteristics: Array<{ name: string; value: string; units?: string }>;
  /** lane the instrument says it serves (LaneNumber, a lane characteristic or a vendor element) */
  lane?: string;
}

export interface N42Detector {
  id: string;
  name?: string;
  category?: DetectorCategory;
  /** the category word as written */
  categoryRaw?: string;
  /** RadDetectorKindCode: NaI, HPGe, PVT, He3... */
  kind?: string;
  description?: string;
}

export interface N42EnergyCalibration {
  id?: string;
  /** polynomial E(ch) = c0 + c1*ch + c2*ch^2..., keV, ch = channel index from 0 */
  coefficients?: number[];
  /** lower energy of each channel plus the upper edge of the last, keV */
  energyBoundaries?: number[];
}

export interface N42GrossCounts {
  detectorId?: string;
  liveTimeS?: number;
  /** sum of the CountData values (one per energy window where a device splits them) */
  counts: number;
}

export interface N42Spectrum {
  id?: string;
  detectorId?: string;
  calibration?: N42EnergyCalibration;
  liveTimeS?: number;
  /** decompressed channel contents */
  channels: number[];
  /** the compression the document declared (CountedZeroes), for the record */
  compression?: string;
}

export interface N42DoseRate {
  detectorId?: string;
  /** micro-sievert per hour (N42.42-2012 unit; 2006 values converted where the unit is known) */
  uSvPerH: number;
  /** where it came from: DoseRate, AverageDoseRate, MaximumDoseRate */
  kind: string;
}

/** A RadMeasurement (2012), DerivedData (2012) or a 2006 measurement slice. */
export interface N42Measurement {
  origin: 'RadMeasurement' | 'DerivedData' | 'Measurement';
  id?: string;
  classCode: MeasurementClass;
  classRaw?: string;
  startMs?: number;
  realTimeS?: number;
  /** RadMeasurementGroup ids (2012) or the enclosing 2006 Measurement */
  groupRefs: string[];
  /** OccupancyIndicator (2012) / Occupied (2006), where present */
  occupied?: boolean;
  grossCounts: N42GrossCounts[];
  spectra: N42Spectrum[];
  doseRates: N42DoseRate[];
  /** RadItemState/StateVector/SpeedValue (m/s in the document), converted */
  speedKmh?: number;
}

export interface N42Alarm {
  /** RadAlarmCategoryCode (or the 2006 alarm's type) as written */
  categoryRaw?: string;
  categories: Category[];
  detectorIds: string[];
  description?: string;
  atMs?: number;
}

export interface N42Nuclide {
  name: string;
  identified?: boolean;
  /** NuclideIDConfidenceValue, 0..100 */
  confidence?: number;
  /** NuclideIDConfidenceDescription / Indication when no number is given */
  confidenceText?: string;
  /** NuclideCategoryDescription (Industrial, Medical, NORM, SNM...) or 2006 NuclideType */
  categoryDescription?: string;
  activity?: { value: number; uncertainty?: number; unit: string };
}

export interface N42Algorithm {
  name?: string;
  creator?: string;
  version?: string;
  settings: { [key: string]: JsonValue };
}

export interface N42Analysis {
  id?: string;
  measurementRefs: string[];
  groupRefs: string[];
  derivedRefs: string[];
  algorithm?: N42Algorithm;
  startMs?: number;
  alarms: N42Alarm[];
  nuclides: N42Nuclide[];
  doseRates: N42DoseRate[];
  statusCode?: string;
  description?: string;
}

export interface N42Document {
  version: N42Version;
  /** the root element's namespace ('' when the document declares none) */
  namespace: string;
  /** n42DocUUID (2012) or the first 2006 Measurement UUID */
  uuid?: string;
  createdBy?: string;
  instrument: N42Instrument;
  detectors: N42Detector[];
  /** RadMeasurement elements (2012) or 2006 measurement slices, document order */
  measurements: N42Measurement[];
  /** DerivedData elements (2012): the device's own sums */
  derived: N42Measurement[];
  /** RadMeasurementGroups (2012) or Measurements (2006; `synthetic` when the Measurement has no UUID and the id was made up) */
  groups: Array<{ id: string; description?: string; synthetic?: boolean }>;
  analyses: N42Analysis[];
  /** elements in foreign (vendor) namespaces, by namespace URI then local name */
  extensions: { [namespace: string]: { [name: string]: JsonValue } };
  /** what was tolerated on the way (missing time zone, unknown detector category...) */
  warnings: string[];
}
