/**
 * POST /scanners/:path/results: an X-ray scanner's result with its images, as multipart/form-data
 * (the webhook of adapters/cargo-scanner-http). One route per configured scanner path.
 *
 * Why a route of its own rather than multipart on /v1/ingest/{path}: ingest keeps every body as
 * raw bytes (it is a document, stored and deduplicated whole); an upload is not one document but
 * a report plus images that are stored one by one, content-addressed, so the same image sent
 * twice is kept once. Separate routes keep both contracts simple, give the upload its own limits
 * (file size, number of files, result size) and its own OpenAPI form. The same device still
 * accepts a bare JSON report at /v1/ingest/{path}.
 *
 * Parts: `result` (a field or a file) holds the threat report JSON (src/dicos); every other file
 * part is an image, named by its field name (the id the report's threat objects use) and its
 * file name. Other fields are ignored.
 *
 * Nothing is written until the whole upload has been read and the report checked: a refused
 * upload leaves no artifact and no temp file (parts are held in memory, within the limits).
 *
 *   201 {eventIds}          committed (empty when the scan was emitted before: a retry)
 *   200 {duplicate: true}   the same upload (same report text, same images) was committed before
 *   400 problem             malformed multipart, no `result` part, two images with one name
 *   413 problem             an image, the result, or the number of parts over its limit
 *   415 problem             not multipart/form-data, or an image of a media type not accepted
 *   422 problem             the report is not usable (BL_ERR_DICOS_REPORT_INVALID)
 *   503 problem             nothing durable was written (artifact store or outbox); retry later
 */
import { createHash, randomUUID } from 'node:crypto';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { AnyAdapter, DocumentFrame } from '../../adapter/types.js';
import { artifactUri } from '../../artifacts/artifact-store.js';
import type { ArtifactStore } from '../../artifacts/types.js';
import { systemClock, type Clock } from '../../clock.js';
import type { PushOutcome } from '../../connectors/types.js';
import { decodeReportDocument, encodeUploadEnvelope, UPLOAD_FRAME_PREFIX } from '../../dicos/decode-report.js';
import { reportToDraft, type StoredImage } from '../../dicos/report-events.js';
import { isHttpScannerAdapter } from '../../dicos/scanner-adapters.js';
import { BorderlinkError, describeError, type ErrorCode } from '../../errors.js';
import { PROBLEM_REF } from '../api-schemas.js';
import { notFound, problemOf, sendProblem, type ProblemDetails } from '../problem.js';
import { mediaTypeEssence } from './ingest.js';
import { answerPush, RETRY_AFTER_SECONDS } from '../push-answer.js';

/** Whether a device's adapter takes uploads here (its ingestPath names the route). */
export function isScannerUploadAdapter(adapter: Pick<AnyAdapter, 'id'>): boolean {
  return isHttpScannerAdapter(adapter);
}

/** Where one scanner path's uploads go: the pipeline of its device. */
export interface ScannerUploadTarget {
  deviceId: string;
  push(frame: DocumentFrame): Promise<PushOutcome>;
}

export interface ScannerUploadLimits {
  /** largest image file, bytes */
  maxImageBytes: number;
  /** most image files per upload */
  maxImages: number;
  /** largest `result` part, bytes */
  maxResultBytes: number;
}

export const SCANNER_UPLOAD_LIMIT_DEFAULTS: ScannerUploadLimits = {
  maxImageBytes: 20 * 1024 * 1024,
  maxImages: 8,
  maxResultBytes: 1024 * 1024,
};

/** Media types an image part may have (a DICOS DX/CT file, or a plain picture). */
export const SCANNER_IMAGE_MEDIA_TYPES: readonly string[] = ['image/png', 'image/jpeg', 'image/tiff', 'application/dicom', 'application/octet-stream'];

export interface ScannerUploadRoutesOptions {
  /** scanner path (the device's ingestPath) -> target */
  targets: ReadonlyMap<string, ScannerUploadTarget>;
  artifacts: ArtifactStore;
  limits?: Partial<ScannerUploadLimits>;
  authenticated: boolean;
  clock?: Clock;
  newRequestId?: () => string;
}

const PATH = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** non-result fields a scanner may add (ignored): more is not a scanner talking */
const MAX_FIELDS = 16;
/** multipart headers and boundaries around each part, generously */
const PART_OVERHEAD_BYTES = 16 * 1024;

interface UploadedImage {
  field: string;
  filename: string;
  mediaType: string;
  data: Buffer;
}

/** A refusal found while reading the upload: answered as a problem, nothing stored. */
class UploadRefused extends Error {
  constructor(readonly problem: ProblemDetails) {
    super(problem.detail);
  }
}

const refuse = (code: ErrorCode, status: number, detail: string): UploadRefused => new UploadRefused(problemOf(code, status, detail));

/** What @fastify/multipart and busboy throw, as the problem the client gets. */
function problemOfMultipartError(e: unknown, limits: ScannerUploadLimits): ProblemDetails {
  const code = (e as { code?: unknown } | null)?.code;
  switch (code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return problemOf('BL_ERR_INGEST_TOO_LARGE', 413, `An image is larger than ${limits.maxImageBytes} bytes.`);
    case 'FST_FILES_LIMIT':
      return problemOf('BL_ERR_SCANNER_UPLOAD_INVALID', 413, `The upload carries more than ${limits.maxImages + 1} files (at most ${limits.maxImages} images and the result).`);
    case 'FST_FIELDS_LIMIT':
    case 'FST_PARTS_LIMIT':
      return problemOf('BL_ERR_SCANNER_UPLOAD_INVALID', 413, 'The upload carries too many parts.');
    case 'FST_INVALID_JSON_FIELD_ERROR':
      return problemOf('BL_ERR_DICOS_REPORT_INVALID', 422, 'The result part is declared JSON but is not (or is longer than the limit).');
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return problemOf('BL_ERR_INGEST_MEDIA_TYPE', 415, 'Send multipart/form-data.');
    default:
      // busboy's own messages (boundary not found, unexpected end of form, malformed header) are safe
      return problemOf('BL_ERR_SCANNER_UPLOAD_INVALID', 400, `The multipart body is malformed: ${describeError(e).message.slice(0, 200)}`);
  }
}

const problemResponse = (description: string): { description: string; content: { 'application/problem+json': { schema: typeof PROBLEM_REF } } } => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM_REF } },
});

export const scannerUploadRoutes: FastifyPluginAsync<ScannerUploadRoutesOptions> = async (app, opts) => {
  const limits: ScannerUploadLimits = { ...SCANNER_UPLOAD_LIMIT_DEFAULTS, ...Object.fromEntries(Object.entries(opts.limits ?? {}).filter(([, v]) => v !== undefined)) };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `scanner upload limit ${k} must be a positive integer`, { detail: { [k]: v } });
  }
  for (const name of opts.targets.keys()) {
    if (!PATH.test(name)) throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `scanner path "${name}" must be 1-64 of a-z, 0-9, "_" and "-"`, { detail: { path: name } });
  }
  const clock = opts.clock ?? systemClock;
  const newRequestId = opts.newRequestId ?? randomUUID;
  const maxRequestBytes = limits.maxImages * limits.maxImageBytes + limits.maxResultBytes + (limits.maxImages + MAX_FIELDS + 1) * PART_OVERHEAD_BYTES;
  const auth = opts.authenticated ? { 401: problemResponse('No valid credentials (x-api-key, or Authorization: Bearer with a key or token)'), 403: problemResponse('Your roles do not grant ingest:write') } : {};

  // multipart in this scope only; nothing is written to disk by the plugin (no saveRequestFiles)
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: {
      fileSize: Math.max(limits.maxImageBytes, limits.maxResultBytes),
      files: limits.maxImages + 1,
      fields: MAX_FIELDS,
      fieldSize: limits.maxResultBytes,
      parts: limits.maxImages + 1 + MAX_FIELDS,
      headerPairs: 32,
    },
  });

  /** Refuses, before the body is read, what cannot be accepted anyway. */
  const screen = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (mediaTypeEssence(request.headers['content-type']) !== 'multipart/form-data') {
      reply.header('connection', 'close');
      return sendProblem(reply, problemOf('BL_ERR_INGEST_MEDIA_TYPE', 415, `Content-Type ${mediaTypeEssence(request.headers['content-type']) ?? '(none)'} is not accepted here; send multipart/form-data.`));
    }
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxRequestBytes) {
      reply.header('connection', 'close');
      return sendProblem(reply, problemOf('BL_ERR_INGEST_TOO_LARGE', 413, `The upload is ${declared} bytes; at most ${maxRequestBytes} are accepted here.`));
    }
    return undefined;
  };

  /** Reads every part into memory within the limits. */
  const readUpload = async (request: FastifyRequest): Promise<{ result: string; images: UploadedImage[] }> => {
    let result: string | undefined;
    const images: UploadedImage[] = [];
    let parts;
    try {
      parts = request.parts();
    } catch (e) {
      throw new UploadRefused(problemOfMultipartError(e, limits));
    }
    try {
      for await (const part of parts) {
        if (part.fieldname === 'result') {
          if (result !== undefined) throw refuse('BL_ERR_SCANNER_UPLOAD_INVALID', 400, 'The upload carries two result parts.');
          if (part.type === 'field') {
            if (part.valueTruncated) throw refuse('BL_ERR_INGEST_TOO_LARGE', 413, `The result part is larger than ${limits.maxResultBytes} bytes.`);
            // a part declared application/json arrives parsed: serialise it back (same JSON value)
            result = typeof part.value === 'string' ? part.value : JSON.stringify(part.value);
          } else {
            const data = await part.toBuffer();
            if (data.length > limits.maxResultBytes) throw refuse('BL_ERR_INGEST_TOO_LARGE', 413, `The result part is larger than ${limits.maxResultBytes} bytes.`);
            result = data.toString('utf8');
          }
          continue;
        }
        if (part.type === 'field') continue;
        const mediaType = mediaTypeEssence(part.mimetype) ?? 'application/octet-stream';
        if (!SCANNER_IMAGE_MEDIA_TYPES.includes(mediaType)) {
          throw refuse('BL_ERR_INGEST_MEDIA_TYPE', 415, `Image part "${part.fieldname.slice(0, 64)}" is ${mediaType}; accepted: ${SCANNER_IMAGE_MEDIA_TYPES.join(', ')}.`);
        }
        const data = await part.toBuffer();
        if (data.length > limits.maxImageBytes) throw refuse('BL_ERR_INGEST_TOO_LARGE', 413, `An image is larger than ${limits.maxImageBytes} bytes.`);
        if (images.length >= limits.maxImages) throw refuse('BL_ERR_SCANNER_UPLOAD_INVALID', 413, `The upload carries more than ${limits.maxImages} images.`);
        if (images.some((i) => i.field === part.fieldname)) throw refuse('BL_ERR_SCANNER_UPLOAD_INVALID', 400, `Two image parts are named "${part.fieldname.slice(0, 64)}".`);
        images.push({ field: part.fieldname, filename: part.filename, mediaType, data });
      }
    } catch (e) {
      if (e instanceof UploadRefused) throw e;
      throw new UploadRefused(problemOfMultipartError(e, limits));
    }
    if (result === undefined) throw refuse('BL_ERR_SCANNER_UPLOAD_INVALID', 400, 'The upload has no `result` part (the threat report JSON).');
    return { result, images };
  };

  for (const [name, target] of opts.targets) {
    app.post(`/scanners/${name}/results`, {
      onRequest: screen,
      // the body is read part by part in the handler: the schema documents it, it does not validate it
      validatorCompiler: () => () => true,
      schema: {
        summary: `Upload one scan result of scanner ${name}`,
        description: `Posts one threat report with its images for device ${target.deviceId}, as multipart/form-data: `
          + `a \`result\` part (the report JSON, at most ${limits.maxResultBytes} bytes) and up to ${limits.maxImages} image files `
          + `(${SCANNER_IMAGE_MEDIA_TYPES.join(', ')}; at most ${limits.maxImageBytes} bytes each), each named by the id the report's threat objects use. `
          + 'Every image is kept once however often it is sent; a retried upload is recognised and not ingested twice.',
        tags: ['ingest'],
        consumes: ['multipart/form-data'],
        body: {
          type: 'object',
          required: ['result'],
          properties: {
            result: { type: 'string', description: 'the threat report (schemas/scanner/threat-report.schema.json)' },
          },
          additionalProperties: { type: 'string', format: 'binary', description: 'an image, named by its id' },
        },
        response: {
          201: {
            description: 'Committed; the ids of the events made (empty when the scan was reported before)',
            type: 'object',
            required: ['eventIds'],
            properties: { eventIds: { type: 'array', items: { type: 'string' } } },
          },
          200: {
            description: 'The same upload was ingested before; nothing was written',
            type: 'object',
            required: ['duplicate'],
            properties: { duplicate: { type: 'boolean', enum: [true] } },
          },
          400: problemResponse('Malformed multipart, no result part, or two images of one name'),
          ...auth,
          413: problemResponse('An image, the result or the number of parts is over its limit'),
          415: problemResponse('Not multipart/form-data, or an image of a media type not accepted'),
          422: problemResponse('The report is not usable; `code` says why'),
          503: problemResponse('Nothing was stored; retry later, see Retry-After'),
        },
      },
    }, async (request, reply) => {
      let upload: { result: string; images: UploadedImage[] };
      try {
        upload = await readUpload(request);
      } catch (e) {
        if (e instanceof UploadRefused) {
          reply.header('connection', 'close');
          return sendProblem(reply, e.problem);
        }
        throw e;
      }
      const stored: StoredImage[] = upload.images.map((img) => {
        const sha256 = createHash('sha256').update(img.data).digest('hex');
        const aliases = img.filename !== '' && img.filename !== img.field ? [img.filename] : [];
        return { id: img.field, ...(aliases.length > 0 ? { aliases } : {}), sha256, bytes: img.data.length, mediaType: img.mediaType, uri: artifactUri(sha256) };
      });
      const envelope = encodeUploadEnvelope(upload.result.replace(/^\uFEFF/, ''), stored);
      // the report is checked, and mapped once, before anything is written
      const decoded = decodeReportDocument(envelope, { allowEnvelope: true, maxBytes: envelope.length });
      const mapped = decoded.ok ? reportToDraft(decoded.value.report, { format: decoded.value.format, stored: decoded.value.stored }) : decoded;
      if (!mapped.ok) return sendProblem(reply, problemOf(mapped.error.code, 422, mapped.error.message));
      // an upload carries its images: one the report lists but the upload lacks is a broken upload
      // (a bare report may reference images elsewhere; an upload that forgot one should be re-sent)
      const missing = mapped.value.raw?.extensions?.unresolvedImages;
      if (Array.isArray(missing) && missing.length > 0) {
        const names = missing.map((m) => String((m as { id?: unknown } | null)?.id ?? '?')).join(', ');
        return sendProblem(reply, problemOf('BL_ERR_DICOS_REPORT_INVALID', 422, `The report lists images the upload does not carry: ${names.slice(0, 200)}; send each as a file part named by its id.`));
      }

      for (const [i, img] of upload.images.entries()) {
        try {
          await opts.artifacts.put(img.data, img.mediaType);
        } catch (e) {
          const d = describeError(e);
          if (d.code === 'BL_ERR_ARTIFACT_TOO_LARGE') return sendProblem(reply, problemOf('BL_ERR_ARTIFACT_TOO_LARGE', 413, `Image "${stored[i]?.id ?? i}" is larger than the artifact store accepts.`));
          request.log.error({ err: d, scanner: name }, 'scanner image could not be stored');
          reply.header('retry-after', String(RETRY_AFTER_SECONDS));
          return sendProblem(reply, problemOf('BL_ERR_ARTIFACT_WRITE', 503, 'An image could not be stored; retry later.'));
        }
      }
      const requestId = newRequestId();
      const frame: DocumentFrame = {
        transport: 'http-push',
        receivedAt: clock.now(),
        name: `${UPLOAD_FRAME_PREFIX}${requestId}`,
        mediaType: 'application/json',
        data: envelope,
      };
      let outcome: PushOutcome;
      try {
        outcome = await target.push(frame);
      } catch (e) {
        outcome = { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: describeError(e).message } };
      }
      request.log.info({
        scanner: name, deviceId: target.deviceId, requestId, images: stored.length, bytes: stored.reduce((n, s) => n + s.bytes, 0),
        status: outcome.status, events: outcome.eventIds.length, code: outcome.reason?.code,
      }, 'scanner result uploaded');
      return answerPush(reply, outcome, 'result');
    });
  }

  // unknown scanner paths: 404 before the body is read
  app.post('/scanners/:path/results', {
    schema: { hide: true },
    onRequest: async (request, reply) => {
      const { path } = request.params as { path: string };
      reply.header('connection', 'close');
      return sendProblem(reply, notFound(`No scanner path "${path.slice(0, 64)}"; configured: ${[...opts.targets.keys()].join(', ') || 'none'}.`));
    },
  }, async (_request, reply) => reply);
};
