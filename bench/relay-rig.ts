/** The gateway's publishing half for benches: an MQTT publisher connected to a broker and a relay over an outbox (not started). */
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../src/metrics.js';
import { createMetrics } from '../src/metrics.js';
import { createRelay, type Relay } from '../src/outbox/relay.js';
import type { Outbox } from '../src/outbox/types.js';
import { createMqttPublisher, jsonEncoder, type MqttPublisher } from '../src/publish/mqtt-publisher.js';

export async function connectedRelay(opts: { brokerUrl: string; outbox: Outbox; window: number; logger: Logger; metrics?: GatewayMetrics }): Promise<{ publisher: MqttPublisher; relay: Relay }> {
  const publisher = createMqttPublisher({
    url: opts.brokerUrl,
    mqtt: { protocolVersion: 4, keepaliveSeconds: 30 },
    gatewayId: 'bench-gw',
    siteId: 'BGSOF',
    version: 'bench',
    encoder: jsonEncoder,
    logger: opts.logger,
    now: () => Date.now(),
  });
  await new Promise<void>((resolve) => publisher.onConnectionChange((c) => c && resolve()));
  const relay = createRelay({ outbox: opts.outbox, publisher, window: opts.window, logger: opts.logger, metrics: opts.metrics ?? createMetrics({ defaultMetrics: false }), now: () => Date.now() });
  return { publisher, relay };
}
