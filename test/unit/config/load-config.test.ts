import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig, loadConfig } from '../../../src/config/load-config.js';
import { isLoopback } from '../../../src/config/semantic-checks.js';
import { BorderlinkError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/e2e-fixtures.js';

const dir = tempDir('bl-config-');
afterAll(() => dir.remove());

const minimal = 'gateway:\n  id: gw-1\n  siteId: BGSOF\n';

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, 'test.yaml', { env });
  } catch (e) {
    expect(e).toBeInstanceOf(BorderlinkError);
    return ((e as BorderlinkError).detail?.problems as string[] | undefined) ?? [(e as Error).message];
  }
  return [];
}

describe('config loading', () => {
  it('fills defaults and freezes the result', () => {
    const c = parseConfig(minimal, 'test.yaml', { env: {} });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8080, apiKeys: [], maxPageSize: 500 });
    expect(c.mqtt.embedded).toMatchObject({ host: '127.0.0.1', port: 1883, users: [] });
    expect(c.mqtt.payloadFormat).toBe('json');
    expect(c.gateway.logLevel).toBe('info');
    expect(Object.isFrozen(c) && Object.isFrozen(c.http)).toBe(true);
  });

  it('overlays BORDERLINK_* environment variables before validating them', () => {
    const c = parseConfig(minimal, 'test.yaml', { env: { BORDERLINK_HTTP_PORT: '9090', BORDERLINK_MQTT_URL: 'mqtt://broker:1883', BORDERLINK_SITE_ID: 'DEHAM' } });
    expect(c.http.port).toBe(9090);
    expect(c.mqtt.url).toBe('mqtt://broker:1883');
    expect(c.gateway.siteId).toBe('DEHAM');
    expect(problemsOf(minimal, { BORDERLINK_HTTP_PORT: 'eighty' })).toEqual(['BORDERLINK_HTTP_PORT: "eighty" is not a port number (0-65535)']);
    expect(problemsOf(minimal, { BORDERLINK_SITE_ID: 'nowhere' })[0]).toMatch(/^gateway\.siteId \(from BORDERLINK_SITE_ID\): must match pattern/);
  });

  it('reads secrets from files and never puts their values in errors', () => {
    const keys = path.join(dir.path, 'keys');
    writeFileSync(keys, '# api keys\nkey-aaaaaaaaaaaaaaaa\n\nkey-bbbbbbbbbbbbbbbb\n');
    const pw = path.join(dir.path, 'pw');
    writeFileSync(pw, 'mqtt-secret-value\n');
    const c = parseConfig(`${minimal}http:\n  apiKeysFile: ${keys}\nmqtt:\n  url: mqtt://b:1883\n  username: gw\n  passwordFile: ${pw}\n`, 'test.yaml', { env: {} });
    expect(c.http.apiKeys).toEqual(['key-aaaaaaaaaaaaaaaa', 'key-bbbbbbbbbbbbbbbb']);
    expect(c.mqtt.password).toBe('mqtt-secret-value');
    try {
      parseConfig(`${minimal}mqtt:\n  url: mqtt://b:1883\n  passwordFile: ${pw}-missing\n`, 'test.yaml', { env: {} });
      expect.unreachable();
    } catch (e) {
      expect((e as BorderlinkError).code).toBe('BL_ERR_CONFIG_SECRET_FILE');
      expect((e as Error).message).toContain('ENOENT');
    }
  });

  it('checks references and duplicates across sections', () => {
    const text = `${minimal}simulators:\n  - { id: s1, kind: rpm }\n  - { id: s1, kind: rpm }\ndevices:\n  - { id: d1, adapter: a, connection: { simulator: nope } }\n  - { id: d1, adapter: a, connection: { host: h, port: 502 } }\n`;
    const p = problemsOf(text);
    expect(p).toContain('devices: id "d1" is used more than once');
    expect(p).toContain('simulators: id "s1" is used more than once');
    expect(p.some((x) => x.startsWith('devices[0].connection.simulator (line 8): no simulator with id "nope"'))).toBe(true);
  });

  it('checks device options against the adapter options schema', () => {
    const adapters = new Map([['a', { optionsSchema: { type: 'object', properties: { lanes: { type: 'integer' } }, additionalProperties: false } }]]);
    const text = `${minimal}devices:\n  - { id: d1, adapter: a, options: { lanes: two }, connection: { host: h, port: 502 } }\n`;
    expect(() => parseConfig(text, 't.yaml', { env: {}, adapters })).toThrow(/devices\[0\]\.options\.lanes: must be integer/);
  });

  it('reports YAML syntax errors with a line and unreadable files clearly', () => {
    expect(() => parseConfig('gateway:\n  id: [unclosed\n', 'bad.yaml', { env: {} })).toThrow(/bad.yaml is not valid YAML/);
    expect(() => loadConfig(path.join(dir.path, 'nope.yaml'))).toThrow(/cannot read config .*nope.yaml: file not found/);
  });

  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', 'gateway.example']) expect(isLoopback(h), h).toBe(false);
  });
});
