/**
 * `borderlink audit verify` as an operator runs it (the built CLI): an untouched log passes,
 * a log with one line altered names that line; usage and read errors exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog } from '../../src/audit/audit-log.js';
import { silentLogger } from '../../src/log.js';
import { runCli } from '../helpers/daemon.js';
import { tempDir, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

describe('borderlink audit verify', () => {
  let dir: TempDir;
  let dataDir = '';
  let log = '';
  beforeAll(async () => {
    dir = tempDir('bl-cli-audit-');
    dataDir = path.join(dir.path, 'data');
    log = path.join(dataDir, 'audit', 'audit.log');
    const audit = await openAuditLog({ file: log, logger: silentLogger() });
    audit.append({ kind: 'start', actor: { name: 'borderlink', via: 'gateway' }, action: 'gateway.start', outcome: 'ok' });
    for (let i = 0; i < 5; i++) {
      audit.append({ kind: 'access', actor: { name: 'customs-cr', agency: 'customs', via: 'api-key' }, action: 'GET /v1/events', outcome: i === 3 ? 'deny' : 'allow', detail: { i } });
    }
    audit.append({ kind: 'stop', actor: { name: 'borderlink', via: 'gateway' }, action: 'gateway.stop', outcome: 'ok' });
    await audit.close();
  });
  afterAll(() => dir.remove());

  it('passes an untouched log, by --file and by --config (the default path under gateway.dataDir)', async () => {
    const r = await runCli(['audit', 'verify', '--file', log]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('ok: 7 lines, chain intact');
    const config = writeConfig(dir.path, { gateway: { id: 'gw', siteId: 'BGSOF', dataDir } });
    const c = await runCli(['audit', 'verify', '--config', config]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout.trim()).toBe('ok: 7 lines, chain intact');
  });

  it('names the line after one line is altered, and exits 1', async () => {
    const lines = readFileSync(log, 'utf8').split('\n');
    lines[4] = lines[4]!.replace('"outcome":"deny"', '"outcome":"allow"');
    const altered = path.join(dir.path, 'altered.log');
    writeFileSync(altered, lines.join('\n'));
    const r = await runCli(['audit', 'verify', '--file', altered]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toMatch(/^broken at line 5: hash does not match/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 on usage and read errors, without a stack trace', async () => {
    for (const args of [['audit'], ['audit', 'check'], ['audit', 'verify', '--file', log, '--config', 'x.yaml'], ['audit', 'verify', '--bogus'], ['audit', 'verify', '--file', path.join(dir.path, 'missing.log')]]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const h = await runCli(['audit', '--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Usage: borderlink audit verify');
  });
});
