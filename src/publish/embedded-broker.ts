/**
 * The embedded broker (aedes, MQTT 3.1.1) that runs when no external broker is configured.
 *
 * Only the gateway itself may publish under borderlink/: its client authenticates with a
 * random credential made at start, so no other client can forge events. Subscribers need a
 * configured user unless the broker listens on loopback only (enforced at config load).
 *
 * Users may belong to an agency (multi-agency sharing): such a user may subscribe only within
 * its agency's redacted tree, borderlink/v1/agency/{agency}/...; any other filter gets a failed
 * SUBACK (0x80). The check is a predicate handed in by the composition root (src/sharing), so
 * the broker knows nothing of policies.
 *
 * An optional second listener speaks MQTT over TLS; with a client CA and requireClientCert it
 * is mutual TLS: the peer certificate must chain to that CA and its common name names the user
 * (no password needed; a username in CONNECT, if sent, must be the same name).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import type { Logger } from 'pino';
import { BorderlinkError } from '../errors.js';
import type { EmbeddedBrokerTls, EmbeddedBrokerUser } from '../config/types.js';
import { TOPIC_ROOT } from './topics.js';

export interface EmbeddedBroker {
  host: string;
  port: number;
  url: string;
  /** the TLS listener, when configured */
  tls?: { host: string; port: number; url: string };
  /** the credential the gateway's own publisher must use */
  gatewayCredentials: { username: string; password: string };
  close(): Promise<void>;
}

/** One access decision of the broker, for the audit log. */
export interface BrokerAccessDecision {
  actor: { name: string; agency?: string; via: 'mqtt-password' | 'mqtt-cert' | 'anonymous' };
  action: string;
  outcome: 'allow' | 'deny';
  reason?: string;
}

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  users: readonly EmbeddedBrokerUser[];
  tls?: EmbeddedBrokerTls;
  /** may this agency's user subscribe to this filter? (absent: agency users are refused everything) */
  mayAgencySubscribe?: (agency: string, filter: string) => boolean;
  /** every connect and subscribe decision about a client other than the gateway */
  onAccess?: (d: BrokerAccessDecision) => void;
  logger: Logger;
}

/** the first topic level of everything the gateway publishes (borderlink): only the gateway may publish there */
const EVENT_NAMESPACE = TOPIC_ROOT.split('/')[0] as string;

function sameSecret(a: string, b: Buffer | undefined): boolean {
  if (!b) return false;
  const x = Buffer.from(a);
  return x.length === b.length && timingSafeEqual(x, b);
}

interface Session {
  user?: EmbeddedBrokerUser;
  via: BrokerAccessDecision['actor']['via'];
}

/** The verified client-certificate user name of a TLS connection, or undefined. */
function certificateName(conn: unknown): string | undefined {
  const s = conn as Partial<TLSSocket>;
  if (typeof s.getPeerCertificate !== 'function' || s.authorized !== true) return undefined;
  const cn = s.getPeerCertificate().subject?.CN;
  return typeof cn === 'string' && cn !== '' ? cn : undefined;
}

function listen(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(new BorderlinkError('BL_ERR_BROKER_START', `embedded MQTT broker cannot listen (${what}) on ${host}:${port}: ${e.code ?? e.message}${e.code === 'EADDRINUSE' ? ' (another broker running? set mqtt.embedded.port or BORDERLINK_MQTT_EMBEDDED_PORT, or mqtt.url for an external broker)' : ''}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function hostUrl(scheme: string, host: string, port: number): string {
  return `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = opts.logger.child({ component: 'embedded-broker' });
  const gateway = { username: `borderlink-gateway-${randomBytes(4).toString('hex')}`, password: randomBytes(24).toString('base64url') };
  const requireAuth = opts.users.length > 0;
  const gatewayClients = new Set<string>();
  const sessions = new Map<string, Session>();
  const usersByName = new Map(opts.users.map((u) => [u.username, u]));
  const access = (d: BrokerAccessDecision): void => {
    try {
      opts.onAccess?.(d);
    } catch (e) {
      log.warn({ err: e }, 'access listener threw');
    }
  };
  const actorOf = (s: Session | undefined, fallback: string): BrokerAccessDecision['actor'] => ({
    name: s?.user?.username ?? fallback,
    ...(s?.user?.agency !== undefined ? { agency: s.user.agency } : {}),
    via: s?.via ?? 'anonymous',
  });
  const refuse = (done: (err: AuthenticateError | null, ok: boolean | null) => void, returnCode: 4 | 5, message: string): void => {
    done(Object.assign(new Error(message), { returnCode }) as AuthenticateError, null);
  };

  const broker = new Aedes({
    drainTimeout: 30_000,
    heartbeatInterval: 60_000,
    authenticate(client, username, password, done) {
      if (username === gateway.username && sameSecret(gateway.password, password)) {
        gatewayClients.add(client.id);
        done(null, true);
        return;
      }
      const certName = certificateName(client.conn);
      if (certName !== undefined) {
        const user = usersByName.get(certName);
        if (user === undefined || (username !== undefined && username !== certName)) {
          const reason = user === undefined ? `certificate name "${certName}" is not a configured user` : `username "${String(username)}" differs from the certificate name "${certName}"`;
          log.warn({ clientId: client.id, certName }, `mqtt client refused: ${reason}`);
          access({ actor: { name: certName, via: 'mqtt-cert' }, action: 'mqtt.connect', outcome: 'deny', reason });
          refuse(done, 5, 'not authorized');
          return;
        }
        sessions.set(client.id, { user, via: 'mqtt-cert' });
        access({ actor: actorOf(sessions.get(client.id), certName), action: 'mqtt.connect', outcome: 'allow' });
        done(null, true);
        return;
      }
      if (opts.tls?.requireClientCert === true && isTlsConnection(client.conn)) {
        // unreachable in practice: the TLS listener refuses handshakes without a valid certificate
        access({ actor: { name: username ?? '(none)', via: 'mqtt-cert' }, action: 'mqtt.connect', outcome: 'deny', reason: 'no valid client certificate' });
        refuse(done, 5, 'client certificate required');
        return;
      }
      if (!requireAuth) {
        sessions.set(client.id, { via: 'anonymous' });
        done(null, true);
        return;
      }
      const user = username === undefined ? undefined : usersByName.get(username);
      if (user?.password !== undefined && sameSecret(user.password, password)) {
        sessions.set(client.id, { user, via: 'mqtt-password' });
        access({ actor: actorOf(sessions.get(client.id), user.username), action: 'mqtt.connect', outcome: 'allow' });
        done(null, true);
        return;
      }
      log.warn({ clientId: client.id, username }, 'mqtt client refused: bad credentials');
      access({ actor: { name: username ?? '(none)', via: 'mqtt-password' }, action: 'mqtt.connect', outcome: 'deny', reason: username === undefined ? 'no credentials' : 'bad username or password' });
      refuse(done, 4, 'bad username or password');
    },
    authorizePublish(client, packet, callback) {
      if (packet.topic.startsWith('$SYS/')) {
        callback(new Error('$SYS is read-only'));
        return;
      }
      if (client && !gatewayClients.has(client.id) && (packet.topic === EVENT_NAMESPACE || packet.topic.startsWith(`${EVENT_NAMESPACE}/`))) {
        log.warn({ clientId: client.id, topic: packet.topic }, 'mqtt publish refused: only the gateway publishes events');
        access({ actor: actorOf(sessions.get(client.id), client.id), action: `mqtt.publish ${packet.topic}`, outcome: 'deny', reason: 'only the gateway publishes under borderlink/' });
        callback(new Error('only the gateway may publish under borderlink/'));
        return;
      }
      callback(null);
    },
    authorizeSubscribe(client, sub, callback) {
      if (client === null || gatewayClients.has(client.id)) {
        callback(null, sub);
        return;
      }
      const session = sessions.get(client.id);
      const agency = session?.user?.agency;
      if (agency === undefined) {
        callback(null, sub);
        return;
      }
      const allowed = opts.mayAgencySubscribe?.(agency, sub.topic) ?? false;
      access({
        actor: actorOf(session, client.id),
        action: `mqtt.subscribe ${sub.topic}`,
        outcome: allowed ? 'allow' : 'deny',
        ...(allowed ? {} : { reason: `agency ${agency} may subscribe only below ${TOPIC_ROOT}/agency/${agency}/` }),
      });
      if (!allowed) log.warn({ clientId: client.id, agency, filter: sub.topic }, 'mqtt subscription refused: outside the agency tree');
      // a null subscription is answered with a failed SUBACK (0x80); the connection stays up
      callback(null, allowed ? sub : null);
    },
  });
  broker.on('clientDisconnect', (client: Client) => {
    gatewayClients.delete(client.id);
    sessions.delete(client.id);
  });
  await broker.listen();

  const handle = broker.handle as (socket: Socket) => void;
  const server: Server = createServer(handle);
  const port = await listen(server, opts.host, opts.port, 'mqtt');
  log.info({ host: opts.host, port, auth: requireAuth }, 'embedded mqtt broker listening');

  let tlsServer: Server | undefined;
  let tlsInfo: EmbeddedBroker['tls'];
  if (opts.tls) {
    const t = opts.tls;
    const mutual = t.requireClientCert && t.caFile !== undefined;
    tlsServer = createTlsServer({
      cert: readFileSync(t.certFile),
      key: readFileSync(t.keyFile),
      ...(t.caFile !== undefined ? { ca: readFileSync(t.caFile) } : {}),
      requestCert: t.caFile !== undefined,
      // with mTLS a handshake without a certificate from the CA fails before MQTT starts
      rejectUnauthorized: mutual,
      minVersion: 'TLSv1.2',
    }, handle);
    tlsServer.on('tlsClientError', (e: Error & { code?: string }, socket: TLSSocket) => {
      log.warn({ code: e.code, remote: socket.remoteAddress }, 'mqtt tls handshake refused');
      access({ actor: { name: socket.remoteAddress ?? '(unknown)', via: 'mqtt-cert' }, action: 'mqtt.tls-handshake', outcome: 'deny', reason: e.code ?? e.message });
    });
    const tlsPort = await listen(tlsServer, t.host, t.port, 'mqtts');
    tlsInfo = { host: t.host, port: tlsPort, url: hostUrl('mqtts', t.host, tlsPort) };
    log.info({ host: t.host, port: tlsPort, mutual }, 'embedded mqtt broker listening (TLS)');
  }

  return {
    host: opts.host,
    port,
    url: hostUrl('mqtt', opts.host, port),
    ...(tlsInfo ? { tls: tlsInfo } : {}),
    gatewayCredentials: gateway,
    async close() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      // close() waits for open sockets; the broker has already ended its clients
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (tlsServer) await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    },
  };
}

function isTlsConnection(conn: unknown): boolean {
  return typeof (conn as Partial<TLSSocket>).getPeerCertificate === 'function';
}
