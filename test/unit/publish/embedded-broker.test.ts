import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/publish/embedded-broker.js';
import type { EmbeddedBrokerUser } from '../../../src/config/types.js';
import type { BrokerAccessDecision } from '../../../src/publish/embedded-broker.js';
import { hasOpenssl, makeTestPki, type TestPki } from '../../helpers/test-pki.js';

const brokers: EmbeddedBroker[] = [];

/**
 * How a connection attempt ends: 'connected', or the error / close that ended it. A TLS 1.3 client
 * learns that the server refused its certificate only after its own handshake is done, from an
 * alert or a close, which mqtt.js's connectAsync does not always turn into a rejection.
 */
function tryConnect(url: string, opts: mqtt.IClientOptions): Promise<string> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { ...opts, reconnectPeriod: 0 });
    const done = (how: string): void => {
      c.end(true);
      resolve(how);
    };
    c.once('connect', () => done('connected'));
    c.once('error', (e) => done(`error: ${e.message}`));
    c.once('close', () => done('closed'));
  });
}

/** The QoS a SUBACK grants; mqtt.js 5 rejects a failed SUBACK (0x80), which is reported as 128. */
async function grantedQos(client: mqtt.MqttClient, filter: string): Promise<number> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 }))[0]?.qos ?? -1;
  } catch (e) {
    const granted = (e as { packet?: { granted?: number[] } }).packet?.granted;
    if (granted?.[0] === 128) return 128;
    throw e;
  }
}
afterEach(async () => {
  while (brokers.length) await brokers.pop()?.close();
});

async function broker(users: EmbeddedBrokerUser[] = []): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, users, logger: silentLogger() });
  brokers.push(b);
  return b;
}

describe('embedded broker', () => {
  it('refuses anonymous and wrong credentials once users are configured', async () => {
    const b = await broker([{ username: 'customs', password: 'customs-password', roles: ['viewer'] }]);
    await expect(mqtt.connectAsync(b.url, { reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username/i);
    await expect(mqtt.connectAsync(b.url, { username: 'customs', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow(/Bad username|Not authorized/i);
    const ok = await mqtt.connectAsync(b.url, { username: 'customs', password: 'customs-password', reconnectPeriod: 0 });
    expect(ok.connected).toBe(true);
    await ok.endAsync();
  });

  it('lets only the gateway publish under borderlink/, so no client can forge events', async () => {
    const b = await broker();
    const sub = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 });
    const got: string[] = [];
    sub.on('message', (t) => got.push(t));
    await sub.subscribeAsync('borderlink/#', { qos: 1 });
    const intruder = await mqtt.connectAsync(b.url, { reconnectPeriod: 0 });
    // aedes drops the client on a refused publish; either way nothing reaches subscribers
    intruder.on('error', () => undefined);
    intruder.publish('borderlink/v1/BGSOF/radiation-portal-monitor/x/result', '{"fake":true}', { qos: 1 }, () => undefined);
    const gw = await mqtt.connectAsync(b.url, { ...b.gatewayCredentials, reconnectPeriod: 0 });
    await gw.publishAsync('borderlink/v1/BGSOF/radiation-portal-monitor/x/result', '{"real":true}', { qos: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(['borderlink/v1/BGSOF/radiation-portal-monitor/x/result']);
    await Promise.all([sub.endAsync(), gw.endAsync(), intruder.endAsync(true)]);
  });

  it('says how to fix a port that is taken', async () => {
    const b = await broker();
    await expect(startEmbeddedBroker({ host: '127.0.0.1', port: b.port, users: [], logger: silentLogger() })).rejects.toThrow(/EADDRINUSE.*BORDERLINK_MQTT_EMBEDDED_PORT/);
  });

  it('confines an agency user to its own tree: any other filter gets a failed SUBACK', async () => {
    const decisions: BrokerAccessDecision[] = [];
    const b = await startEmbeddedBroker({
      host: '127.0.0.1',
      port: 0,
      users: [{ username: 'police', password: 'police-password', agency: 'border-police', roles: ['viewer'] }, { username: 'authority', password: 'authority-password', roles: ['admin'] }],
      mayAgencySubscribe: (agency, filter) => filter.startsWith(`borderlink/v1/agency/${agency}/`) && !/[+#]/.test(filter.slice(0, `borderlink/v1/agency/${agency}/`.length)),
      onAccess: (d) => decisions.push(d),
      logger: silentLogger(),
    });
    brokers.push(b);
    const police = await mqtt.connectAsync(b.url, { username: 'police', password: 'police-password', reconnectPeriod: 0 });
    const granted = (filter: string): Promise<number> => grantedQos(police, filter);
    expect(await granted('borderlink/v1/agency/border-police/#')).toBe(1);
    expect(await granted('borderlink/v1/#')).toBe(128);
    expect(await granted('borderlink/v1/agency/customs/#')).toBe(128);
    expect(await granted('borderlink/v1/agency/+/#')).toBe(128);
    expect(await granted('#')).toBe(128);
    const authority = await mqtt.connectAsync(b.url, { username: 'authority', password: 'authority-password', reconnectPeriod: 0 });
    expect((await authority.subscribeAsync('borderlink/#', { qos: 1 }))[0]?.qos).toBe(1);
    const denied = decisions.filter((d) => d.outcome === 'deny').map((d) => d.action);
    expect(denied).toEqual(['mqtt.subscribe borderlink/v1/#', 'mqtt.subscribe borderlink/v1/agency/customs/#', 'mqtt.subscribe borderlink/v1/agency/+/#', 'mqtt.subscribe #']);
    expect(decisions.find((d) => d.action === 'mqtt.connect' && d.actor.name === 'police')).toMatchObject({ outcome: 'allow', actor: { agency: 'border-police', via: 'mqtt-password' } });
    await Promise.all([police.endAsync(), authority.endAsync()]);
  });

  describe.skipIf(!hasOpenssl)(`mutual TLS listener${hasOpenssl ? '' : ' (skipped: openssl is not installed)'}`, () => {
    let dir = '';
    let pki: TestPki;
    afterEach(() => undefined);
    it('admits a client certificate from the configured CA as the user it names, refuses unknown CAs, expired certificates, unknown names and no certificate', async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'bl-mtls-'));
      try {
        pki = makeTestPki(dir, ['customs-cr', 'stranger']);
        const decisions: BrokerAccessDecision[] = [];
        const b = await startEmbeddedBroker({
          host: '127.0.0.1',
          port: 0,
          users: [{ username: 'customs-cr', agency: 'customs', roles: ['viewer'] }],
          tls: { host: '127.0.0.1', port: 0, certFile: pki.serverCert, keyFile: pki.serverKey, caFile: pki.ca, requireClientCert: true },
          mayAgencySubscribe: (agency, filter) => filter.startsWith(`borderlink/v1/agency/${agency}/`),
          onAccess: (d) => decisions.push(d),
          logger: silentLogger(),
        });
        brokers.push(b);
        const url = b.tls?.url ?? '';
        const { readFileSync } = await import('node:fs');
        const tlsOpts = (c?: { cert: string; key: string }): mqtt.IClientOptions => ({
          ca: readFileSync(pki.ca),
          ...(c ? { cert: readFileSync(c.cert), key: readFileSync(c.key) } : {}),
          reconnectPeriod: 0,
          connectTimeout: 5000,
        });
        const ok = await mqtt.connectAsync(url, tlsOpts(pki.client('customs-cr')));
        expect(await grantedQos(ok, 'borderlink/v1/agency/customs/#')).toBe(1);
        expect(await grantedQos(ok, 'borderlink/v1/#')).toBe(128);
        await ok.endAsync();
        expect(await tryConnect(url, tlsOpts(pki.rogue('customs-cr')))).not.toBe('connected');
        expect(await tryConnect(url, tlsOpts(pki.expired('customs-cr')))).not.toBe('connected');
        expect(await tryConnect(url, tlsOpts())).not.toBe('connected');
        expect(await tryConnect(url, tlsOpts(pki.client('stranger')))).toMatch(/Not authorized/i);
        // the plain listener still wants a password: a certificate-only user cannot log in there
        await expect(mqtt.connectAsync(b.url, { username: 'customs-cr', reconnectPeriod: 0 })).rejects.toThrow(/Bad username|Not authorized/i);
        expect(decisions.some((d) => d.action === 'mqtt.tls-handshake' && d.outcome === 'deny')).toBe(true);
        expect(decisions.find((d) => d.action === 'mqtt.connect' && d.actor.name === 'stranger')?.outcome).toBe('deny');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
