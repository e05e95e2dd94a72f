/**
 * Bytes -> ThreatReport, pure. Two shapes arrive as documents:
 *
 *  - a bare threat report (JSON posted to /v1/ingest/{path}, a file in a watched folder, or the
 *    `result` part of an upload);
 *  - an upload envelope, which the scanner upload route (src/http/routes/scanner-upload.ts) makes
 *    from a multipart upload after storing its images: the `result` part verbatim, as text, and
 *    the stored images by reference. The envelope is what the pipeline keeps as the raw
 *    artifact, so the scanner's own bytes survive unchanged inside it, and a retried upload
 *    (same report, same images) is the same document, recognised as a duplicate.
 */
import { fail, ok, type DecodeFailure, type Result } from '../adapter/types.js';
import type { JsonValue } from '../schema/detection-event.js';
import type { StoredImage } from './report-events.js';
import { checkThreatReport } from './threat-report-schema.js';
import type { ImageKind, ThreatReport } from './threat-report.js';

export const UPLOAD_FORMAT = 'borderlink-scanner-upload/1';

/**
 * Names of the frames the upload route makes. An envelope claims that images are stored; only
 * the route, which stored them, may say so: an envelope arriving any other way (a POST to
 * /v1/ingest, whose frames are named by a random UUID, or a file) is refused, so no one can make
 * an event reference artifacts that are not there.
 */
export const UPLOAD_FRAME_PREFIX = 'scanner-upload:';

/** Largest report accepted (a report is small: its images travel beside it). */
export const REPORT_MAX_BYTES = 1024 * 1024;

export interface ScannerUploadEnvelope {
  format: typeof UPLOAD_FORMAT;
  /** the `result` part exactly as the scanner sent it (UTF-8) */
  result: string;
  /** the uploaded images, stored by the gateway, in upload order */
  images: StoredImage[];
}

export interface DecodedReport {
  report: ThreatReport;
  /** images the gateway stored for it (empty for a bare report) */
  stored: StoredImage[];
  /** raw.format of the events made from it */
  format: string;
}

function invalid(message: string, detail?: { [key: string]: JsonValue }): { ok: false; error: DecodeFailure } {
  return fail(detail === undefined ? { code: 'BL_ERR_DICOS_REPORT_INVALID', message } : { code: 'BL_ERR_DICOS_REPORT_INVALID', message, detail });
}

function parseJson(text: string, what: string): Result<unknown, DecodeFailure> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch (e) {
    return invalid(`${what} is not JSON: ${(e as Error).message}`);
  }
}

/** Parses and checks a threat report's JSON text. */
export function parseThreatReport(text: string): Result<ThreatReport, DecodeFailure> {
  const parsed = parseJson(text, 'the threat report');
  if (!parsed.ok) return parsed;
  const checked = checkThreatReport(parsed.value);
  if (!checked.ok) {
    return invalid(`the threat report does not match the scanner threat-report schema: ${checked.errors.slice(0, 5).join('; ')}`, { errors: checked.errors.slice(0, 20) });
  }
  return ok(checked.value);
}

const SHA256 = /^[0-9a-f]{64}$/;
const IMAGE_KINDS: readonly string[] = ['dx', 'ct', 'tdr', 'image'];

function storedImageOf(v: unknown, i: number): Result<StoredImage, DecodeFailure> {
  const o = v as { [k: string]: unknown } | null;
  const bad = (): { ok: false; error: DecodeFailure } => invalid(`upload envelope image ${i} is malformed`);
  if (o === null || typeof o !== 'object') return bad();
  const { id, sha256, bytes, mediaType, uri, kind, aliases } = o;
  if (typeof id !== 'string' || typeof sha256 !== 'string' || !SHA256.test(sha256) || typeof bytes !== 'number' || !Number.isSafeInteger(bytes) || bytes < 0
    || typeof mediaType !== 'string' || typeof uri !== 'string') return bad();
  const img: StoredImage = { id, sha256, bytes, mediaType, uri };
  if (Array.isArray(aliases) && aliases.every((a) => typeof a === 'string')) img.aliases = aliases as string[];
  if (typeof kind === 'string' && IMAGE_KINDS.includes(kind)) img.kind = kind as ImageKind;
  return ok(img);
}

export interface DecodeReportOptions {
  /** default REPORT_MAX_BYTES */
  maxBytes?: number;
  /** raw.format of the events (default dicos-tdr-json) */
  format?: string;
  /** whether an upload envelope is accepted (only for frames the upload route made) */
  allowEnvelope?: boolean;
}

/** A bare report, or an upload envelope where allowed; `maxBytes` at most. */
export function decodeReportDocument(data: Buffer, opts: DecodeReportOptions = {}): Result<DecodedReport, DecodeFailure> {
  const maxBytes = opts.maxBytes ?? REPORT_MAX_BYTES;
  if (data.length > maxBytes) {
    return fail({ code: 'BL_ERR_INGEST_TOO_LARGE', message: `the report is ${data.length} bytes; at most ${maxBytes} are accepted`, detail: { bytes: data.length, maxBytes } });
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return invalid('the threat report is not UTF-8 text');
  }
  const parsed = parseJson(text.replace(/^\uFEFF/, ''), 'the threat report');
  if (!parsed.ok) return parsed;
  const env = parsed.value as Partial<ScannerUploadEnvelope> | null;
  if (env !== null && typeof env === 'object' && !Array.isArray(env) && (env as { format?: unknown }).format === UPLOAD_FORMAT) {
    if (opts.allowEnvelope !== true) return invalid('an upload envelope is accepted only from the scanner upload route (POST /v1/scanners/{path}/results)');
    if (typeof env.result !== 'string' || !Array.isArray(env.images)) return invalid('the upload envelope is malformed (result, images)');
    const stored: StoredImage[] = [];
    for (const [i, v] of (env.images as unknown[]).entries()) {
      const img = storedImageOf(v, i);
      if (!img.ok) return img;
      stored.push(img.value);
    }
    const report = parseThreatReport(env.result.replace(/^\uFEFF/, ''));
    if (!report.ok) return report;
    return ok({ report: report.value, stored, format: opts.format ?? 'dicos-tdr-json' });
  }
  const checked = checkThreatReport(parsed.value);
  if (!checked.ok) {
    return invalid(`the threat report does not match the scanner threat-report schema: ${checked.errors.slice(0, 5).join('; ')}`, { errors: checked.errors.slice(0, 20) });
  }
  return ok({ report: checked.value, stored: [], format: opts.format ?? 'dicos-tdr-json' });
}

/** The envelope's bytes: deterministic for the same report text and images (retries dedupe). */
export function encodeUploadEnvelope(result: string, images: readonly StoredImage[]): Buffer {
  const env: ScannerUploadEnvelope = {
    format: UPLOAD_FORMAT,
    result,
    images: images.map((i) => ({
      id: i.id,
      ...(i.aliases && i.aliases.length > 0 ? { aliases: [...i.aliases] } : {}),
      sha256: i.sha256,
      bytes: i.bytes,
      mediaType: i.mediaType,
      uri: i.uri,
      ...(i.kind ? { kind: i.kind } : {}),
    })),
  };
  return Buffer.from(JSON.stringify(env), 'utf8');
}
