/**
 * API key check for /v1 and /metrics. Keys arrive as `x-api-key: <key>` or
 * `Authorization: Bearer <key>`. Both sides are hashed to a fixed length and every configured
 * key is compared, so neither the key's length nor which key matched shows in the timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { problemOf, sendProblem } from './problem.js';

const REALM = 'borderlink';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The key a request presents, or undefined when it presents none. */
export function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') return apiKey;
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const m = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(authorization);
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** A predicate that says whether a presented key is one of the configured keys. */
export function createKeyMatcher(apiKeys: readonly string[]): (presented: string) => boolean {
  const digests = apiKeys.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let matched = false;
    for (const d of digests) {
      // no early exit: the time taken does not depend on which key matched
      matched = timingSafeEqual(candidate, d) || matched;
    }
    return matched;
  };
}

/**
 * An onRequest hook enforcing the keys; undefined when no keys are configured (auth off).
 * Registered per route group, so it applies to matched routes only, never by URL prefix.
 */
export function createApiKeyHook(apiKeys: readonly string[]): onRequestAsyncHookHandler | undefined {
  if (apiKeys.length === 0) return undefined;
  const matches = createKeyMatcher(apiKeys);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const key = presentedKey(request.headers);
    if (key !== undefined && matches(key)) return;
    const detail = key === undefined
      ? 'Send an API key in the x-api-key header or as Authorization: Bearer <key>.'
      : 'The API key is not valid.';
    const challenge = key === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_token"`;
    reply.header('www-authenticate', challenge);
    return sendProblem(reply, problemOf('BL_ERR_HTTP_UNAUTHORIZED', 401, detail));
  };
}
