/**
 * A page of a scanner's poll API, pure. The scanner serves (adapters/cargo-scanner-http/README.md):
 *
 *   GET {url}?since=<sequence>&limit=<n>  ->  {"scans": [{"sequence": 12, "report": {...}}], "next": "12"}
 *
 * where every report is a threat report (threat-report.ts) whose images carry the `uri` the
 * scanner serves them at. The gateway's image fetcher (poll-images.ts) fetches and stores those
 * images, then hands the pipeline a poll envelope: the page text verbatim plus, for each image
 * uri, the stored copy. Only frames the fetcher made (named POLL_FRAME_PREFIX...) may carry an
 * envelope; a bare page is read as is, its images referenced where the scanner serves them.
 */
import { fail, ok, type DecodeFailure, type Result } from '../adapter/types.js';
import type { JsonValue } from '../schema/detection-event.js';
import type { DecodedReport } from './decode-report.js';
import { artifactUriOf, type StoredImage } from './report-events.js';
import { checkThreatReport } from './threat-report-schema.js';
import type { ImageKind, ThreatReport } from './threat-report.js';

export const POLL_FORMAT = 'borderlink-scanner-poll/1';
/** Names of the frames the image fetcher makes (it alone has stored the images it lists). */
export const POLL_FRAME_PREFIX = 'scanner-poll:';
/** Scans per page accepted. */
export const MAX_SCANS_PER_PAGE = 500;

/** An image the fetcher stored, by the uri the report gives for it. */
export interface FetchedImage {
  uri: string;
  sha256: string;
  bytes: number;
  mediaType: string;
}

export interface ScannerPollEnvelope {
  format: typeof POLL_FORMAT;
  /** the page exactly as the scanner served it (UTF-8) */
  page: string;
  images: FetchedImage[];
}

/**
 * One report of a page, or why it cannot be read: a bad report fails on its own (quarantined by
 * the adapter) while the page's other reports go on, so one bad scan does not stall the poll.
 */
export type PolledReport =
  | { sequence: number; decoded: DecodedReport }
  | { sequence: number; error: DecodeFailure };

function invalid(message: string, detail?: { [key: string]: JsonValue }): { ok: false; error: DecodeFailure } {
  return fail(detail === undefined ? { code: 'BL_ERR_DICOS_REPORT_INVALID', message } : { code: 'BL_ERR_DICOS_REPORT_INVALID', message, detail });
}

const isObj = (v: unknown): v is { [k: string]: unknown } => typeof v === 'object' && v !== null && !Array.isArray(v);
const SHA256 = /^[0-9a-f]{64}$/;

/**
 * The image uris a page's reports name (for the fetcher; lenient: a bad page is the codec's to
 * refuse), leaving out reports at or below `afterSequence` (committed before: a page polled again).
 */
export function imageUrisOfPage(page: unknown, afterSequence = -1): Array<{ uri: string; sha256?: string; mediaType?: string }> {
  const out: Array<{ uri: string; sha256?: string; mediaType?: string }> = [];
  const scans = isObj(page) && Array.isArray(page.scans) ? page.scans : [];
  for (const s of scans.slice(0, MAX_SCANS_PER_PAGE)) {
    if (isObj(s) && typeof s.sequence === 'number' && s.sequence <= afterSequence) continue;
    const images = isObj(s) && isObj(s.report) && Array.isArray(s.report.images) ? s.report.images : [];
    for (const img of images) {
      if (!isObj(img) || typeof img.uri !== 'string' || out.some((o) => o.uri === img.uri)) continue;
      out.push({
        uri: img.uri,
        ...(typeof img.sha256 === 'string' ? { sha256: img.sha256.toLowerCase() } : {}),
        ...(typeof img.mediaType === 'string' ? { mediaType: img.mediaType } : {}),
      });
    }
  }
  return out;
}

function fetchedOf(v: unknown): FetchedImage | undefined {
  if (!isObj(v)) return undefined;
  const { uri, sha256, bytes, mediaType } = v;
  if (typeof uri !== 'string' || typeof sha256 !== 'string' || !SHA256.test(sha256) || typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0 || typeof mediaType !== 'string') return undefined;
  return { uri, sha256, bytes, mediaType };
}

/** Parses a poll page (or, where allowed, a poll envelope) into its reports, sorted by sequence. */
export function decodePollPage(data: Buffer, opts: { allowEnvelope: boolean; format?: string }): Result<PolledReport[], DecodeFailure> {
  let text: string;
  let parsed: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data).replace(/^\uFEFF/, '');
    parsed = JSON.parse(text);
  } catch (e) {
    return invalid(`the poll page is not UTF-8 JSON: ${(e as Error).message}`);
  }
  let fetched: FetchedImage[] = [];
  if (isObj(parsed) && parsed.format === POLL_FORMAT) {
    if (!opts.allowEnvelope) return invalid('a poll envelope is accepted only from the gateway\'s image fetcher');
    if (typeof parsed.page !== 'string' || !Array.isArray(parsed.images)) return invalid('the poll envelope is malformed (page, images)');
    const images: FetchedImage[] = [];
    for (const v of parsed.images) {
      const f = fetchedOf(v);
      if (f === undefined) return invalid('the poll envelope lists a malformed image');
      images.push(f);
    }
    fetched = images;
    try {
      parsed = JSON.parse(parsed.page);
    } catch (e) {
      return invalid(`the poll page is not JSON: ${(e as Error).message}`);
    }
  }
  if (!isObj(parsed) || !Array.isArray(parsed.scans)) return invalid('the poll page has no "scans" list');
  if (parsed.scans.length > MAX_SCANS_PER_PAGE) return invalid(`the poll page has ${parsed.scans.length} scans; at most ${MAX_SCANS_PER_PAGE} are read`);
  const out: PolledReport[] = [];
  for (const [i, s] of parsed.scans.entries()) {
    if (!isObj(s) || !Number.isSafeInteger(s.sequence) || (s.sequence as number) < 0) return invalid(`scans[${i}].sequence must be a non-negative integer`, { scan: i });
    const checked = checkThreatReport(s.report);
    if (!checked.ok) {
      const error = invalid(`scans[${i}] (sequence ${String(s.sequence)}): the report does not match the scanner threat-report schema: ${checked.errors.slice(0, 5).join('; ')}`, { scan: i, sequence: s.sequence as number, errors: checked.errors.slice(0, 20) }).error;
      out.push({ sequence: s.sequence as number, error });
      continue;
    }
    const report: ThreatReport = checked.value;
    const stored: StoredImage[] = [];
    (report.images ?? []).forEach((img, j) => {
      const f = img.uri === undefined ? undefined : fetched.find((x) => x.uri === img.uri);
      if (f === undefined) return;
      stored.push({ id: img.id ?? String(j), sha256: f.sha256, bytes: f.bytes, mediaType: img.mediaType, uri: artifactUriOf(f.sha256), ...(img.kind ? { kind: img.kind as ImageKind } : {}) });
    });
    out.push({ sequence: s.sequence as number, decoded: { report, stored, format: opts.format ?? 'dicos-tdr-json' } });
  }
  return ok(out.sort((a, b) => a.sequence - b.sequence));
}

/** The envelope's bytes. */
export function encodePollEnvelope(page: string, images: readonly FetchedImage[]): Buffer {
  const env: ScannerPollEnvelope = { format: POLL_FORMAT, page, images: images.map((i) => ({ uri: i.uri, sha256: i.sha256, bytes: i.bytes, mediaType: i.mediaType })) };
  return Buffer.from(JSON.stringify(env), 'utf8');
}
