/**
 * What a client that pushed data (POST /v1/ingest/<path>, POST /v1/scanners/<path>/results) is
 * told of its push's outcome, the same way on both routes: 201 with the event ids, 200 for a
 * duplicate, 503 + Retry-After when nothing could be stored (the outbox's disk cap, a write
 * failure, or a transient reason), 413 or 422 with the coded reason when the input is refused.
 */
import type { FastifyReply } from 'fastify';
import type { PushOutcome } from '../connectors/types.js';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { problemOf, sendProblem } from './problem.js';

export const RETRY_AFTER_SECONDS = 5;
const TOO_LARGE_CODES: readonly ErrorCode[] = ['BL_ERR_INGEST_TOO_LARGE', 'BL_ERR_ARTIFACT_TOO_LARGE', 'BL_ERR_N42_TOO_LARGE'];

/** @param what the pushed thing in messages: "document" or "result" */
export function answerPush(reply: FastifyReply, outcome: PushOutcome, what: string): FastifyReply | { eventIds: string[] } | { duplicate: true } {
  const retryLater = `The ${what} could not be stored; retry later.`;
  switch (outcome.status) {
    case 'accepted':
      reply.code(201);
      return { eventIds: outcome.eventIds };
    case 'duplicate':
      reply.code(200);
      return { duplicate: true };
    case 'failed':
      reply.header('retry-after', String(RETRY_AFTER_SECONDS));
      // BL_ERR_OUTBOX_FULL: the outbox is at its disk cap (backpressure), else a write failure
      return sendProblem(reply, problemOf(outcome.reason?.code === 'BL_ERR_OUTBOX_FULL' ? 'BL_ERR_OUTBOX_FULL' : 'BL_ERR_OUTBOX_WRITE', 503, retryLater));
    case 'quarantined': {
      const reason = outcome.reason ?? { code: 'BL_ERR_NORMALISE_FAILED' as const, message: `The ${what} is not usable.` };
      if (ERROR_CODES[reason.code].kind === 'transient') {
        reply.header('retry-after', String(RETRY_AFTER_SECONDS));
        return sendProblem(reply, problemOf(reason.code, 503, retryLater));
      }
      const status = TOO_LARGE_CODES.includes(reason.code) ? 413 : 422;
      // input-kind reasons are written for the sender (adapter messages carry no internals)
      return sendProblem(reply, problemOf(reason.code, status, reason.message));
    }
  }
}
