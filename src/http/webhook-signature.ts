/**
 * Signed webhooks (devices that POST their results): HMAC-SHA256 over the timestamp and the raw
 * body, a replay window, and a memory of recent signatures.
 *
 *   X-BorderLink-Timestamp: <unix seconds>
 *   X-BorderLink-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>
 *
 * The timestamp is inside the MAC, so a captured request cannot be re-sent later with a fresh
 * one; within the window, the same signature seen twice is a replay. Across a gateway restart the
 * signature memory is gone, but the pipeline's document key (sha256 of the body) still refuses
 * the same body twice, so a replay is never ingested twice.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ErrorCode } from '../errors.js';

export const TIMESTAMP_HEADER = 'x-borderlink-timestamp';
export const SIGNATURE_HEADER = 'x-borderlink-signature';

export function signWebhook(secret: string, timestampS: number, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.`).update(body).digest('hex')}`;
}

export type VerifyOutcome = { ok: true } | { ok: false; status: 401 | 409; code: ErrorCode; message: string };

export interface WebhookVerifier {
  verify(headers: Record<string, string | string[] | undefined>, body: Buffer, nowMs: number): VerifyOutcome;
}

const MAX_REMEMBERED = 100_000;

export function createWebhookVerifier(opts: { secret: string; replayWindowS: number }): WebhookVerifier {
  /** signature -> expiry (ms); bounded: oldest first out */
  const seen = new Map<string, number>();
  const prune = (now: number) => {
    for (const [sig, exp] of seen) {
      if (exp > now && seen.size <= MAX_REMEMBERED) break;
      seen.delete(sig);
    }
  };
  return {
    verify(headers, body, nowMs) {
      const tsRaw = headers[TIMESTAMP_HEADER];
      const sigRaw = headers[SIGNATURE_HEADER];
      const ts = typeof tsRaw === 'string' && /^\d{1,12}$/.test(tsRaw) ? Number(tsRaw) : undefined;
      if (ts === undefined || typeof sigRaw !== 'string') {
        return { ok: false, status: 401, code: 'BL_ERR_WEBHOOK_SIGNATURE', message: `Signed request required: send ${TIMESTAMP_HEADER} (unix seconds) and ${SIGNATURE_HEADER} (sha256=<hex>).` };
      }
      const want = Buffer.from(signWebhook(opts.secret, ts, body));
      const got = Buffer.from(sigRaw.trim());
      if (want.length !== got.length || !timingSafeEqual(want, got)) {
        return { ok: false, status: 401, code: 'BL_ERR_WEBHOOK_SIGNATURE', message: 'The signature does not match the body and timestamp.' };
      }
      const skewS = Math.abs(nowMs / 1000 - ts);
      if (skewS > opts.replayWindowS) {
        return { ok: false, status: 401, code: 'BL_ERR_WEBHOOK_REPLAY', message: `The timestamp is ${Math.round(skewS)} s away from the gateway clock; at most ${opts.replayWindowS} s is accepted.` };
      }
      prune(nowMs);
      if (seen.has(sigRaw)) {
        return { ok: false, status: 409, code: 'BL_ERR_WEBHOOK_REPLAY', message: 'This signed request was received before (a replay).' };
      }
      seen.set(sigRaw, nowMs + opts.replayWindowS * 2000);
      return { ok: true };
    },
  };
}
