/**
 * A spectrometer sync station (adapters/spectro-sync-station/README.md): docked handhelds' results
 * kept with increasing ids and served at GET /api/v1/results?since_id=N&limit=M, or pushed one by
 * one to a webhook with an HMAC-SHA256 signature. Fault modes for tests: garbage bodies, HTTP 500,
 * slow replies. Results come from the same measurement model and vendor algorithm as the HSX-1
 * handheld simulator, on a 0-1 confidence scale.
 */
import http from 'node:http';
import { BorderlinkError } from '../../src/errors.js';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/http/webhook-signature.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary } from '../../src/identify/library.js';
import { randomBands, simulateMeasurement } from '../../src/identify/simulate.js';
import type { Logger } from '../../src/log.js';
import { SeededRandom } from '../rpm/seeded-random.js';
import { SPECTRO_SCENARIOS, type SpectroScenario } from '../spectrometer/spectrometer-simulator.js';
import { createVendorAlgorithm } from '../spectrometer/vendor-algorithm.js';

export type SyncFault = 'none' | 'garbage' | 'http-500' | 'slow';

export interface SyncStationOptions {
  host?: string;
  port?: number;
  seed?: number;
  /** 'demo' adds a result of each scenario in turn every intervalMs; 'idle' only when told */
  scenario?: 'demo' | 'idle';
  intervalMs?: number;
  /** push each new result to this URL (signed when secret is set) */
  webhook?: { url: string; secret?: string };
  logger?: Logger;
}

export interface SyncStation {
  port: number;
  url: string;
  /** adds one result; returns its id */
  add(scenario: SpectroScenario): Promise<number>;
  fault(f: SyncFault): void;
  /** results held */
  count(): number;
  close(): Promise<void>;
}

const TARGET: Record<Exclude<SpectroScenario, 'no-match' | 'low-signal'>, string[]> = {
  narcotic: ['cocaine-hcl'], explosive: ['tnt'], precursor: ['acetone'], mixture: ['heroin', 'methanol'],
};
const CLASS: Record<string, string | undefined> = { Narcotics: 'narcotic', Explosives: 'explosive', Precursors: 'precursor', Chemicals: 'chemical', Environmental: 'environmental' };

export async function startSyncStation(opts: SyncStationOptions = {}): Promise<SyncStation> {
  const lib = loadLibrary(DEFAULT_LIBRARY_DIR());
  if (!lib.ok) throw new BorderlinkError('BL_ERR_SIMULATOR', `sync station simulator: ${lib.error.message}`);
  const library = lib.value;
  const vendor = createVendorAlgorithm(library);
  const rnd = new SeededRandom(opts.seed ?? 1);
  const results: Array<Record<string, unknown>> = [];
  let fault: SyncFault = 'none';

  const make = (scenario: SpectroScenario): Record<string, unknown> => {
    const id = results.length + 1;
    const seed = rnd.uint32();
    const model = { seed, fluorescence: rnd.range(0.2, 1.5), baselineDrift: rnd.range(-0.4, 0.4), scale: rnd.range(100, 1000) };
    const s = scenario === 'no-match' ? simulateMeasurement(library, { bands: randomBands(seed) }, { ...model, snr: 60 })
      : scenario === 'low-signal' ? simulateMeasurement(library, { components: [{ id: 'cocaine-hcl', weight: 1 }] }, { ...model, snr: 1.5 })
        : simulateMeasurement(library, { components: TARGET[scenario].map((c, i, all) => ({ id: c, weight: all.length === 2 ? (i === 0 ? 0.55 : 0.45) : 1 })) }, { ...model, snr: rnd.range(40, 120) });
    const a = vendor(s.x, s.y);
    const verdict = a.verdict === 'LOW SIGNAL' ? 'INCONCLUSIVE' : a.verdict === 'THREAT' || (a.verdict === 'MIXTURE' && a.threatClass) ? 'ALARM' : 'CLEAR';
    // the station down-samples to 2 1/cm and keeps 4 decimals
    return {
      id, sampleId: `SYNC-${String(id).padStart(5, '0')}`, timestamp: new Date().toISOString(), operator: 'officer-204',
      instrument: { serial: 'RX-7781', model: 'SyncDock RX', firmware: '2.4.0' }, technique: 'raman', verdict,
      ...(a.threatClass && CLASS[a.threatClass] ? { threatClass: CLASS[a.threatClass] } : {}),
      library: { name: 'SyncDock Threat Library', version: '12.1' },
      hits: a.hits.map((h) => ({ name: h.name, ...(h.cas ? { cas: h.cas } : {}), score: Math.round(h.score) / 1000, ...(h.fraction !== undefined ? { fraction: h.fraction } : {}) })),
      spectrum: { firstX: s.x[0], lastX: s.x[s.x.length - 1], xUnits: '1/cm', yUnits: 'ABSORBANCE', y: Array.from(s.y, (v) => Math.round(v * 1e4) / 1e4) },
    };
  };

  const push = async (r: Record<string, unknown>): Promise<void> => {
    if (!opts.webhook) return;
    const body = JSON.stringify(r);
    const ts = Math.floor(Date.now() / 1000);
    try {
      const res = await fetch(opts.webhook.url, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', ...(opts.webhook.secret ? { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signWebhook(opts.webhook.secret, ts, body) } : {}) },
      });
      await res.arrayBuffer();
      opts.logger?.info({ id: r.id, status: res.status }, 'sync station pushed a result');
    } catch (e) {
      opts.logger?.warn({ id: r.id, err: (e as Error).message }, 'sync station could not push a result');
    }
  };

  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' || u.pathname !== '/api/v1/results') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    const since = Number(u.searchParams.get('since_id') ?? '0');
    const limit = Math.min(500, Math.max(1, Number(u.searchParams.get('limit') ?? '100')));
    if (!Number.isInteger(since) || since < 0 || !Number.isInteger(limit)) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad since_id or limit"}');
      return;
    }
    const send = () => {
      if (fault === 'http-500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"database locked"}');
        return;
      }
      if (fault === 'garbage') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"results": [ {"id": 1, garbage');
        return;
      }
      const page = results.filter((r) => (r.id as number) > since).slice(0, limit);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: page }));
    };
    if (fault === 'slow') setTimeout(send, 10_000).unref();
    else send();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(new BorderlinkError('BL_ERR_SIMULATOR', `sync station cannot listen: ${e.message}`)));
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let k = 0;
  const timer = opts.scenario === 'idle' ? undefined : setInterval(() => {
    const r = make(SPECTRO_SCENARIOS[k++ % SPECTRO_SCENARIOS.length] as SpectroScenario);
    results.push(r);
    void push(r);
  }, opts.intervalMs ?? 10_000);
  timer?.unref();
  return {
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}/api/v1/results`,
    async add(scenario) {
      const r = make(scenario);
      results.push(r);
      await push(r);
      return r.id as number;
    },
    fault: (f) => {
      fault = f;
    },
    count: () => results.length,
    async close() {
      if (timer) clearInterval(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
