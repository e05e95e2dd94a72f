/**
 * The embedded broker (aedes, MQTT 3.1.1) that runs when no external broker is configured.
 *
 * Only the gateway itself may publish under borderlink/: its client authenticates with a
 * random credential made at start, so no other client can forge events. Subscribers need a
 * configured user unless the broker listens on loopback only (enforced at config load).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Aedes } from 'aedes';
import type { Logger } from 'pino';
import { BorderlinkError } from '../errors.js';
import type { EmbeddedBrokerUser } from '../config/types.js';
import { TOPIC_ROOT } from './topics.js';

export interface EmbeddedBroker {
  host: string;
  port: number;
  url: string;
  /** the credential the gateway's own publisher must use */
  gatewayCredentials: { username: string; password: string };
  close(): Promise<void>;
}

function sameSecret(a: string, b: Buffer | undefined): boolean {
  if (!b) return false;
  const x = Buffer.from(a);
  return x.length === b.length && timingSafeEqual(x, b);
}

export async function startEmbeddedBroker(opts: { host: string; port: number; users: readonly EmbeddedBrokerUser[]; logger: Logger }): Promise<EmbeddedBroker> {
  const log = opts.logger.child({ component: 'embedded-broker' });
  const gateway = { username: `borderlink-gateway-${randomBytes(4).toString('hex')}`, password: randomBytes(24).toString('base64url') };
  const requireAuth = opts.users.length > 0;
  const gatewayClients = new Set<string>();

  const broker = new Aedes({
    drainTimeout: 30_000,
    heartbeatInterval: 60_000,
    authenticate(client, username, password, done) {
      if (username === gateway.username && sameSecret(gateway.password, password)) {
        gatewayClients.add(client.id);
        done(null, true);
        return;
      }
      if (!requireAuth) {
        done(null, true);
        return;
      }
      const user = opts.users.find((u) => u.username === username);
      if (user && sameSecret(user.password, password)) {
        done(null, true);
        return;
      }
      log.warn({ clientId: client.id, username }, 'mqtt client refused: bad credentials');
      const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
      done(err, null);
    },
    authorizePublish(client, packet, callback) {
      if (packet.topic.startsWith('$SYS/')) {
        callback(new Error('$SYS is read-only'));
        return;
      }
      if (client && !gatewayClients.has(client.id) && (packet.topic === TOPIC_ROOT || packet.topic.startsWith(`${TOPIC_ROOT}/`))) {
        log.warn({ clientId: client.id, topic: packet.topic }, 'mqtt publish refused: only the gateway publishes events');
        callback(new Error('only the gateway may publish under borderlink/'));
        return;
      }
      callback(null);
    },
  });
  broker.on('clientDisconnect', (client) => {
    gatewayClients.delete(client.id);
  });
  await broker.listen();

  const server: Server = createServer(broker.handle as (socket: import('node:net').Socket) => void);
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(new BorderlinkError('BL_ERR_BROKER_START', `embedded MQTT broker cannot listen on ${opts.host}:${opts.port}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another broker running? set mqtt.embedded.port or BORDERLINK_MQTT_EMBEDDED_PORT, or mqtt.url for an external broker)' : ''}`));
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: opts.host, port, auth: requireAuth }, 'embedded mqtt broker listening');

  return {
    host: opts.host,
    port,
    url: `mqtt://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    gatewayCredentials: gateway,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // close() waits for open sockets; the broker has already ended its clients
      });
    },
  };
}
