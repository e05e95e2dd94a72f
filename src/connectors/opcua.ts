/**
 * OPC UA connector: one device, one client, one subscription (node-opcua, loaded on first start).
 *
 * The connector manages reconnection itself instead of relying on node-opcua's: on any sign of a
 * broken link (channel lost or closed, session closed, subscription terminated) it tears the whole
 * link down and opens a new one after a full-jitter backoff (backoff.ts). Every new link reads the
 * current value of every monitored node once, after its monitored items exist, and pushes that
 * snapshot: a result that appeared while the link was down, and is still the latest value, is seen
 * (results older than the latest are gone; a server keeps no history for us).
 *
 * A subscription can also stop delivering without anything closing (a server that keeps the
 * channel but no longer answers Publish): every PublishResponse, keep-alives included, rearms a
 * watchdog of (keepAliveCount + 1) x publishingInterval x 2 (the server's revised values); when it
 * fires the link is rebuilt and the device reported degraded meanwhile.
 *
 * Frames are pushed one at a time, in arrival order, each awaited (the sink resolves once
 * durable); notifications that arrive while the snapshot is being read wait behind it.
 */
import type { OpcUaFrame, OpcUaPlan } from '../adapter/types.js';
import type { Clock } from '../clock.js';
import type { OpcUaConnection } from '../config/types.js';
import { BorderlinkError, describeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { createBackoff, type BackoffOptions } from './backoff.js';
import { createLinkStatusReporter } from './link-status.js';
import { planProblems } from './opcua-address.js';
import { createFrameAssembler, type FrameAssembler } from './opcua-frames.js';
import type { OpcUaLink, OpenOpcUaLink, PublishBatch } from './opcua-link.js';
import type { ClientPki } from './opcua-pki.js';
import type { Connector, LinkStatus, Sink } from './types.js';

export interface OpcUaConnectorOptions {
  deviceId: string;
  endpointUrl: string;
  settings: OpcUaConnection;
  plan: OpcUaPlan;
  sink: Sink<OpcUaFrame>;
  logger: Logger;
  clock: Clock;
  /** the certificate of a built-in simulator the gateway started itself: trusted for this device */
  pinnedServerCertificate?: Buffer;
  /** reconnect delays (defaults: base 500 ms, cap 30 s, full jitter) */
  backoff?: BackoffOptions;
  random?: () => number;
  /** longest one opening may take (discovery to the last monitored item), ms; default settings.connectTimeoutMs or 15000 */
  connectTimeoutMs?: number;
  /** longest stop() waits, ms (default 3000) */
  stopTimeoutMs?: number;
  /** frames waiting for the sink beyond this are dropped (logged); default 10000 */
  maxQueuedFrames?: number;
  /** replaces node-opcua (tests) */
  openLink?: OpenOpcUaLink;
  /** replaces the PKI (tests with a fake link) */
  openPki?: (dir: string, applicationUri: string, log: Logger) => Promise<ClientPki>;
}

export const DEFAULT_OPCUA_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_OPCUA_STOP_TIMEOUT_MS = 3_000;

/** Keep-alive watchdog: (keepAliveCount + 1) x publishingInterval x 2. */
export function watchdogMs(publishingIntervalMs: number, keepAliveCount: number): number {
  return (keepAliveCount + 1) * publishingIntervalMs * 2;
}

function configError(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail });
}

type LinkModule = typeof import('./opcua-link.js');
let linkModule: Promise<LinkModule> | undefined;
function loadLinkModule(log: Logger): Promise<LinkModule> {
  linkModule ??= import('./opcua-link.js').then((m) => {
    m.routeNodeOpcuaLogs(log);
    return m;
  });
  return linkModule;
}

/** Why a link ended. */
interface Ending {
  status: LinkStatus & { state: 'offline' | 'degraded' };
  /** close the session politely first (the server is still answering) */
  graceful: boolean;
}

export function createOpcUaConnector(opts: OpcUaConnectorOptions): Connector {
  const { deviceId, plan, sink, clock, settings } = opts;
  const problems = planProblems(plan);
  if (!/^opc\.tcp:\/\/.+/.test(opts.endpointUrl)) problems.push(`endpoint URL "${opts.endpointUrl}" is not opc.tcp://host:port[/path]`);
  if (settings.security.mode === 'None' && !settings.security.allowInsecure) problems.push('security mode None needs security.allowInsecure: true');
  if (problems.length > 0) throw configError(`device ${deviceId}: OPC UA plan or settings invalid: ${problems.join('; ')}`, { deviceId, problems });

  const log = opts.logger.child({ deviceId, connector: 'opcua' });
  const backoff = createBackoff(opts.backoff, opts.random);
  const connectTimeoutMs = opts.connectTimeoutMs ?? settings.connectTimeoutMs ?? DEFAULT_OPCUA_CONNECT_TIMEOUT_MS;
  const stopTimeoutMs = opts.stopTimeoutMs ?? DEFAULT_OPCUA_STOP_TIMEOUT_MS;
  const maxQueued = opts.maxQueuedFrames ?? 10_000;
  // DEFAULT_APPLICATION_URI of opcua-pki.ts, not imported from there: that module loads node-opcua
  const applicationUri = settings.applicationUri ?? 'urn:borderlink:gateway:opcua-client';
  const assembler: FrameAssembler = createFrameAssembler(plan.nodes.map((n) => n.name));

  let started = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let pki: ClientPki | null = null;
  const stopController = new AbortController();
  /** wakes the loop from a sleep or from serving a link */
  let interrupt: ((why: Ending | null) => void) | null = null;
  let link: OpcUaLink | null = null;

  const status = createLinkStatusReporter(sink, log);
  const report = (st: LinkStatus): boolean => (stopped ? false : status.report(st));

  // ---- frame pump: one push at a time, in order ----
  const queue: OpcUaFrame[] = [];
  let pumping: Promise<void> | null = null;
  let dropped = 0;
  function enqueue(frames: readonly OpcUaFrame[]): void {
    for (const f of frames) {
      if (queue.length >= maxQueued) {
        dropped += 1;
        if (dropped === 1 || dropped % 1000 === 0) log.error({ dropped, queued: queue.length }, 'OPC UA frames dropped: the sink is not keeping up');
        continue;
      }
      queue.push(f);
    }
    if (pumping === null && queue.length > 0) pumping = pump();
  }
  async function pump(): Promise<void> {
    try {
      for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
        try {
          await sink.push(f);
        } catch (e) {
          log.error({ err: describeError(e) }, 'sink.push failed');
        }
      }
    } finally {
      pumping = null;
    }
  }

  function sleep(ms: number): Promise<void> {
    if (stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        interrupt = null;
        resolve();
      }, Math.max(0, ms));
      interrupt = () => {
        clearTimeout(timer);
        interrupt = null;
        resolve();
      };
    });
  }

  function framesOf(batch: PublishBatch, receivedAt: number): OpcUaFrame[] {
    const frames: OpcUaFrame[] = [];
    for (const e of batch.entries) {
      if (e.kind === 'data') frames.push(...assembler.dataChange(e.items, receivedAt));
      else frames.push(assembler.event(e.fields, receivedAt));
    }
    return frames;
  }

  /** Opens one link, serves it until it ends; resolves with why it ended (null: stopped). */
  async function serveOnce(mod: LinkModule, p: ClientPki): Promise<Ending | null> {
    // notifications before the snapshot is pushed wait here, so the snapshot goes first
    let held: Array<{ batch: PublishBatch; at: number }> | null = [];
    let ended: Ending | null | undefined;
    let end: (why: Ending | null) => void = () => undefined;
    const endedP = new Promise<Ending | null>((resolve) => {
      end = resolve;
    });
    const finish = (why: Ending | null): void => {
      if (ended !== undefined) return;
      ended = why;
      end(why);
    };
    let watchdog: NodeJS.Timeout | undefined;
    let limitMs = 0;
    // online once the snapshot is pushed AND the subscription has answered a Publish: a server
    // that accepts a subscription but never publishes is not online
    let snapshotDone = false;
    let published = false;
    let online = false;
    let security = '';
    const goOnline = (): void => {
      if (online || !snapshotDone || !published || ended !== undefined) return;
      online = true;
      backoff.reset();
      log.info({ endpointUrl: opts.endpointUrl, security, publishingIntervalMs: link?.publishingIntervalMs, keepAliveCount: link?.keepAliveCount, watchdogMs: limitMs }, 'OPC UA subscription established');
      report({ state: 'online', detail: `subscribed (${security})` });
    };
    const arm = (): void => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => finish({
        status: { state: 'degraded', code: 'BL_ERR_DEVICE_UNRESPONSIVE', detail: `no publish response (data or keep-alive) for ${limitMs} ms: rebuilding the subscription` },
        graceful: true,
      }), limitMs);
    };

    const opened = await mod.openOpcUaLink({
      deviceId,
      endpointUrl: opts.endpointUrl,
      policy: settings.security.policy,
      mode: settings.security.mode,
      identity: settings.identity,
      trustUnknownServer: settings.trustUnknownServer,
      ...(opts.pinnedServerCertificate ? { pinnedServerCertificate: opts.pinnedServerCertificate } : {}),
      pki: p,
      applicationUri,
      plan,
      timeoutMs: connectTimeoutMs,
      signal: stopController.signal,
      log,
      onPublish(batch) {
        if (ended !== undefined) return;
        if (limitMs > 0) arm();
        const at = clock.now();
        if (held !== null) held.push({ batch, at });
        else enqueue(framesOf(batch, at));
        published = true;
        goOnline();
      },
      onLost(reason) {
        finish({ status: { state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: reason }, graceful: false });
      },
    });
    if (stopped) {
      if (opened.ok) await opened.link.close(false, stopTimeoutMs);
      return null;
    }
    if (!opened.ok) return { status: { state: opened.state, code: opened.code, detail: opened.message }, graceful: false };
    const l = opened.link;
    link = l;
    security = l.security;
    interrupt = () => finish(null);
    limitMs = watchdogMs(l.publishingIntervalMs, l.keepAliveCount);
    arm();
    try {
      let timer: NodeJS.Timeout | undefined;
      const read = await Promise.race([
        l.readAll().then((values) => ({ values }), (e: unknown) => ({ error: describeError(e).message })),
        new Promise<{ error: string }>((resolve) => {
          timer = setTimeout(() => resolve({ error: `timed out after ${connectTimeoutMs} ms` }), connectTimeoutMs);
        }),
        endedP.then(() => null),
      ]);
      clearTimeout(timer);
      if (read !== null && ended === undefined) {
        if ('error' in read) {
          finish({ status: { state: 'degraded', code: 'BL_ERR_DEVICE_UNRESPONSIVE', detail: `reading the current values failed: ${read.error}` }, graceful: true });
        } else {
          enqueue([assembler.snapshot(read.values, clock.now())]);
          const pending = held ?? [];
          held = null;
          for (const h of pending) enqueue(framesOf(h.batch, h.at));
          snapshotDone = true;
          goOnline();
        }
      }
      return await endedP;
    } finally {
      interrupt = null;
      clearTimeout(watchdog);
      link = null;
      await l.close(ended?.graceful ?? true, stopTimeoutMs);
    }
  }

  /** node-opcua and the PKI, retried with the backoff (an unwritable or unmounted data dir may come back). */
  async function prepare(): Promise<{ mod: LinkModule; pki: ClientPki } | null> {
    while (!stopped) {
      try {
        let mod = await loadLinkModule(opts.logger);
        if (opts.openLink) mod = { ...mod, openOpcUaLink: opts.openLink };
        const p = await (opts.openPki ?? mod.openClientPki)(settings.pkiDir, applicationUri, log);
        if (stopped) {
          await p.release();
          return null;
        }
        return { mod, pki: p };
      } catch (e) {
        const detail = `OPC UA client cannot start: ${describeError(e).message}`;
        if (report({ state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail })) log.error({ err: describeError(e), pkiDir: settings.pkiDir }, 'OPC UA client cannot start (node-opcua or PKI)');
        await sleep(backoff.next());
      }
    }
    return null;
  }

  async function run(): Promise<void> {
    const ready = await prepare();
    if (ready === null) return;
    pki = ready.pki;
    while (!stopped) {
      let why: Ending | null = null;
      try {
        why = await serveOnce(ready.mod, ready.pki);
      } catch (e) {
        log.error({ err: describeError(e) }, 'OPC UA connector loop failed');
        why = { status: { state: 'offline', code: 'BL_ERR_CONNECT_FAILED', detail: describeError(e).message }, graceful: false };
      }
      if (stopped || why === null) break;
      const changed = report(why.status);
      const fields = { code: why.status.code as ErrorCode, detail: why.status.detail };
      if (changed && why.status.code === 'BL_ERR_OPCUA_SERVER_UNTRUSTED') log.error(fields, 'OPC UA server refused: not trusted');
      else if (changed && why.status.code !== 'BL_ERR_CONNECT_FAILED') log.warn(fields, 'OPC UA link failed');
      const delay = backoff.next();
      log.debug({ ...fields, delayMs: delay, attempt: backoff.attempt }, 'OPC UA reconnect scheduled');
      await sleep(delay);
    }
  }

  return {
    deviceId,
    start(): Promise<void> {
      if (started) return Promise.resolve();
      started = true;
      if (settings.security.mode === 'None') {
        log.warn({ endpointUrl: opts.endpointUrl, allowInsecure: true },
          'OPC UA security mode None: results travel unsigned and unencrypted (allowed by security.allowInsecure)');
      }
      loop = run();
      return Promise.resolve();
    },
    /** Final: a stopped connector does not start again. */
    async stop(): Promise<void> {
      stopped = true;
      stopController.abort();
      interrupt?.(null);
      const deadline = Date.now() + stopTimeoutMs;
      const waitFor = async (p: Promise<unknown> | null): Promise<boolean> => {
        if (p === null) return true;
        let timer: NodeJS.Timeout | undefined;
        const done = await new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
          void p.then(() => resolve(true), () => resolve(true));
        });
        clearTimeout(timer);
        return done;
      };
      const finished = (await waitFor(loop)) && (await waitFor(pumping));
      const l = link;
      if (l !== null) await l.close(false, Math.max(100, deadline - Date.now()));
      if (pki !== null) {
        const p = pki;
        pki = null;
        await Promise.race([p.release(), new Promise((r) => setTimeout(r, 1_000))]);
      }
      if (!finished) log.warn({ code: 'BL_ERR_SHUTDOWN_TIMEOUT', timeoutMs: stopTimeoutMs, queued: queue.length }, 'OPC UA connector did not stop in time');
    },
  };
}
