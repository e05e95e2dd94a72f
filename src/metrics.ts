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
  setOutboxProbe(probe: () => { depth: number; oldestAgeSeconds: number }): void;
}

const DEVICE_STATES: readonly DeviceState[] = ['online', 'offline', 'degraded', 'maintenance'];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'borderlink_process_' });
  let probe: () => { depth: number; oldestAgeSeconds: number } = () => ({ depth: 0, oldestAgeSeconds: 0 });

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
