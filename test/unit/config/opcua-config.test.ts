/**
 * OPC UA device settings at config load: secure defaults, the explicit opt-in security mode None
 * needs, identities, secrets from files, where the client PKI goes.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';
import { BorderlinkError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/e2e-fixtures.js';

const dir = tempDir('bl-opcua-config-');
afterAll(() => dir.remove());

const head = (dataDir = '/var/lib/borderlink') => `gateway:\n  id: gw-1\n  siteId: BGSOF\n  dataDir: ${dataDir}\n`;

function device(opcua: string, extra = ''): string {
  return `${head()}devices:\n  - id: xray-lane3\n    adapter: xray-opcua-test\n    connection:\n      opcua:\n${opcua.replace(/^/gm, '        ')}\n${extra}`;
}

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'test.yaml', { env: {} });
  } catch (e) {
    expect(e).toBeInstanceOf(BorderlinkError);
    expect((e as BorderlinkError).code).toBe('BL_ERR_CONFIG_INVALID');
    return ((e as BorderlinkError).detail?.problems as string[] | undefined) ?? [(e as Error).message];
  }
  return [];
}

describe('OPC UA device configuration', () => {
  it('defaults to SignAndEncrypt / Basic256Sha256, anonymous, no trust on first use, PKI under the data dir', () => {
    const c = parseConfig(device('endpointUrl: opc.tcp://scanner-3.lane:4840'), 'test.yaml', { env: {} });
    expect(c.devices[0]?.connection.opcua).toEqual({
      endpointUrl: 'opc.tcp://scanner-3.lane:4840',
      security: { policy: 'Basic256Sha256', mode: 'SignAndEncrypt', allowInsecure: false },
      identity: { type: 'anonymous' },
      trustUnknownServer: false,
      pkiDir: path.resolve('/var/lib/borderlink', 'pki', 'opcua'),
    });
  });

  it('refuses security mode None without the explicit opt-in, naming the device', () => {
    const problems = problemsOf(device('endpointUrl: opc.tcp://scanner-3.lane:4840\nsecurity:\n  mode: None'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^devices\[0\]\.connection\.opcua\.security\.mode \(line \d+\): device "xray-lane3": OPC UA security mode None/);
    expect(problems[0]).toContain('allowInsecure: true');
    // the message of the thrown error carries it too (what the operator sees)
    try {
      parseConfig(device('endpointUrl: opc.tcp://scanner-3.lane:4840\nsecurity:\n  mode: None'), 'test.yaml', { env: {} });
    } catch (e) {
      expect((e as Error).message).toContain('device "xray-lane3"');
    }
  });

  it('accepts None with allowInsecure: true', () => {
    const c = parseConfig(device('endpointUrl: opc.tcp://10.0.0.5:4840\nsecurity:\n  mode: None\n  allowInsecure: true'), 'test.yaml', { env: {} });
    expect(c.devices[0]?.connection.opcua?.security).toEqual({ policy: 'Basic256Sha256', mode: 'None', allowInsecure: true });
  });

  it('reads the password from passwordFile, keeps certificate identities as paths, resolves pkiDir under the data dir', () => {
    const pw = path.join(dir.path, 'opcua-pw');
    writeFileSync(pw, 's3cret-screener\n');
    const c = parseConfig(device(`endpointUrl: opc.tcp://scanner:4840\nsecurity:\n  policy: Aes128_Sha256_RsaOaep\nidentity:\n  type: username\n  username: gateway\n  passwordFile: ${pw}\ntrustUnknownServer: true\npkiDir: pki/lane3`), 'test.yaml', { env: {} });
    const o = c.devices[0]?.connection.opcua;
    expect(o?.identity).toEqual({ type: 'username', username: 'gateway', password: 's3cret-screener' });
    expect(o?.security.policy).toBe('Aes128_Sha256_RsaOaep');
    expect(o?.trustUnknownServer).toBe(true);
    expect(o?.pkiDir).toBe(path.resolve('/var/lib/borderlink', 'pki/lane3'));
    const x = parseConfig(device('endpointUrl: opc.tcp://scanner:4840\nidentity:\n  type: certificate\n  certFile: /etc/bl/user.pem\n  keyFile: /etc/bl/user.key'), 'test.yaml', { env: {} });
    expect(x.devices[0]?.connection.opcua?.identity).toEqual({ type: 'certificate', certFile: '/etc/bl/user.pem', keyFile: '/etc/bl/user.key' });
  });

  it('lists identity mistakes and a missing endpoint', () => {
    expect(problemsOf(device('endpointUrl: opc.tcp://s:4840\nidentity:\n  type: username\n  username: gw'))).toEqual([
      expect.stringMatching(/identity.*needs exactly one of password, passwordFile/),
    ]);
    expect(problemsOf(device('endpointUrl: opc.tcp://s:4840\nidentity:\n  type: certificate\n  certFile: /a.pem'))[0]).toMatch(/needs certFile and keyFile/);
    expect(problemsOf(device('endpointUrl: opc.tcp://s:4840\nidentity:\n  password: x'))[0]).toMatch(/anonymous identity takes no password/);
    expect(problemsOf(device('trustUnknownServer: true'))[0]).toMatch(/needs opcua\.endpointUrl/);
    expect(problemsOf(device('endpointUrl: http://s:4840'))[0]).toMatch(/endpointUrl.*must match pattern/);
  });

  it('an OPC UA simulator: the device names it, gets default settings, and no endpointUrl', () => {
    const text = `${head()}simulators:\n  - id: xray-sim\n    kind: xray-opcua\n    intervalMs: 2000\ndevices:\n  - id: xray-1\n    adapter: xray-opcua-test\n    connection:\n      simulator: xray-sim\n`;
    const c = parseConfig(text, 'test.yaml', { env: {} });
    expect(c.simulators[0]).toMatchObject({ kind: 'xray-opcua', folder: path.resolve('/var/lib/borderlink', 'simulators', 'xray-sim'), intervalMs: 2000 });
    expect(c.devices[0]?.connection.opcua).toMatchObject({ security: { mode: 'SignAndEncrypt' }, trustUnknownServer: false });
    expect(c.devices[0]?.connection.opcua?.endpointUrl).toBeUndefined();
    const bad = problemsOf(`${text}      opcua:\n        endpointUrl: opc.tcp://x:1\n`);
    expect(bad[0]).toMatch(/names a simulator; its endpoint is the simulator's/);
  });
});
