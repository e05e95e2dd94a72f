import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/publish/embedded-broker.js';

const brokers: EmbeddedBroker[] = [];
afterEach(async () => {
  while (brokers.length) await brokers.pop()?.close();
});

async function broker(users: { username: string; password: string }[] = []): Promise<EmbeddedBroker> {
  const b = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, users, logger: silentLogger() });
  brokers.push(b);
  return b;
}

describe('embedded broker', () => {
  it('refuses anonymous and wrong credentials once users are configured', async () => {
    const b = await broker([{ username: 'customs', password: 'customs-password' }]);
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
});
