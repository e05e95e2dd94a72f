/**
 * Polls a vendor's REST API for results with a since-id cursor:
 *
 *   GET {url}?{cursorParam}={cursor}&{limitParam}={pageSize}
 *
 * Each page goes to the pipeline as one document frame; the adapter turns it into one event per
 * result and keeps the highest result id it committed as its cursor, in the adapter state that is
 * committed with the events. The connector reads that committed cursor before every poll (and so,
 * after a restart, from the outbox), so the cursor only ever advances with durable events: no gap
 * after a crash, and a page polled twice is dropped by the adapter (no duplicates).
 *
 * A page that moved the cursor is followed at once by the next (catch-up; an empty page ends it); HTTP errors and timeouts back off with
 * full jitter and report the link offline; a page the adapter cannot read is quarantined, the
 * cursor stays, the link is reported degraded and polling goes on at the normal interval.
 */
import type { DocumentFrame } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff } from './backoff.js';
import { createLinkStatusReporter } from './link-status.js';
import type { Connector, Sink } from './types.js';

export interface HttpPollOptions {
  deviceId: string;
  url: string;
  pollIntervalMs: number;
  timeoutMs: number;
  pageSize: number;
  cursorParam: string;
  limitParam: string;
  /** the state key the adapter keeps its cursor under */
  cursorKey: string;
  maxBytes: number;
  bearerToken?: string;
  sink: Sink<DocumentFrame>;
  logger: Logger;
  clock: Clock;
}

export function createHttpPollConnector(o: HttpPollOptions): Connector {
  const log = o.logger.child({ device: o.deviceId, connector: 'http-poll' });
  const link = createLinkStatusReporter(o.sink, log);
  const backoff = createBackoff({ baseMs: Math.min(1000, o.pollIntervalMs), capMs: Math.max(30_000, o.pollIntervalMs) });
  let stopped = true;
  let timer: NodeJS.Timeout | undefined;
  let inflight: AbortController | undefined;
  let running: Promise<void> | undefined;
  let pages = 0;

  const cursor = (): string => {
    const s = o.sink.committedState?.();
    const v = s && typeof s === 'object' && !Array.isArray(s) ? (s as Record<string, unknown>)[o.cursorKey] : undefined;
    return typeof v === 'number' || typeof v === 'string' ? String(v) : '0';
  };

  const schedule = (ms: number): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pollOnce().then(schedule, (e: unknown) => {
        log.error({ err: describeError(e) }, 'poll failed unexpectedly');
        schedule(backoff.next());
      });
    }, ms);
  };

  /** One poll; returns the delay before the next. */
  const pollOnce = async (): Promise<number> => {
    const since = cursor();
    const u = new URL(o.url);
    u.searchParams.set(o.cursorParam, since);
    u.searchParams.set(o.limitParam, String(o.pageSize));
    inflight = new AbortController();
    const timeout = setTimeout(() => inflight?.abort(), o.timeoutMs);
    let body: Buffer;
    let mediaType: string | undefined;
    try {
      const res = await fetch(u, { signal: inflight.signal, headers: { accept: 'application/json', ...(o.bearerToken ? { authorization: `Bearer ${o.bearerToken}` } : {}) } });
      if (!res.ok) {
        await res.body?.cancel();
        throw new Error(`HTTP ${res.status} from ${u.origin}${u.pathname}`);
      }
      const declared = Number(res.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > o.maxBytes) {
        await res.body?.cancel();
        throw new Error(`page of ${declared} bytes exceeds ${o.maxBytes}`);
      }
      body = Buffer.from(await res.arrayBuffer());
      if (body.length > o.maxBytes) throw new Error(`page of ${body.length} bytes exceeds ${o.maxBytes}`);
      mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() || undefined;
    } catch (e) {
      if (stopped) return 0;
      const why = inflight.signal.aborted ? `no answer within ${o.timeoutMs} ms` : describeError(e).message;
      link.report({ state: 'offline', detail: why, code: 'BL_ERR_HTTP_POLL' });
      return backoff.next();
    } finally {
      clearTimeout(timeout);
      inflight = undefined;
    }
    backoff.reset();
    pages += 1;
    const frame: DocumentFrame = { transport: 'http-poll', receivedAt: o.clock.now(), name: `${u.pathname}?${o.cursorParam}=${since}#${pages}`, data: body, ...(mediaType ? { mediaType } : {}) };
    const outcome = await o.sink.push(frame);
    if (outcome.status === 'failed') {
      link.report({ state: 'degraded', detail: `page not stored: ${outcome.reason?.message ?? 'outbox'}`, code: outcome.reason?.code ?? 'BL_ERR_OUTBOX_WRITE' });
      return backoff.next();
    }
    if (outcome.status === 'quarantined') {
      link.report({ state: 'degraded', detail: `unreadable page: ${outcome.reason?.message ?? ''}`.slice(0, 200), code: outcome.reason?.code ?? 'BL_ERR_VENDOR_JSON' });
      return o.pollIntervalMs;
    }
    link.report({ state: 'online', detail: 'polling' });
    // the cursor moved: there may be more waiting, whatever the number of events per result
    return cursor() !== since ? 0 : o.pollIntervalMs;
  };

  return {
    deviceId: o.deviceId,
    async start() {
      stopped = false;
      schedule(0);
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      inflight?.abort();
      await running?.catch(() => undefined);
    },
  };
}
