/**
 * The gateway's MQTT client. QoS 1 for everything; a publish resolves on PUBACK, which is the
 * only moment the relay may ack an outbox row. mqtt.js runs with queueQoSZero off: its own
 * stores only hold what is already in flight, never a backlog (that is the outbox's job).
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type IClientPublishOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { BorderlinkError, describeError } from '../errors.js';
import type { OutboxRow } from '../outbox/types.js';
import type { MqttSection } from '../config/types.js';
import { CONTENT_TYPE, SCHEMA_USER_PROPERTY } from '../schema/protobuf.js';
import { eventTopic, gatewayStatusTopic, isRetained } from './topics.js';

export interface PayloadEncoder {
  format: 'json' | 'protobuf';
  contentType: string;
  encode(row: OutboxRow): Buffer | string;
}

export const jsonEncoder: PayloadEncoder = {
  format: 'json',
  contentType: CONTENT_TYPE.json,
  encode: (row) => row.json,
};

export interface MqttPublisher {
  readonly connected: boolean;
  /**
   * Resolves on PUBACK; rejects if the client is stopped before the broker acknowledges.
   * `topic` overrides the event's own topic (an agency's copy in its tree).
   */
  publish(row: OutboxRow, topic?: string): Promise<void>;
  onConnectionChange(listener: (connected: boolean) => void): void;
  /**
   * The outbox's cap state, carried from now on in the retained gateway status ("outbox": {...})
   * and published at once when connected (else on the next connect).
   */
  reportOutbox?(outbox: OutboxStatus): void;
  stop(timeoutMs: number): Promise<void>;
}

/** The outbox part of the gateway status message. */
export interface OutboxStatus {
  state: 'ok' | 'warn' | 'full';
  bytes: number;
  capBytes: number;
}

export interface PublisherOptions {
  url: string;
  mqtt: Pick<MqttSection, 'username' | 'password' | 'clientId' | 'protocolVersion' | 'tls' | 'keepaliveSeconds'>;
  /** credentials for the embedded broker, which take precedence */
  credentials?: { username: string; password: string };
  gatewayId: string;
  siteId: string;
  version: string;
  encoder: PayloadEncoder;
  logger: Logger;
  now: () => number;
}

function gatewayStatus(state: 'online' | 'offline', o: PublisherOptions, outbox?: OutboxStatus): string {
  return JSON.stringify({
    gatewayId: o.gatewayId, siteId: o.siteId, state, version: o.version, at: new Date(o.now()).toISOString(),
    ...(outbox ? { outbox } : {}),
  });
}

export function createMqttPublisher(o: PublisherOptions): MqttPublisher {
  const log = o.logger.child({ component: 'mqtt' });
  const protocolVersion = o.mqtt.protocolVersion ?? 5;
  const statusTopic = gatewayStatusTopic(o.siteId, o.gatewayId);
  const options: IClientOptions = {
    protocolVersion,
    clientId: o.mqtt.clientId ?? `borderlink-${o.gatewayId}`,
    clean: true,
    keepalive: o.mqtt.keepaliveSeconds,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    queueQoSZero: false,
    resubscribe: false,
    will: { topic: statusTopic, payload: Buffer.from(gatewayStatus('offline', o)), qos: 1, retain: true },
  };
  const username = o.credentials?.username ?? o.mqtt.username;
  const password = o.credentials?.password ?? o.mqtt.password;
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  const tls = o.mqtt.tls;
  if (tls) {
    if (tls.caFile) options.ca = readFileSync(tls.caFile);
    if (tls.certFile) options.cert = readFileSync(tls.certFile);
    if (tls.keyFile) options.key = readFileSync(tls.keyFile);
    options.rejectUnauthorized = tls.rejectUnauthorized;
  }
  const client: MqttClient = mqtt.connect(o.url, options);
  const listeners: Array<(c: boolean) => void> = [];
  let wasConnected = false;
  let stopping = false;
  const setConnected = (c: boolean): void => {
    if (c === wasConnected) return;
    wasConnected = c;
    for (const l of listeners) l(c);
  };

  let outboxStatus: OutboxStatus | undefined;
  const publishOnline = (): void => {
    client.publish(statusTopic, gatewayStatus('online', o, outboxStatus), { qos: 1, retain: true }, (err) => {
      if (err) log.warn({ err: describeError(err) }, 'gateway status publish failed');
    });
  };

  client.on('connect', () => {
    log.info({ url: redactUrl(o.url), protocolVersion }, 'mqtt connected');
    publishOnline();
    setConnected(true);
  });
  client.on('close', () => {
    if (wasConnected && !stopping) log.warn({ url: redactUrl(o.url) }, 'mqtt connection lost');
    setConnected(false);
  });
  client.on('error', (err) => log.warn({ err: describeError(err) }, 'mqtt client error'));
  client.on('offline', () => setConnected(false));

  const baseProps = (retain: boolean): IClientPublishOptions => {
    const p: IClientPublishOptions = { qos: 1, retain };
    if (protocolVersion === 5) {
      p.properties = {
        contentType: o.encoder.contentType,
        payloadFormatIndicator: o.encoder.format === 'json',
        userProperties: { [SCHEMA_USER_PROPERTY.name]: SCHEMA_USER_PROPERTY.value },
      };
    }
    return p;
  };

  return {
    get connected() {
      return client.connected;
    },
    publish(row, topic) {
      let payload: Buffer | string;
      try {
        payload = o.encoder.encode(row);
      } catch (e) {
        return Promise.reject(new BorderlinkError('BL_ERR_EVENT_ENCODE', `cannot encode event ${row.event.eventId}: ${describeError(e).message}`));
      }
      return new Promise<void>((resolve, reject) => {
        client.publish(topic ?? eventTopic(row.event), payload, baseProps(isRetained(row.event)), (err) => {
          if (err) reject(new BorderlinkError('BL_ERR_PUBLISH_FAILED', `publish of ${row.event.eventId} failed: ${err.message}`, { cause: err }));
          else resolve();
        });
      });
    },
    onConnectionChange(l) {
      listeners.push(l);
    },
    reportOutbox(status) {
      outboxStatus = { state: status.state, bytes: status.bytes, capBytes: status.capBytes };
      if (client.connected && !stopping) publishOnline();
    },
    async stop(timeoutMs) {
      stopping = true;
      // A clean shutdown says so on the retained status topic (the will covers crashes).
      if (client.connected) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, Math.min(1000, timeoutMs));
          client.publish(statusTopic, gatewayStatus('offline', o, outboxStatus), { qos: 1, retain: true }, () => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          client.end(true, {}, () => resolve());
        }, timeoutMs);
        client.end(false, {}, () => {
          clearTimeout(t);
          resolve();
        });
      });
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}
