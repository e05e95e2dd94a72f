/**
 * The JCAMP-DX document model and its failure type. A spectrum carries both the typed fields an
 * adapter needs and every label as written (normalised name -> raw value), so nothing in the file
 * is lost even when the reader has no typed field for it.
 */
import type { ErrorCode } from '../errors.js';

/** The data table a spectrum came from (the record name, not the variable list). */
export type JcampForm = 'XYDATA' | 'XYPOINTS' | 'PEAKTABLE';

/** ASDF number forms, in the order `encodings` lists them. */
export type JcampEncoding = 'AFFN' | 'PAC' | 'SQZ' | 'DIF' | 'DUP';
export const ENCODING_ORDER: readonly JcampEncoding[] = ['AFFN', 'PAC', 'SQZ', 'DIF', 'DUP'];

export interface JcampSpectrum {
  title: string;
  /** ##JCAMP-DX (inherited from the enclosing LINK block when a child block has none) */
  jcampVersion?: string;
  dataType?: string;
  origin?: string;
  owner?: string;
  xUnits?: string;
  yUnits?: string;
  /** ##XFACTOR, 1 when absent; already applied to `x` */
  xFactor: number;
  /** ##YFACTOR, 1 when absent; already applied to `y` */
  yFactor: number;
  /** x[0] and x[npoints - 1]; for (X++(Y..Y)) with FIRSTX and LASTX these are the header values exactly */
  firstX: number;
  lastX: number;
  npoints: number;
  form: JcampForm;
  x: Float64Array;
  y: Float64Array;
  /** peak widths of a (XYW..XYW) table, as written (no factor applied: the standard defines none for W) */
  w?: Float64Array;
  /** the ASDF forms seen in the ordinates (and the pairs of XY tables), e.g. ['SQZ', 'DIF', 'DUP'] or ['AFFN'] */
  encodings: JcampEncoding[];
  /**
   * ##LONGDATE, or ##DATE with ##TIME, as ISO 8601 when the date is unambiguous: `YYYY-MM-DD`,
   * `YYYY-MM-DDTHH:MM:SS` (local time of the instrument, no zone written) or with an offset when
   * LONGDATE gives one. Undefined otherwise; the raw values stay in `labels`.
   */
  observedAt?: string;
  casRegistryNo?: string;
  molform?: string;
  /** ##SPECTROMETER/DATA SYSTEM */
  spectrometer?: string;
  /** every standard label of the block: normalised name (XUNITS, DATATYPE...) -> value as written, trimmed; data tables keep their variable list only */
  labels: Record<string, string>;
  /** every ##$ label: name as written after the ## (with its $) -> value */
  privateLabels: Record<string, string>;
  /** things the reader tolerated but a human may want to know (e.g. a header X off by a step) */
  warnings: string[];
}

export interface JcampDocument {
  /** blocks that have a data table, in file order */
  blocks: JcampSpectrum[];
  /** blocks without a data table: LINK containers of compound files, structure or note blocks */
  linkBlocks: number;
}

export interface JcampError {
  code: ErrorCode;
  message: string;
  /** 1-based line of the input the failure was found at */
  line?: number;
}

export interface JcampParseOptions {
  /** refuse larger input unread (BL_ERR_JCAMP_TOO_LARGE); default 20 MiB */
  maxBytes?: number;
  /** refuse a document whose blocks hold more points in total (BL_ERR_JCAMP_TOO_LARGE); default 2^20 */
  maxPoints?: number;
}

export const JCAMP_DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
/**
 * Total points over all blocks. 2^20 is ten times the densest FT-IR spectrum in use and keeps
 * the worst case at 16 MiB of Float64Array; the limit matters because a DUP count of a few bytes
 * ("Z99999999") would otherwise allocate gigabytes.
 */
export const JCAMP_DEFAULT_MAX_POINTS = 1 << 20;

/**
 * Thrown inside the reader only, caught by parseJcamp and returned as a failure: the reader is
 * deep (block, record, line, token) and unwinding by exception keeps each level readable.
 */
export class JcampFailure extends Error {
  readonly error: JcampError;
  constructor(error: JcampError) {
    super(error.message);
    this.name = 'JcampFailure';
    this.error = error;
  }
}

const at = (line: number | undefined, message: string): string => (line === undefined ? message : `line ${line}: ${message}`);

export const invalid = (line: number | undefined, message: string): JcampFailure =>
  new JcampFailure(line === undefined ? { code: 'BL_ERR_JCAMP_INVALID', message } : { code: 'BL_ERR_JCAMP_INVALID', message: at(line, message), line });

export const unsupported = (line: number | undefined, message: string): JcampFailure =>
  new JcampFailure(line === undefined ? { code: 'BL_ERR_JCAMP_UNSUPPORTED', message } : { code: 'BL_ERR_JCAMP_UNSUPPORTED', message: at(line, message), line });

export const tooLarge = (line: number | undefined, message: string): JcampFailure =>
  new JcampFailure(line === undefined ? { code: 'BL_ERR_JCAMP_TOO_LARGE', message } : { code: 'BL_ERR_JCAMP_TOO_LARGE', message: at(line, message), line });

export const yCheckFailed = (line: number, message: string): JcampFailure =>
  new JcampFailure({ code: 'BL_ERR_JCAMP_YCHECK', message: at(line, message), line });
