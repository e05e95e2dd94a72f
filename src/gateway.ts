/**
 * The only composition root: builds every component from the frozen config and owns the
 * start and stop order.
 *
 * start: outbox -> broker (embedded, if no URL) -> simulators -> publisher + relay -> REST -> connectors
 * stop:  connectors -> pipeline drain -> REST -> relay (in-flight PUBACKs) -> publisher -> broker
 *        -> simulators -> outbox (last, so every event that was accepted is on disk)
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AnyAdapter, DeviceIdentity } from './adapter/types.js';
import { loadAdapters } from './adapter/registry.js';
import type { Clock } from './clock.js';
import type { GatewayConfig } from './config/types.js';
import { createArtifactStore } from './artifacts/artifact-store.js';
import { startArtifactRetention, unpublishedArtifactRefs, type ArtifactRetention } from './artifacts/retention.js';
import { isHttpScannerAdapter } from './dicos/scanner-adapters.js';
import type { ScannerUploadTarget } from './http/routes/scanner-upload.js';
import { createConnectorFactory, type IngestTargetSpec } from './connectors/connector-factory.js';
import type { Connector } from './connectors/types.js';
import { BorderlinkError, describeError } from './errors.js';
import { createHttpServer } from './http/server.js';
import { createLiveEvents } from './http/live-events.js';
import { createUuidV7 } from './ids.js';
import { createMetrics, type GatewayMetrics } from './metrics.js';
import { createRelay, type Relay } from './outbox/relay.js';
import { openSqliteOutbox } from './outbox/sqlite-outbox.js';
import type { Outbox } from './outbox/types.js';
import { packageRoot } from './package-root.js';
import { createPipeline } from './pipeline/pipeline.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './publish/embedded-broker.js';
import { createMqttPublisher, jsonEncoder, redactUrl, type MqttPublisher, type PayloadEncoder } from './publish/mqtt-publisher.js';
import { createProtobufEncoder } from './publish/protobuf-encoder.js';
import { createEventValidator } from './schema/validator.js';
import { DEFAULT_LIBRARY_DIR, loadLibrary } from './identify/library.js';
import { identify } from './identify/match.js';
import type { CodecContext } from './adapter/types.js';
import { startSimulators, type RunningSimulators } from './simulators.js';
import { GATEWAY_VERSION } from './version.js';

export interface GatewayOptions {
  config: GatewayConfig;
  logger: Logger;
  clock: Clock;
  /** defaults to <package>/adapters */
  adaptersDir?: string;
  /** preloaded adapters (tests, validate-config) */
  adapters?: ReadonlyMap<string, AnyAdapter>;
}

export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly httpUrl: string | undefined;
  readonly mqttUrl: string;
  readonly metrics: GatewayMetrics;
  readonly outbox: Outbox;
}

export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const { config, logger, clock } = opts;
  const log = logger.child({ component: 'gateway' });
  const adapters = opts.adapters ?? (await loadAdapters(opts.adaptersDir ?? path.join(packageRoot(), 'adapters')));
  for (const d of config.devices) {
    if (!adapters.has(d.adapter)) {
      throw new BorderlinkError('BL_ERR_CONFIG_UNKNOWN_ADAPTER', `device ${d.id}: no adapter "${d.adapter}" is installed (installed: ${[...adapters.keys()].join(', ')})`);
    }
  }
  mkdirSync(config.gateway.dataDir, { recursive: true });
  const metrics = createMetrics();
  const validator = createEventValidator();
  const newEventId = createUuidV7(clock);
  const live = createLiveEvents();

  let outbox: Outbox | undefined;
  let broker: EmbeddedBroker | undefined;
  let sims: RunningSimulators | undefined;
  let publisher: MqttPublisher | undefined;
  let relay: Relay | undefined;
  let http: Awaited<ReturnType<typeof createHttpServer>> | undefined;
  let httpUrl: string | undefined;
  let mqttUrl = config.mqtt.url ?? '';
  let retentionTimer: NodeJS.Timeout | undefined;
  const connectors: Connector[] = [];
  /** ingest paths -> devices, filled as devices are built (the REST route reads it per request) */
  const ingest = new Map<string, IngestTargetSpec>();
  /** scanner paths -> X-ray scanner devices taking multipart uploads (POST /v1/scanners/{path}/results) */
  const scannerUploads = new Map<string, ScannerUploadTarget>();
  let artifactRetention: ArtifactRetention | undefined;
  let pipeline: ReturnType<typeof createPipeline> | undefined;
  let started = false;

  const requireOutbox = (): Outbox => {
    if (!outbox) throw new BorderlinkError('BL_ERR_OUTBOX_CLOSED', 'the gateway has not started');
    return outbox;
  };

  const gateway: Gateway = {
    get httpUrl() {
      return httpUrl;
    },
    get mqttUrl() {
      return mqttUrl;
    },
    metrics,
    get outbox() {
      return requireOutbox();
    },

    async start() {
      const ob = openSqliteOutbox({ path: path.join(config.gateway.dataDir, 'outbox.sqlite'), clock, logger, batchMaxEvents: config.outbox.batchMaxEvents });
      outbox = ob;
      metrics.setOutboxProbe(() => ob.stats(clock.now()));

      let credentials: { username: string; password: string } | undefined;
      if (!config.mqtt.url) {
        broker = await startEmbeddedBroker({ ...config.mqtt.embedded, logger });
        mqttUrl = broker.url;
        credentials = broker.gatewayCredentials;
      }
      sims = await startSimulators(config.simulators, logger);

      const encoder: PayloadEncoder = config.mqtt.payloadFormat === 'protobuf' ? createProtobufEncoder() : jsonEncoder;
      publisher = createMqttPublisher({
        url: mqttUrl,
        // aedes speaks MQTT 3.1.1 only
        mqtt: { ...config.mqtt, protocolVersion: broker ? 4 : config.mqtt.protocolVersion ?? 5 },
        credentials,
        gatewayId: config.gateway.id,
        siteId: config.gateway.siteId,
        version: GATEWAY_VERSION,
        encoder,
        logger,
        now: () => clock.now(),
      });
      const rl = createRelay({ outbox: ob, publisher, window: config.mqtt.inflightWindow, logger, metrics, now: () => clock.now() });
      relay = rl;
      rl.start();

      const artifactsDir = path.join(config.gateway.dataDir, 'artifacts');
      let identifyHook: CodecContext<unknown>['identify'];
      if (config.identification.enabled) {
        const dir = config.identification.library ?? DEFAULT_LIBRARY_DIR();
        const lib = loadLibrary(dir);
        if (!lib.ok) throw new BorderlinkError('BL_ERR_LIBRARY_INVALID', lib.error.message);
        const library = lib.value;
        const top = config.identification.top;
        identifyHook = (spectrum) => identify(library, spectrum, { top });
        logger.info({ library: library.name, version: library.version, entries: library.entries.length, dir }, 'identification library loaded');
      }
      const artifactStore = createArtifactStore({ dir: artifactsDir, maxBytes: config.artifacts.maxBytes, logger, clock });
      const pl = createPipeline({
        ...(identifyHook ? { identify: identifyHook } : {}),
        artifacts: artifactStore,
        gatewayId: config.gateway.id,
        outbox: ob,
        validator,
        newEventId,
        clock,
        logger,
        metrics,
        onDurable: (rows) => {
          rl.notify();
          for (const row of rows) live.publish(row);
        },
      });
      pipeline = pl;

      const factory = createConnectorFactory({ logger, clock, artifacts: artifactStore, scannerImageMaxBytes: config.http.scannerUpload.maxImageBytes });
      for (const d of config.devices) {
        if (!d.enabled) continue;
        const adapter = adapters.get(d.adapter) as AnyAdapter;
        const identity: DeviceIdentity = { id: d.id, siteId: config.gateway.siteId };
        if (d.laneId) identity.laneId = d.laneId;
        if (d.deviceClass) identity.deviceClass = d.deviceClass;
        if (d.technique) identity.technique = d.technique;
        for (const k of ['vendor', 'model', 'serial', 'firmware'] as const) if (d[k]) identity[k] = d[k];
        const sink = pl.forDevice(identity, adapter, d.options);
        const c = d.connection;
        const address = c.simulator ? sims.address(c.simulator) : c.host !== undefined && c.port !== undefined ? { host: c.host, port: c.port } : undefined;
        const built = factory.build(d, adapter, sink, address);
        if (built.connector) connectors.push(built.connector);
        if (built.ingest) ingest.set(built.ingest.path, built.ingest.target);
        if (built.ingest && isHttpScannerAdapter(adapter)) {
          const target = built.ingest.target;
          scannerUploads.set(built.ingest.path, { deviceId: d.id, push: (frame) => target.push(frame) });
        }
      }

      if (config.http.enabled) {
        http = await createHttpServer({
          store: ob,
          live,
          metrics: metrics.registry,
          readiness: () => {
            const mqtt = publisher?.connected ?? false;
            return { ready: started, checks: { outbox: outbox !== undefined, mqtt, started } };
          },
          auth: { apiKeys: [...config.http.apiKeys] },
          limits: { maxPageSize: config.http.maxPageSize, defaultPageSize: Math.min(100, config.http.maxPageSize), bodyLimitBytes: config.http.bodyLimitBytes },
          artifactsDir,
          ingest,
          scannerUploads: { targets: scannerUploads, artifacts: artifactStore, limits: config.http.scannerUpload },
          logger,
          version: GATEWAY_VERSION,
        });
        try {
          await http.listen({ host: config.http.host, port: config.http.port });
        } catch (e) {
          throw new BorderlinkError('BL_ERR_HTTP_START', `REST cannot listen on ${config.http.host}:${config.http.port}: ${describeError(e).message} (set http.port or BORDERLINK_HTTP_PORT)`);
        }
        const addr = http.server.address() as AddressInfo;
        httpUrl = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
      }

      await Promise.all(connectors.map((c) => c.start()));

      const keep = config.artifacts.retention;
      if (keep.maxAgeDays > 0 || keep.maxTotalBytes > 0) {
        artifactRetention = startArtifactRetention({
          store: artifactStore,
          policy: { maxAgeDays: keep.maxAgeDays, maxTotalBytes: keep.maxTotalBytes },
          intervalMs: keep.intervalMinutes * 60_000,
          protect: () => unpublishedArtifactRefs(ob),
          logger,
          registry: metrics.registry,
        });
      }

      if (config.outbox.retentionHours > 0) {
        const prune = (): void => {
          try {
            const n = ob.prune({ ackedOlderThanMs: config.outbox.retentionHours * 3_600_000 });
            if (n > 0) log.info({ pruned: n }, 'published events past retention pruned');
          } catch (e) {
            log.warn({ err: describeError(e) }, 'retention prune failed');
          }
        };
        retentionTimer = setInterval(prune, 600_000);
        retentionTimer.unref();
      }
      started = true;
      log.info(
        { gatewayId: config.gateway.id, siteId: config.gateway.siteId, rest: httpUrl, mqtt: redactUrl(mqttUrl), embeddedBroker: broker !== undefined, devices: connectors.length, simulators: config.simulators.length, version: GATEWAY_VERSION },
        'gateway started',
      );
    },

    async stop() {
      const budget = config.gateway.shutdownTimeoutMs;
      const deadline = clock.now() + budget;
      const left = (): number => Math.max(100, deadline - clock.now());
      started = false;
      log.info({}, 'gateway stopping');
      if (retentionTimer) clearInterval(retentionTimer);
      await artifactRetention?.stop();
      await Promise.allSettled(connectors.map((c) => c.stop()));
      connectors.length = 0;
      if (pipeline) await withTimeout(pipeline.drain(), left());
      if (http) await withTimeout(http.close(), left()).catch(() => undefined);
      if (relay) await relay.stop(Math.min(left(), 2000));
      if (publisher) await publisher.stop(Math.min(left(), 1000));
      if (broker) await withTimeout(broker.close(), Math.min(left(), 1000)).catch(() => undefined);
      if (sims) await sims.close();
      if (outbox) await outbox.close();
      log.info({}, 'gateway stopped');
    },
  };
  return gateway;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
