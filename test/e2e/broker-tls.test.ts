/**
 * An external broker over TLS with a client certificate and username/password: the gateway
 * connects with the CA, its certificate and a password read from a file, and events flow. A wrong
 * password keeps it disconnected (and running), and the password never appears in its logs.
 * Needs Mosquitto and openssl (CI installs mosquitto; openssl ships with the machine).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMosquitto, startMosquitto, type TestBroker } from '../helpers/broker.js';
import { rpmConfig, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

const mosquitto = findMosquitto();
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const reason = !mosquitto ? 'mosquitto is not installed (apt-get install mosquitto)' : !hasOpenssl ? 'openssl is not installed' : '';
if (reason && process.env.CI === 'true') throw new Error(`CI must run the TLS broker test: ${reason}`);

const PASSWORD = 'gw-secret-Ff93kd!';

function makePki(dir: string): void {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  };
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=BorderLink Test CA', '-keyout', 'ca.key', '-out', 'ca.pem']);
  writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'server.ext', '-out', 'server.pem']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=borderlink-gateway', '-keyout', 'client.key', '-out', 'client.csr']);
  run(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-out', 'client.pem']);
  execFileSync('mosquitto_passwd', ['-b', '-c', path.join(dir, 'passwd'), 'gateway', PASSWORD], { stdio: 'ignore' });
  execFileSync('mosquitto_passwd', ['-b', path.join(dir, 'passwd'), 'reader', 'reader-pass-1234'], { stdio: 'ignore' });
}

describe.skipIf(reason !== '')(`external broker with TLS, client certificate and password${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let broker: TestBroker;
  let pki = '';
  let dir: TempDir;
  beforeAll(async () => {
    dir = tempDir();
    broker = await startMosquitto(mosquitto as string, {
      scheme: 'mqtts',
      prepare: (d) => {
        makePki(d);
        pki = d;
      },
      listener: (port, d) => [
        `listener ${port} 127.0.0.1`,
        `cafile ${d}/ca.pem`,
        `certfile ${d}/server.pem`,
        `keyfile ${d}/server.key`,
        'require_certificate true',
        'allow_anonymous false',
        `password_file ${d}/passwd`,
      ],
    });
    writeFileSync(path.join(dir.path, 'mqtt-password'), `${PASSWORD}\n`);
    writeFileSync(path.join(dir.path, 'wrong-password'), 'not-the-password\n');
  });
  afterAll(async () => {
    await broker?.close();
    dir?.remove();
  });

  const tls = (): Record<string, string> => ({ caFile: path.join(pki, 'ca.pem'), certFile: path.join(pki, 'client.pem'), keyFile: path.join(pki, 'client.key') });

  it('connects with CA, client certificate and a password file; events arrive', async () => {
    const sub = await mqtt.connectAsync(broker.url, {
      username: 'reader',
      password: 'reader-pass-1234',
      ca: readFileSync(path.join(pki, 'ca.pem')),
      cert: readFileSync(path.join(pki, 'client.pem')),
      key: readFileSync(path.join(pki, 'client.key')),
    });
    const got: string[] = [];
    sub.on('message', (t) => got.push(t));
    await sub.subscribeAsync('borderlink/#', { qos: 1 });
    const file = writeConfig(dir.path, rpmConfig({ dataDir: path.join(dir.path, 'data-ok'), mqttUrl: broker.url, mqtt: { username: 'gateway', passwordFile: path.join(dir.path, 'mqtt-password'), tls: tls() } }), 'tls.yaml');
    const { daemon } = await startGatewayDaemon(file);
    try {
      await waitFor(() => got.some((t) => t.endsWith('/result') || t.endsWith('/measurement')), 'events over TLS', 15_000);
      const connected = await daemon.waitForLog((l) => l.msg === 'mqtt connected');
      expect(connected.url).toBe(broker.url);
    } finally {
      await sub.endAsync();
      expect((await daemon.stop()).code).toBe(0);
    }
  });

  it('stays up but disconnected with a wrong password, and never logs the secret', async () => {
    const file = writeConfig(dir.path, rpmConfig({ dataDir: path.join(dir.path, 'data-bad'), mqttUrl: broker.url, mqtt: { username: 'gateway', passwordFile: path.join(dir.path, 'wrong-password'), tls: tls() } }), 'tls-bad.yaml');
    const { daemon, rest } = await startGatewayDaemon(file);
    try {
      await daemon.waitForLog((l) => l.msg === 'mqtt client error');
      const ready = await fetch(`${rest}/readyz`);
      const body = (await ready.json()) as { checks: { mqtt: boolean } };
      expect(body.checks.mqtt).toBe(false);
      // events are still made durable while the broker refuses us
      await waitFor(async () => {
        const m = (await (await fetch(`${rest}/metrics`)).text()).match(/^borderlink_outbox_depth_events (\d+)/m);
        return m && Number(m[1]) > 0;
      }, 'events waiting in the outbox');
      const all = JSON.stringify(daemon.logs) + daemon.stderr();
      expect(all).not.toContain('not-the-password');
      expect(all).not.toContain(PASSWORD);
    } finally {
      expect((await daemon.stop()).code).toBe(0);
    }
  });
});
