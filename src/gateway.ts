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
import { startEmbeddedBroker, type BrokerAccessDecision, type EmbeddedBroker } from './publish/embedded-broker.js';
import { withAgencyFanout } from './publish/agency-fanout.js';
import { eventTopic } from './publish/topics.js';
import { openAuditLog, type AuditLog } from './audit/audit-log.js';
import { auditConfig } from './audit/config-audit.js';
import { decisionDraft } from './decisions/operator-decision.js';
import type { DecisionResult } from './http/routes/decision.js';
import type { DevicePipeline } from './pipeline/pipeline.js';
import type { OnAccess } from './security/http-access.js';
import { createGatewaySharing } from './sharing/gateway-sharing.js';
import { isoTime } from './clock.js';
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
  const connectors: Connector[] = [];
  /** ingest paths -> devices, filled as devices are built (the REST route reads it per request) */
  const ingest = new Map<string, IngestTargetSpec>();
  /** scanner paths -> X-ray scanner devices taking multipart uploads (POST /v1/scanners/{path}/results) */
  const scannerUploads = new Map<string, ScannerUploadTarget>();
  let artifactRetention: ArtifactRetention | undefined;
  let pipeline: ReturnType<typeof createPipeline> | undefined;
  /** device id -> its pipeline, for events the gateway makes itself (operator decisions) */
  const devicePipelines = new Map<string, DevicePipeline>();
  let audit: AuditLog | undefined;
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
      const oc = config.outbox;
      const ob = openSqliteOutbox({
        path: path.join(config.gateway.dataDir, 'outbox.sqlite'), clock, logger, batchMaxEvents: oc.batchMaxEvents,
        capacity: { maxBytes: oc.maxBytes, warnAtFraction: oc.warnAtFraction, quarantineMaxBytes: oc.quarantineMaxBytes },
        // retention runs inside the outbox (maintain(), every second, in short chunks)
        retention: { ackedMaxAgeMs: oc.retentionHours * 3_600_000, maxAckedEvents: oc.retainMaxEvents, quarantineMaxAgeMs: oc.quarantineRetentionHours * 3_600_000 },
      });
      outbox = ob;
      const sharing = createGatewaySharing(config, (sha256) => ob.eventsWithArtifact(sha256, 50));

      if (config.audit.enabled) {
        audit = await openAuditLog({ file: config.audit.file, logger, clock });
        auditConfig(audit, config);
        audit.append({ kind: 'start', actor: { name: config.gateway.id, via: 'gateway' }, action: 'gateway.start', outcome: 'ok', detail: { version: GATEWAY_VERSION } });
      }
      const al = audit;
      const logReads = config.audit.accessReads === 'all';
      const onBrokerAccess = (d: BrokerAccessDecision): void => {
        if (d.outcome === 'allow' && !logReads) return;
        al?.append({ kind: d.action === 'mqtt.connect' || d.action === 'mqtt.tls-handshake' ? 'auth' : 'access', actor: d.actor, action: d.action, outcome: d.outcome, ...(d.reason !== undefined ? { reason: d.reason } : {}) });
      };
      const onHttpAccess: OnAccess = (identity, request, outcome, reason) => {
        if (outcome === 'allow' && !logReads && (request.method === 'GET' || request.method === 'HEAD')) return;
        al?.append({
          kind: 'access',
          actor: identity === undefined ? { name: '(unauthenticated)', via: 'http' } : { name: identity.name, ...(identity.agency !== undefined ? { agency: identity.agency } : {}), via: identity.via },
          action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0] ?? ''}`,
          outcome,
          ...(reason !== undefined ? { reason } : {}),
          detail: { ip: request.ip, ...(request.params && typeof request.params === 'object' ? { params: request.params as Record<string, unknown> } : {}) },
        });
      };
      metrics.setOutboxProbe(() => ({ ...ob.stats(clock.now()), capacity: ob.capacity(), refusedFull: ob.writeCounters().refusedFull }));

      let credentials: { username: string; password: string } | undefined;
      if (!config.mqtt.url) {
        broker = await startEmbeddedBroker({ ...config.mqtt.embedded, logger, mayAgencySubscribe: sharing.mayAgencySubscribe, onAccess: onBrokerAccess });
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
      // the outbox cap state rides on the gateway status of the one MQTT connection (before any fan-out wrapper)
      const pub = publisher;
      pub.reportOutbox?.(ob.capacity());
      ob.onCapacityChange((r) => pub.reportOutbox?.(r));
      if (sharing.fanout) publisher = withAgencyFanout(publisher, sharing.fanout, eventTopic);
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
        ...(sharing.label ? { label: sharing.label } : {}),
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
        devicePipelines.set(d.id, sink);
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
          auth: {
            apiKeys: config.identities.apiKeys,
            legacyKeys: config.http.apiKeys,
            ...(config.identities.jwt !== undefined ? { jwt: config.identities.jwt } : {}),
            knownAgencies: new Set(config.agencies.map((a) => a.id)),
          },
          limits: {
            maxPageSize: config.http.maxPageSize,
            defaultPageSize: Math.min(100, config.http.maxPageSize),
            bodyLimitBytes: config.http.bodyLimitBytes,
            requestTimeoutMs: config.http.requestTimeoutMs,
            connectionTimeoutMs: config.http.connectionTimeoutMs,
            rateLimitMax: config.http.rateLimit.max,
            rateLimitWindowMs: config.http.rateLimit.timeWindowMs,
          },
          ...(config.http.tls !== undefined ? { tls: config.http.tls } : {}),
          artifactsDir,
          ...(sharing.views ? { views: sharing.views } : {}),
          onAccess: onHttpAccess,
          decisions: async (target, input, actor): Promise<DecisionResult> => {
            const made = decisionDraft(target, input, actor, isoTime(clock.now()));
            if (!made.ok) return { ok: false, status: 409, detail: made.detail };
            const dp = devicePipelines.get(target.source.device.id);
            if (dp === undefined) return { ok: false, status: 503, detail: `device ${target.source.device.id} is not running on this gateway; the decision cannot be recorded here` };
            const outcome = await dp.record(made.draft);
            const eventId = outcome.eventIds[0];
            const recorded = outcome.status === 'accepted' && eventId !== undefined;
            al?.append({
              kind: 'decision',
              actor: { name: actor.name, ...(actor.agency !== undefined ? { agency: actor.agency } : {}) },
              action: `decision ${input.state} on ${target.eventId}`,
              outcome: recorded ? 'ok' : 'deny',
              ...(recorded ? {} : { reason: outcome.reason?.message ?? outcome.status }),
              detail: { resultEventId: target.eventId, deviceId: target.source.device.id, state: input.state, ...(eventId !== undefined ? { eventId } : {}) },
            });
            if (!recorded) return { ok: false, status: 503, detail: `the decision could not be made durable: ${outcome.reason?.message ?? outcome.status}` };
            return { ok: true, eventId };
          },
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
        httpUrl = `${config.http.tls !== undefined ? 'https' : 'http'}://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
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
      if (audit) {
        audit.append({ kind: 'stop', actor: { name: config.gateway.id, via: 'gateway' }, action: 'gateway.stop', outcome: 'ok' });
        await audit.close().catch((e: unknown) => log.warn({ err: describeError(e) }, 'audit log close failed'));
        audit = undefined;
      }
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
