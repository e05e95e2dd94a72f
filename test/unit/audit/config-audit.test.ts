import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditLog, type AuditLog } from '../../../src/audit/audit-log.js';
import { auditConfig, auditLogPath, configHash } from '../../../src/audit/config-audit.js';
import { checkLine, type AuditRecord } from '../../../src/audit/record.js';
import { isSecretKey } from '../../../src/audit/secrets.js';
import { verifyAuditLog } from '../../../src/audit/verify.js';
import { silentLogger } from '../../../src/log.js';

const logger = silentLogger();

function records(file: string): AuditRecord[] {
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => {
    const r = checkLine(l);
    if (!r.ok) throw new Error(r.reason);
    return r.record;
  });
}

const config = (port: number, password = 'pw-one'): Record<string, unknown> => ({
  gateway: { id: 'gw', siteId: 'BGSOF', dataDir: '/var/lib/borderlink' },
  http: { host: '127.0.0.1', port, apiKeys: ['legacy-key'] },
  mqtt: { embedded: { users: [{ username: 'customs', password }] } },
  identities: { apiKeys: [{ name: 'cr', key: 'k-1', agency: 'customs', roles: ['viewer'] }], jwt: { jwksFile: 'jwks.json', issuer: 'x' } },
});

describe('secret key names', () => {
  it.each([
    ['password', true], ['passwordFile', true], ['apiKeys', true], ['apiKeysFile', true], ['key', true], ['keyFile', true],
    ['x-api-key', true], ['client_secret', true], ['Authorization', true], ['accessToken', true], ['KEY_ID', true], ['pwd', true],
    ['username', false], ['monkey', false], ['keyboard', false], ['configHash', false], ['jwksFile', false], ['issuer', false], ['agency', false],
  ])('%s -> %s', (name, secret) => {
    expect(isSecretKey(name)).toBe(secret);
  });
});

describe('config audit', () => {
  let dir = '';
  let file = '';
  const opened: AuditLog[] = [];
  const openLog = async (): Promise<AuditLog> => {
    const log = await openAuditLog({ file, logger });
    opened.push(log);
    return log;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-audit-config-'));
    file = path.join(dir, 'audit.log');
  });
  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('hashes the configuration without its secrets, independent of key order', () => {
    expect(configHash(config(8080))).toMatch(/^[0-9a-f]{64}$/);
    expect(configHash(config(8080, 'pw-two'))).toBe(configHash(config(8080)));
    expect(configHash(config(8081))).not.toBe(configHash(config(8080)));
    expect(configHash({ b: 1, a: { d: 2, c: 3 } })).toBe(configHash({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it('records each load, changed against the last config entry, never a secret', async () => {
    let log = await openLog();
    expect(auditConfig(log, config(8080), { file: 'config/site.yaml' })).toMatchObject({ changed: true });
    expect(auditConfig(log, config(8080)).changed).toBe(false);
    const c = auditConfig(log, config(8081));
    expect(c.changed).toBe(true);
    await log.close();
    const rs = records(file);
    expect(rs.map((r) => [r.kind, r.action, r.detail?.changed])).toEqual([['config', 'config.load', true], ['config', 'config.load', false], ['config', 'config.load', true]]);
    expect(rs[0]?.detail).toEqual({ configHash: configHash(config(8080)), changed: true, file: path.resolve('config/site.yaml') });
    expect(rs[2]?.detail?.previousHash).toBe(configHash(config(8080)));
    const text = fs.readFileSync(file, 'utf8');
    for (const secret of ['pw-one', 'legacy-key', 'k-1']) expect(text).not.toContain(secret);

    // after a restart the last config hash comes from the tail
    log = await openLog();
    expect(log.lastConfigHash).toBe(c.configHash);
    expect(auditConfig(log, config(8081)).changed).toBe(false);
    await log.close();
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 4 });
  });

  it('remembers the last config hash in the sidecar when the tail read does not reach it', async () => {
    let log = await openLog();
    const c = auditConfig(log, config(8080));
    const pad = 'z'.repeat(1000);
    for (let i = 0; i < 200; i++) log.append({ kind: 'access', actor: { name: 'c' }, action: 'GET /v1/events', outcome: 'allow', detail: { pad } });
    await log.close();
    expect(JSON.parse(fs.readFileSync(`${file}.state`, 'utf8'))).toEqual({ configSeq: 1, configHash: c.configHash });
    log = await openLog();
    expect(log.lastConfigHash).toBe(c.configHash);
    expect(auditConfig(log, config(8080)).changed).toBe(false);
    // an explicit previous hash wins
    expect(auditConfig(log, config(8080), { previousHash: 'f'.repeat(64) }).changed).toBe(true);
    await log.close();

    // a sidecar that belongs to a longer log (the log was replaced) is ignored
    fs.rmSync(file);
    fs.writeFileSync(`${file}.state`, JSON.stringify({ configSeq: 999, configHash: c.configHash }));
    log = await openLog();
    log.append({ kind: 'start', actor: { name: 'borderlink' }, action: 'gateway.start', outcome: 'ok' });
    await log.close();
    log = await openLog();
    expect(log.lastConfigHash).toBeUndefined();
  });

  it('finds the log path in a configuration', () => {
    expect(auditLogPath({ gateway: { dataDir: '/data' } })).toBe(path.join('/data', 'audit', 'audit.log'));
    expect(auditLogPath({ gateway: { dataDir: '/data' }, audit: { file: '/elsewhere/a.log' } })).toBe('/elsewhere/a.log');
  });
});
