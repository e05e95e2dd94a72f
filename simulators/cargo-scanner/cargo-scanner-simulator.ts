/**
 * A cargo X-ray scanner that reports over HTTP, in either of the two ways vendors do:
 *
 *  - webhook: after each scan it POSTs multipart/form-data to a URL (the gateway's
 *    /v1/scanners/{path}/results): a `result` field holding the threat report JSON, and one
 *    file part per image (field name = the image id the report's threat objects use);
 *  - poll: it serves its scans and lets the gateway fetch them:
 *      GET /scans?since=<sequence>&limit=<n>  {"scans":[{"sequence":n,"report":{...}}],"next":"<sequence>"}
 *                                             (since_id is read as since)
 *                                             (report images carry uri, sha256, bytes, mediaType)
 *      GET /images/<sha256>.png               the image bytes
 *      GET /status                            {"state":"ready"|"scanning"|"fault"}
 *
 * Scans come from scans.ts (seeded). With `realtime`, one scan of the scenario every intervalMs;
 * otherwise only on produce(). corrupt(true) makes the following reports invalid (probability
 * 87 instead of 0.87) so a gateway's quarantine can be tested.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../../src/log.js';
import type { ThreatReport } from '../../src/dicos/threat-report.js';
import { createScanFactory, isCargoScenario, scenarioKinds, type CargoScenario, type ScanKind, type SimImage, type SimReport } from './scans.js';

export interface CargoScannerSimulatorOptions {
  mode: 'webhook' | 'poll';
  /** webhook: where results are POSTed */
  webhookUrl?: string;
  /** webhook: sent as x-api-key */
  apiKey?: string;
  /** poll: bind address (default 127.0.0.1, port 0 = ephemeral) */
  host?: string;
  port?: number;
  scenario?: string;
  seed?: number;
  /** realtime: ms between scans (default 10 000) */
  intervalMs?: number;
  realtime?: boolean;
  /** device clock (default Date.now) */
  now?: () => number;
  logger?: Logger;
}

export interface WebhookDelivery {
  sequence: number;
  status: number;
  body: string;
}

export interface CargoScannerSimulator {
  readonly mode: 'webhook' | 'poll';
  /** poll: base URL of the scanner's API */
  readonly url: string | undefined;
  readonly port: number | undefined;
  readonly scenario: CargoScenario;
  /** Makes one scan now (of `kind`, default the scenario's next) and, in webhook mode, delivers it. */
  produce(kind?: ScanKind): Promise<SimReport[]>;
  /** every report made so far, oldest first */
  reports(): readonly SimReport[];
  /** webhook: the gateway's answers, oldest first */
  deliveries(): readonly WebhookDelivery[];
  corrupt(on: boolean): void;
  /** the scanner state served at /status */
  setState(state: 'ready' | 'scanning' | 'fault'): void;
  close(): Promise<void>;
}

/** The report as the poll API serves it: images where the scanner serves them. */
function polledReport(r: SimReport, base: string): ThreatReport {
  const images = r.images.map((img) => ({ id: img.id, uri: `${base}/images/${img.sha256}.png`, sha256: img.sha256, bytes: img.data.length, mediaType: img.mediaType, kind: 'image' as const }));
  return images.length > 0 ? { ...r.report, images } : r.report;
}

function corrupted(r: SimReport): SimReport {
  const report = { ...r.report, threatObjects: [{ id: 'x', category: 'ANOMALY', probability: 87 }] } as ThreatReport;
  return { ...r, report };
}

/** multipart/form-data body of one webhook delivery. */
export function webhookForm(report: ThreatReport, images: readonly SimImage[]): FormData {
  const form = new FormData();
  form.append('result', JSON.stringify(report));
  for (const img of images) form.append(img.id, new Blob([img.data], { type: img.mediaType }), img.filename);
  return form;
}

export async function startCargoScannerSimulator(opts: CargoScannerSimulatorOptions): Promise<CargoScannerSimulator> {
  const scenarioName = opts.scenario ?? 'demo';
  if (!isCargoScenario(scenarioName)) throw new Error(`unknown cargo-scanner scenario "${scenarioName}"`);
  if (opts.mode === 'webhook' && (opts.webhookUrl === undefined || opts.webhookUrl === '')) throw new Error('webhook mode needs webhookUrl');
  const scenario: CargoScenario = scenarioName;
  const now = opts.now ?? Date.now;
  const factory = createScanFactory(opts.seed === undefined ? {} : { seed: opts.seed });
  const kinds = scenarioKinds(scenario);
  const made: SimReport[] = [];
  const delivered: WebhookDelivery[] = [];
  const images = new Map<string, SimImage>();
  let turn = 0;
  let bad = false;
  let state: 'ready' | 'scanning' | 'fault' = 'ready';
  let server: Server | undefined;
  let url: string | undefined;
  let port: number | undefined;

  const deliver = async (r: SimReport): Promise<void> => {
    try {
      const res = await fetch(opts.webhookUrl as string, {
        method: 'POST',
        body: webhookForm(r.report, r.images),
        headers: opts.apiKey ? { 'x-api-key': opts.apiKey } : {},
        signal: AbortSignal.timeout(30_000),
      });
      const body = await res.text();
      delivered.push({ sequence: r.sequence, status: res.status, body });
      opts.logger?.info({ scanId: r.report.scanId, sequence: r.sequence, status: res.status }, 'cargo scan delivered');
    } catch (e) {
      delivered.push({ sequence: r.sequence, status: 0, body: (e as Error).message });
      opts.logger?.warn({ scanId: r.report.scanId, err: (e as Error).message }, 'cargo scan delivery failed');
    }
  };

  const produce = async (kind?: ScanKind): Promise<SimReport[]> => {
    const k = kind ?? (kinds[turn % kinds.length] as ScanKind);
    turn += 1;
    const reports = factory.next(k, now()).map((r) => (bad ? corrupted(r) : r));
    for (const r of reports) {
      made.push(r);
      for (const img of r.images) images.set(img.sha256, img);
      if (opts.mode === 'webhook') await deliver(r);
    }
    if (opts.mode === 'poll') opts.logger?.info({ scanId: reports[0]?.report.scanId, kind: k }, 'cargo scan ready to poll');
    return reports;
  };

  if (opts.mode === 'poll') {
    server = createServer((req, res) => handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server?.once('error', reject);
      server?.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
    });
    const addr = server.address() as AddressInfo;
    port = addr.port;
    url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  }

  function send(res: ServerResponse, status: number, type: string, body: Buffer | string): void {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', 'http://scanner');
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'GET only');
    if (u.pathname === '/scans') {
      // `since` (this scanner's word) or `since_id` (what some pollers send)
      const since = Number(u.searchParams.get('since') ?? u.searchParams.get('since_id') ?? '0');
      const limit = Math.min(100, Math.max(1, Number(u.searchParams.get('limit') ?? '20') || 20));
      const after = Number.isFinite(since) ? since : 0;
      const page = made.filter((r) => r.sequence > after).slice(0, limit);
      const next = page.length > 0 ? (page[page.length - 1] as SimReport).sequence : after;
      return send(res, 200, 'application/json', JSON.stringify({ scans: page.map((r) => ({ sequence: r.sequence, report: polledReport(r, url as string) })), next: String(next) }));
    }
    const m = /^\/images\/([0-9a-f]{64})\.png$/.exec(u.pathname);
    if (m) {
      const img = images.get(m[1] as string);
      return img ? send(res, 200, img.mediaType, img.data) : send(res, 404, 'text/plain', 'no such image');
    }
    if (u.pathname === '/status') return send(res, 200, 'application/json', JSON.stringify({ state }));
    return send(res, 404, 'text/plain', 'not found');
  }

  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  if (opts.realtime === true) {
    timer = setInterval(() => {
      running = running.then(() => produce()).catch(() => undefined);
    }, opts.intervalMs ?? 10_000);
    timer.unref();
  }

  return {
    mode: opts.mode,
    url,
    port,
    scenario,
    produce,
    reports: () => made,
    deliveries: () => delivered,
    corrupt(on) {
      bad = on;
    },
    setState(s) {
      state = s;
    },
    async close() {
      if (timer) clearInterval(timer);
      await running;
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server?.close(() => resolve()));
      }
    },
  };
}
