/**
 * Prometheus metrics, all prefixed borderlink_ with units in the name. One instance per gateway
 * (no default registry), built by the composition root and handed to whoever counts.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeviceState } from './schema/detection-event.js';

export interface GatewayMetrics {
  registry: Registry;
  framesReceived: Counter<'device'>;
  eventsPersisted: Counter<'device' | 'event_type'>;
  eventsPublished: Counter<'event_type'>;
  quarantined: Counter<'device' | 'code'>;
  publishLatency: Histogram;
  ingestLatency: Histogram;
  mqttConnected: Gauge;
  setDeviceState(device: string, state: DeviceState): void;
  /** sampled at scrape time */
  setOutboxProbe(probe: () => OutboxProbe): void;
}

/** What a scrape reads of the outbox; the capacity part is absent for outboxes without a cap. */
export interface OutboxProbe {
  depth: number;
  oldestAgeSeconds: number;
  capacity?: {
    state: 'ok' | 'warn' | 'full';
    bytes: number;
    capBytes: number;
    warnBytes: number;
    quarantineBytes: number;
    quarantineCapBytes: number;
  };
  /** appends refused with BL_ERR_OUTBOX_FULL since start (monotonic) */
  refusedFull?: number;
}

const OUTBOX_STATES = ['ok', 'warn', 'full'] as const;

const DEVICE_STATES: readonly DeviceState[] = ['online', 'offline', 'degraded', 'maintenance'];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'borderlink_process_' });
  let probe: () => OutboxProbe = () => ({ depth: 0, oldestAgeSeconds: 0 });

  const framesReceived = new Counter({ name: 'borderlink_frames_received_total', help: 'Frames received from devices.', labelNames: ['device'] as const, registers: [registry] });
  const eventsPersisted = new Counter({ name: 'borderlink_events_persisted_total', help: 'Events made durable in the outbox.', labelNames: ['device', 'event_type'] as const, registers: [registry] });
  const eventsPublished = new Counter({ name: 'borderlink_events_published_total', help: 'Events acknowledged by the MQTT broker (PUBACK).', labelNames: ['event_type'] as const, registers: [registry] });
  const quarantined = new Counter({ name: 'borderlink_quarantined_total', help: 'Inputs quarantined, by error code.', labelNames: ['device', 'code'] as const, registers: [registry] });
  const publishLatency = new Histogram({
    name: 'borderlink_publish_latency_seconds',
    help: 'From outbox commit to broker PUBACK.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const ingestLatency = new Histogram({
    name: 'borderlink_ingest_latency_seconds',
    help: 'From frame arrival to outbox commit.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const mqttConnected = new Gauge({ name: 'borderlink_mqtt_connected', help: '1 while connected to the MQTT broker.', registers: [registry] });
  const deviceState = new Gauge({ name: 'borderlink_device_state', help: '1 for the current link state of each device.', labelNames: ['device', 'state'] as const, registers: [registry] });
  new Gauge({
    name: 'borderlink_outbox_depth_events',
    help: 'Events durable but not yet acknowledged by the broker.',
    registers: [registry],
    collect() {
      this.set(probe().depth);
    },
  });
  new Gauge({
    name: 'borderlink_outbox_oldest_age_seconds',
    help: 'Age of the oldest event not yet acknowledged by the broker.',
    registers: [registry],
    collect() {
      this.set(probe().oldestAgeSeconds);
    },
  });

  // the disk cap (outbox.maxBytes): where the store stands, read at scrape time
  const capacityGauge = (name: string, help: string, pick: (c: NonNullable<OutboxProbe['capacity']>) => number): void => {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const c = probe().capacity;
        if (c !== undefined) this.set(pick(c));
      },
    });
  };
  capacityGauge('borderlink_outbox_bytes', 'Live bytes of the outbox database (events, quarantine, indexes; WAL and free pages not counted).', (c) => c.bytes);
  capacityGauge('borderlink_outbox_cap_bytes', 'The outbox size cap (outbox.maxBytes): past it device events are refused or quarantined.', (c) => c.capBytes);
  capacityGauge('borderlink_outbox_warn_bytes', 'Where the outbox warns of its cap (outbox.warnAtFraction x maxBytes).', (c) => c.warnBytes);
  capacityGauge('borderlink_outbox_quarantine_bytes', 'Bytes held by quarantine records.', (c) => c.quarantineBytes);
  capacityGauge('borderlink_outbox_quarantine_cap_bytes', 'The quarantine budget (outbox.quarantineMaxBytes).', (c) => c.quarantineCapBytes);
  new Gauge({
    name: 'borderlink_outbox_state',
    help: '1 for the outbox cap state: ok, warn (near the cap), full (device events refused or quarantined).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const c = probe().capacity;
      if (c === undefined) return;
      for (const s of OUTBOX_STATES) this.set({ state: s }, s === c.state ? 1 : 0);
    },
  });
  let refusedSeen = 0;
  new Counter({
    name: 'borderlink_outbox_refused_total',
    help: 'Appends the outbox refused at its cap or quarantine budget (BL_ERR_OUTBOX_FULL).',
    registers: [registry],
    collect() {
      const n = probe().refusedFull ?? 0;
      if (n > refusedSeen) this.inc(n - refusedSeen);
      refusedSeen = Math.max(refusedSeen, n);
    },
  });

  return {
    registry,
    framesReceived,
    eventsPersisted,
    eventsPublished,
    quarantined,
    publishLatency,
    ingestLatency,
    mqttConnected,
    setDeviceState(device, state) {
      for (const s of DEVICE_STATES) deviceState.set({ device, state: s }, s === state ? 1 : 0);
    },
    setOutboxProbe(p) {
      probe = p;
    },
  };
}
