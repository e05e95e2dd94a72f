/**
 * A DICOS-style threat detection report as an X-ray scanner sends it in JSON: the fields of the
 * DICOS Threat Detection Report (TDR) that matter at a border, with DICOS's own code words
 * (Alarm Decision, Abort Flag, Threat Category, Assessment Flag), so a vendor that already
 * writes DICOS TDRs maps them one to one. The JSON Schema a scanner's JSON is checked against is
 * THREAT_REPORT_SCHEMA (threat-report-schema.ts; schemas/scanner/threat-report.schema.json is a
 * copy for vendors). README: adapters/cargo-scanner-http/README.md.
 *
 * A report of `tdrType` MACHINE is the scanner's automatic result; OPERATOR is a screener's
 * later verdict on the same scan (DICOS's operator TDR), linked by `scanId`.
 */
import type { ConveyanceType, DocumentType, JsonValue } from '../schema/detection-event.js';

export type AlarmDecision = 'ALARM' | 'CLEAR' | 'UNKNOWN';
export const ALARM_DECISIONS: readonly AlarmDecision[] = ['ALARM', 'CLEAR', 'UNKNOWN'];

export type AbortFlag = 'SUCCESS' | 'ABORT';

export type TdrType = 'MACHINE' | 'OPERATOR';

/** DICOS Threat Category terms this gateway maps; other upper-case terms are kept verbatim and read as `other`. */
export type DicosThreatCategory = 'EXPLOSIVE' | 'PI' | 'CONTRABAND' | 'ANOMALY' | 'LAPTOP' | 'OTHER' | 'PHARMACEUTICAL';
export const DICOS_THREAT_CATEGORIES: readonly DicosThreatCategory[] = ['EXPLOSIVE', 'PI', 'CONTRABAND', 'ANOMALY', 'LAPTOP', 'OTHER', 'PHARMACEUTICAL'];

/** DICOS ATD Assessment Flag. */
export type AssessmentFlag = 'HIGH_THREAT' | 'THREAT' | 'NO_THREAT' | 'UNKNOWN';
export const ASSESSMENT_FLAGS: readonly AssessmentFlag[] = ['HIGH_THREAT', 'THREAT', 'NO_THREAT', 'UNKNOWN'];

/** How the scanner names the kind of an image it references. */
export type ImageKind = 'dx' | 'ct' | 'tdr' | 'image';

export interface ReportDevice {
  manufacturer?: string;
  model?: string;
  serial?: string;
  softwareVersion?: string;
}

export interface ReportAlgorithm {
  /** DICOS Threat Detection Algorithm and Version: the ATR's name */
  name: string;
  version?: string;
  settings?: { [key: string]: JsonValue };
}

export interface ReportConveyance {
  type: ConveyanceType;
  /** as read (OCR) or entered; the gateway compacts it and verifies check digits */
  id: string;
  /** identifier scheme; default iso6346 for containers, plate for road vehicles */
  scheme?: string;
  /** OCR read confidence, 0..1 */
  confidence?: number;
}

export interface ReportDocument {
  type: DocumentType;
  id: string;
}

/** One image (or volume) of the scan. */
export interface ImageRef {
  /**
   * How threat objects name it. For uploads: the multipart field name or the file name of the
   * part that carries it. Default: its position, "0", "1", ...
   */
  id?: string;
  /** where the scanner serves it (polling), or where the gateway stored it */
  uri?: string;
  /** lower-case hex SHA-256 of the bytes, when the scanner states it */
  sha256?: string;
  mediaType: string;
  bytes?: number;
  /** dx: DICOS DX projection; ct: DICOS CT volume; tdr: a DICOS TDR file; image: a plain picture */
  kind?: ImageKind;
}

/** One DICOS Potential Threat Object. */
export interface ThreatObject {
  /** the scanner's id of the object, unique within the report */
  id: string;
  /** free description ("dense organic block") */
  name?: string;
  /** DICOS Threat Category */
  category: string;
  assessment?: AssessmentFlag;
  /** ATD Assessment Probability, 0..1 */
  probability?: number;
  /** id of the image the region lies on; default: the report's first image */
  image?: string;
  /** image: 2-D pixel coordinates; volume: 3-D voxels; default by the length of base */
  frame?: 'image' | 'volume';
  /** corner with the lowest coordinates [x, y] or [x, y, z] */
  base?: number[];
  /** size along each axis */
  extent?: number[];
  polygon?: number[][];
}

export interface ThreatReport {
  /** the object-of-inspection / scan id: subject.inspectionId */
  scanId: string;
  /** default MACHINE */
  tdrType?: TdrType;
  /** when the scan began (device clock): observedAt */
  scanTime: string;
  scanEndTime?: string;
  alarmDecision: AlarmDecision;
  alarmDecisionTime?: string;
  /** default SUCCESS; ABORT makes the outcome `aborted` */
  abortFlag?: AbortFlag;
  abortReason?: string;
  /** OPERATOR reports: who decided */
  operatorId?: string;
  device?: ReportDevice;
  algorithm?: ReportAlgorithm;
  conveyances?: ReportConveyance[];
  documents?: ReportDocument[];
  threatObjects?: ThreatObject[];
  images?: ImageRef[];
  /** the device's own identifiers (SOP Instance UIDs, vendor result id) */
  nativeIds?: { [key: string]: string };
  /** vendor fields with no home above, kept verbatim in raw.extensions */
  extensions?: { [key: string]: JsonValue };
}

/** Scanner states a device reports (OPC UA Scanner.State, the simulator's status). */
export type ScannerState = 'ready' | 'scanning' | 'fault' | 'maintenance';
export const SCANNER_STATES: readonly ScannerState[] = ['ready', 'scanning', 'fault', 'maintenance'];
