/**
 * POST /ingest/:path: whole documents pushed by clients (e.g. /v1/ingest/n42 for ANSI N42.42),
 * handed to the device the path is configured for. One route per configured path, so each has
 * its own body limit (its adapter's maxBytes) and its own media types in the OpenAPI document.
 *
 * The body is kept as raw bytes: this scope replaces every content-type parser with one that
 * buffers, and nothing here parses XML (the adapter does, behind the pipeline's quarantine).
 * The media type and the declared length are checked before a byte of the body is read.
 *
 *   201 {eventIds}          committed (eventIds may be empty: the document only updated state)
 *   200 {duplicate: true}   the same document (same bytes) was committed before: nothing written
 *   422 problem             the document is not usable; `code` says why (not XML, not N42, DOCTYPE...)
 *   413 / 415 problem       too large / media type not accepted (refused unread)
 *   503 problem             nothing durable was written (outbox or artifact store): retry later
 *   404 problem             no ingest path of that name
 */
import { randomUUID } from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { DocumentFrame, DocumentPlan } from '../../adapter/types.js';
import { systemClock, type Clock } from '../../clock.js';
import type { PushOutcome, RejectedInput } from '../../connectors/types.js';
import type { WebhookVerifier } from '../webhook-signature.js';
import { BorderlinkError, describeError } from '../../errors.js';
import { PROBLEM_REF } from '../api-schemas.js';
import { notFound, problemOf, sendProblem } from '../problem.js';
import { answerPush } from '../push-answer.js';

/** Where documents posted to one ingest path go: the pipeline of the device configured for it. */
export interface IngestTarget {
  deviceId: string;
  plan: DocumentPlan;
  push(frame: DocumentFrame): Promise<PushOutcome>;
  /** signed webhooks: every request must carry a valid HMAC signature (webhook-signature.ts) */
  verifier?: WebhookVerifier;
  /** where refused bodies go (quarantine, with their code) */
  reject?(input: RejectedInput): Promise<void>;
}

export interface IngestRoutesOptions {
  /** ingest path (the last URL segment) -> target */
  ingest: ReadonlyMap<string, IngestTarget>;
  authenticated: boolean;
  /** stamps receivedAt (default: the system clock) */
  clock?: Clock;
  /** names each posted document (default: a random UUID) */
  newRequestId?: () => string;
}

/** "No media type given" in practice: accepted everywhere, stored under the adapter's own type. */
export const OCTET_STREAM = 'application/octet-stream';
/** a lower-case URL segment: the path is part of the public API */
const INGEST_PATH = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The media type's essence (type/subtype, lower case, no parameters), or undefined when absent. */
export function mediaTypeEssence(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const essence = (header.split(';')[0] ?? '').trim().toLowerCase();
  return essence === '' ? undefined : essence;
}

function acceptedMediaTypes(plan: DocumentPlan): string[] {
  const all = plan.mediaTypes.map((m) => m.toLowerCase());
  return all.includes(OCTET_STREAM) ? all : [...all, OCTET_STREAM];
}

const problemResponse = (description: string): { description: string; content: { 'application/problem+json': { schema: typeof PROBLEM_REF } } } => ({
  description,
  content: { 'application/problem+json': { schema: PROBLEM_REF } },
});

export const ingestRoutes: FastifyPluginAsync<IngestRoutesOptions> = async (app, opts) => {
  const clock = opts.clock ?? systemClock;
  const newRequestId = opts.newRequestId ?? randomUUID;
  const auth = opts.authenticated ? { 401: problemResponse('No valid credentials (x-api-key, or Authorization: Bearer with a key or token)'), 403: problemResponse('Your roles do not grant ingest:write') } : {};
  for (const name of opts.ingest.keys()) {
    if (!INGEST_PATH.test(name)) {
      throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `ingest path "${name}" must be 1-64 of a-z, 0-9, "_" and "-", starting with a letter or digit`, { detail: { path: name } });
    }
  }

  // raw bytes for every media type, in this scope only; the media type is checked per route
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body);
  });

  app.setErrorHandler((error: unknown, _request, reply) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendProblem(reply, problemOf('BL_ERR_INGEST_TOO_LARGE', 413, 'The document is larger than this ingest path accepts.'));
    }
    throw error; // the server's problem handler
  });

  for (const [name, target] of opts.ingest) {
    const { plan } = target;
    const mediaTypes = acceptedMediaTypes(plan);

    /** Refuses, before the body is read, what cannot be accepted anyway. */
    const screen = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
      const mediaType = mediaTypeEssence(request.headers['content-type']);
      if (mediaType === undefined || !mediaTypes.includes(mediaType)) {
        return sendProblem(reply, problemOf('BL_ERR_INGEST_MEDIA_TYPE', 415,
          `Content-Type ${mediaType ?? '(none)'} is not accepted here; send one of ${mediaTypes.join(', ')}.`));
      }
      const declared = Number(request.headers['content-length']);
      if (Number.isFinite(declared) && declared > plan.maxBytes) {
        return sendProblem(reply, problemOf('BL_ERR_INGEST_TOO_LARGE', 413, `The document is ${declared} bytes; this ingest path accepts at most ${plan.maxBytes}.`));
      }
      return undefined;
    };

    app.post(`/ingest/${name}`, {
      bodyLimit: plan.maxBytes,
      onRequest: screen,
      // the body is raw bytes: the schema below documents it, it does not validate it
      validatorCompiler: () => () => true,
      schema: {
        summary: `Ingest one ${name} document`,
        description: `Posts one whole document (at most ${plan.maxBytes} bytes) for device ${target.deviceId}. `
          + 'The same bytes posted again are recognised as a duplicate and not ingested twice, so a client may safely retry.',
        tags: ['ingest'],
        consumes: mediaTypes,
        body: { type: 'string', format: 'binary', description: 'the document, as raw bytes' },
        response: {
          201: {
            description: 'Committed; the ids of the events made from the document',
            type: 'object',
            required: ['eventIds'],
            properties: { eventIds: { type: 'array', items: { type: 'string' } } },
          },
          200: {
            description: 'The same document was ingested before; nothing was written',
            type: 'object',
            required: ['duplicate'],
            properties: { duplicate: { type: 'boolean', enum: [true] } },
          },
          400: problemResponse('The request has no body'),
          ...auth,
          413: problemResponse('The document is larger than this path accepts'),
          ...(target.verifier ? { 401: problemResponse('Missing or wrong signature, or a timestamp outside the replay window'), 409: problemResponse('A replayed signed request') } : {}),
          415: problemResponse('The Content-Type is not one this path accepts'),
          422: problemResponse('The document is not usable; `code` says why (not XML, not N42, DOCTYPE refused...)'),
          503: problemResponse('Nothing was stored (the outbox could not write); retry later, see Retry-After'),
        },
      },
    }, async (request, reply) => {
      const body: unknown = request.body;
      if (!Buffer.isBuffer(body) || body.length === 0) {
        return sendProblem(reply, problemOf('BL_ERR_HTTP_BAD_REQUEST', 400, 'The request has no body; post the document as raw bytes.', [{ in: 'body', message: 'is empty' }]));
      }
      if (target.verifier) {
        const v = target.verifier.verify(request.headers, body, clock.now());
        if (!v.ok) {
          request.log.warn({ ingest: name, deviceId: target.deviceId, code: v.code, bytes: body.length }, 'signed request refused');
          await target.reject?.({ raw: body, code: v.code, message: v.message, receivedAt: clock.now() });
          return sendProblem(reply, problemOf(v.code, v.status, v.message));
        }
      }
      const mediaType = mediaTypeEssence(request.headers['content-type']);
      const requestId = newRequestId();
      const frame: DocumentFrame = {
        transport: 'http-push',
        receivedAt: clock.now(),
        name: requestId,
        data: body,
        ...(mediaType !== undefined && mediaType !== OCTET_STREAM ? { mediaType } : {}),
      };
      let outcome: PushOutcome;
      try {
        outcome = await target.push(frame);
      } catch (e) {
        // push never rejects by contract; if it does, nothing is known to be durable
        outcome = { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_WRITE', message: describeError(e).message } };
      }
      request.log.info({
        ingest: name, deviceId: target.deviceId, requestId, bytes: body.length, status: outcome.status,
        events: outcome.eventIds.length, code: outcome.reason?.code,
      }, 'document ingested');
      return answerPush(reply, outcome, 'document');
    });
  }

  // unknown ingest paths: 404 before the body is read (inside the API-key scope, like the rest)
  app.post('/ingest/:path', {
    schema: { hide: true },
    onRequest: async (request, reply) => {
      const { path } = request.params as { path: string };
      return sendProblem(reply, notFound(`No ingest path "${path.slice(0, 64)}"; configured: ${[...opts.ingest.keys()].join(', ') || 'none'}.`));
    },
  }, async (_request, reply) => reply);
};
