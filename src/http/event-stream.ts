/**
 * One Server-Sent Events session. It alternates between two modes:
 *
 *   catching-up  reads the outbox (store.eventsAfter) page by page from the last id sent, while
 *                live rows are buffered; then flushes the buffer, dropping rows already sent.
 *   live         writes live rows as they are published.
 *
 * Resuming (Last-Event-ID) starts in catching-up. A slow client (the socket refuses writes) goes
 * back to catching-up, so memory stays bounded: the buffer is capped, and when it overflows it is
 * dropped and the session simply reads further from the outbox, where every published row is.
 * Ids only ever increase, so no row is sent twice and, as the pipeline publishes every durable
 * row in id order, none is skipped.
 */
import type { DetectionEvent } from '../schema/detection-event.js';
import type { ServerResponse } from 'node:http';
import { setImmediate } from 'node:timers/promises';
import type { FastifyBaseLogger } from 'fastify';
import { describeError } from '../errors.js';
import type { Outbox } from '../outbox/types.js';
import { matchesFilter, type EventFilter } from './event-filter.js';
import type { LiveEvents, LiveRow } from './live-events.js';

export interface EventStreamOptions {
  store: Pick<Outbox, 'eventsAfter'>;
  live: LiveEvents;
  filter: EventFilter;
  /** what this client may see of an event (its agency's redacted copy), undefined: nothing; absent: all */
  view?: (event: DetectionEvent) => DetectionEvent | undefined;
  /** resume after this outbox row id; undefined starts with live rows only */
  lastEventId: number | undefined;
  heartbeatMs: number;
  replayPageSize: number;
  /** live rows held while catching up before the session falls back to reading the outbox */
  maxBufferedRows: number;
  log: FastifyBaseLogger;
}

export interface EventStreamSession {
  /** Ends the response (server shutdown); idempotent. */
  close(): void;
  /** Resolves once the session has ended and released its subscription and timer. */
  readonly closed: Promise<void>;
}

/** One SSE frame. `data` lines are split so a JSON with newlines still frames correctly. */
export function sseFrame(id: number, eventType: string, json: string): string {
  const data = json.split(/\r\n|\r|\n/).map((line) => `data: ${line}`).join('\n');
  return `id: ${id}\nevent: ${eventType}\n${data}\n\n`;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  // proxies such as nginx would otherwise buffer the stream
  'x-accel-buffering': 'no',
} as const;

/** Starts streaming on a response whose headers the caller has not yet written. */
export function startEventStream(res: ServerResponse, opts: EventStreamOptions): EventStreamSession {
  let lastId = opts.lastEventId;
  let mode: 'live' | 'catching-up' = lastId === undefined ? 'live' : 'catching-up';
  let buffer: LiveRow[] = [];
  let overflowed = false;
  let ended = false;
  let resolveClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => { resolveClosed = resolve; });

  /** Writes a row unless already sent; returns false when the socket wants a pause. */
  const send = (row: LiveRow): boolean => {
    if (lastId !== undefined && row.id <= lastId) return true;
    lastId = row.id;
    if (!matchesFilter(row.event, opts.filter)) return true;
    if (opts.view === undefined) return res.write(sseFrame(row.id, row.event.eventType, row.json));
    const seen = opts.view(row.event);
    if (seen === undefined) return true;
    return res.write(sseFrame(row.id, seen.eventType, seen === row.event ? row.json : JSON.stringify(seen)));
  };

  const waitForDrain = (): Promise<void> => new Promise((resolve) => {
    if (ended || res.destroyed) {
      resolve();
      return;
    }
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });

  const catchUp = async (): Promise<void> => {
    while (!ended) {
      const rows = opts.store.eventsAfter(lastId ?? 0, opts.replayPageSize);
      for (const row of rows) {
        if (ended) return;
        if (!send(row)) await waitForDrain();
      }
      if (rows.length >= opts.replayPageSize) {
        // a long history (or a filter that matches little) must not hold the event loop
        await setImmediate();
        continue;
      }
      if (overflowed) {
        // rows were dropped from the buffer: they are in the outbox, read on from there
        overflowed = false;
        buffer = [];
        continue;
      }
      // the switch-over: rows published while reading; those already read are dropped by id
      let paused = false;
      for (let row = buffer.shift(); row !== undefined && !ended; row = buffer.shift()) {
        if (!send(row)) {
          paused = true;
          break;
        }
      }
      if (paused) {
        // read on from the outbox once the client keeps up; the rest of the buffer is there too
        await waitForDrain();
        continue;
      }
      // synchronous from the last buffer check to here: no live row can slip between
      mode = 'live';
      return;
    }
  };

  const runCatchUp = (): void => {
    catchUp().catch((e: unknown) => {
      // the outbox failed (closing, disk): end the stream; the client resumes with Last-Event-ID
      opts.log.error({ err: describeError(e), lastId }, 'event stream replay failed');
      end();
    });
  };

  const onLive = (row: LiveRow): void => {
    if (ended) return;
    if (mode === 'live') {
      if (!send(row)) {
        mode = 'catching-up';
        void waitForDrain().then(() => { if (!ended) runCatchUp(); });
      }
      return;
    }
    if (buffer.length >= opts.maxBufferedRows) {
      overflowed = true;
      buffer = [];
    }
    buffer.push(row);
  };

  const unsubscribe = opts.live.subscribe(onLive);
  const heartbeat = setInterval(() => {
    if (!ended) res.write(': heartbeat\n\n');
  }, opts.heartbeatMs);

  const release = (): void => {
    if (ended) return;
    ended = true;
    unsubscribe();
    clearInterval(heartbeat);
    buffer = [];
    resolveClosed();
  };
  const end = (): void => {
    const wasEnded = ended;
    release();
    if (!wasEnded && !res.writableEnded) res.end();
  };
  res.on('close', release);
  res.on('error', (e) => {
    opts.log.debug({ err: describeError(e) }, 'event stream socket error');
    release();
  });

  res.writeHead(200, SSE_HEADERS);
  // an early comment flushes the headers so clients see the stream open before the first event
  res.write(': stream open\nretry: 3000\n\n');
  if (mode === 'catching-up') runCatchUp();

  return { close: end, closed };
}
