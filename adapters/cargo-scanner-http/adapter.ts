/**
 * Cargo and vehicle X-ray scanners that report over HTTP: DICOS-style threat reports in JSON
 * (src/dicos), with their images. One codec, several ways in (README.md):
 *
 *  - webhook: the scanner POSTs multipart/form-data (a `result` part and image files) to
 *    /v1/scanners/{ingestPath}/results; the route stores the images as artifacts and hands the
 *    pipeline an upload envelope (the result text verbatim + the stored images' references);
 *  - a bare report POSTed to /v1/ingest/{ingestPath}, or a report file in a watched folder
 *    (images referenced where the scanner serves them, by uri, sha256 and size);
 *  - polling: the http-poll connector GETs {url}?since=<sequence>&limit=<n>, a page of reports;
 *    wired with the image fetcher (src/dicos/poll-images.ts), it first fetches and stores the
 *    images the page references and hands over a poll envelope instead.
 *
 * Envelopes claim that images are stored, so they are honoured only in frames named by the code
 * that stored them (UPLOAD_FRAME_PREFIX, POLL_FRAME_PREFIX): nothing posted or dropped can forge one.
 *
 * The reducer state (src/dicos/scanner-memory.ts) remembers the scans already emitted, so an HTTP
 * retry with other bytes (a re-encoded image, a re-serialised report) is still emitted once, and
 * keeps the poll cursor (the highest report sequence committed) the http-poll connector reads.
 */
import { defineAdapter, fail, ok, type DecodeFailure, type DocumentFrame, type DocumentPlan, type Result } from '../../src/adapter/types.js';
import { decodeReportDocument, REPORT_MAX_BYTES, UPLOAD_FRAME_PREFIX, type DecodedReport } from '../../src/dicos/decode-report.js';
import { normaliseReport } from '../../src/dicos/normalise-report.js';
import { decodePollPage, POLL_FORMAT, POLL_FRAME_PREFIX } from '../../src/dicos/poll-page.js';
import { asScannerMemory, initialScannerMemory, type ScannerMemory } from '../../src/dicos/scanner-memory.js';

/** A page of reports, or an envelope, is larger than one report. */
const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

const acquisition: DocumentPlan = {
  kind: 'document',
  mediaTypes: ['application/json'],
  extensions: ['.json'],
  maxBytes: MAX_DOCUMENT_BYTES,
  artifactMediaType: 'application/json',
  poll: { pollIntervalMs: 5000, timeoutMs: 10_000, limit: 20, cursorParam: 'since', limitParam: 'limit' },
};

type ScanRecord =
  | { decoded: DecodedReport; /** polled reports: the scanner's sequence (the cursor) */ sequence?: number }
  | { error: DecodeFailure; sequence: number };

/** Whether the JSON is a poll page (or poll envelope) rather than one report. */
function isPage(data: Buffer): boolean {
  // cheap look at the top-level keys; the decoders check everything properly
  try {
    const v = JSON.parse(data.toString('utf8').replace(/^\uFEFF/, '')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) && ((v as { format?: unknown }).format === POLL_FORMAT || Array.isArray((v as { scans?: unknown }).scans));
  } catch {
    return false;
  }
}

function decode(frame: DocumentFrame): Result<ScanRecord[], DecodeFailure> {
  if (frame.data.length > MAX_DOCUMENT_BYTES) {
    return fail({ code: 'BL_ERR_INGEST_TOO_LARGE', message: `the document is ${frame.data.length} bytes; at most ${MAX_DOCUMENT_BYTES} are accepted`, detail: { bytes: frame.data.length, maxBytes: MAX_DOCUMENT_BYTES } });
  }
  if (isPage(frame.data)) {
    const page = decodePollPage(frame.data, { allowEnvelope: frame.transport === 'http-poll' && frame.name.startsWith(POLL_FRAME_PREFIX) });
    return page.ok ? ok(page.value) : page;
  }
  const allowEnvelope = frame.transport === 'http-push' && frame.name.startsWith(UPLOAD_FRAME_PREFIX);
  const r = decodeReportDocument(frame.data, { maxBytes: Math.max(REPORT_MAX_BYTES, MAX_DOCUMENT_BYTES), allowEnvelope });
  return r.ok ? ok([{ decoded: r.value }]) : r;
}

export default defineAdapter<DocumentFrame, ScanRecord, Record<string, never> | undefined, ScannerMemory>({
  id: 'cargo-scanner-http',
  version: '1.0.0',
  deviceClass: 'xray-scanner',
  technique: 'transmission-dual-energy',
  transport: 'http-push',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  acquisition,
  initialState: initialScannerMemory,
  decode,
  normalise(record, state, ctx) {
    const memory = asScannerMemory(state);
    // a polled report at or below the committed cursor was committed before (a page polled twice)
    if (record.sequence !== undefined && record.sequence <= memory.cursor) return ok({ drafts: [], state: memory });
    // an unreadable report of a page: quarantined; the page's later reports move the cursor past it
    if ('error' in record) return fail(record.error);
    const n = normaliseReport(record.decoded, memory, ctx.artifact);
    if (!n.ok) return n;
    return ok({ drafts: n.value.drafts, state: record.sequence === undefined ? n.value.state : { ...n.value.state, cursor: record.sequence } });
  },
});
