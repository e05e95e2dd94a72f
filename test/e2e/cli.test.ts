/**
 * The command line as an operator meets it: bad configs list every problem with its path and
 * line and exit 2 without a stack trace; insecure binds are refused with the fix; help and version.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/daemon.js';
import { tempDir, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';
import { writeFileSync } from 'node:fs';

describe('borderlink CLI', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = tempDir('bl-cli-');
  });
  afterAll(() => dir.remove());

  it('validate-config accepts the shipped default', async () => {
    const r = await runCli(['validate-config', path.join(ROOT, 'config', 'default.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: /);
  });

  it('a bad config prints every problem at once with its path and line, exits 2, no stack trace', async () => {
    const file = path.join(dir.path, 'bad.yaml');
    writeFileSync(
      file,
      [
        'gateway:',
        '  id: gw 1',            // line 2: bad pattern
        '  siteId: sofia',       // line 3: bad pattern
        '  colour: blue',        // line 4: unknown key
        'http:',
        '  port: 99999',         // line 6: out of range
        'devices:',
        '  - id: lane-1',
        '    adapter: no-such-adapter',
        '    connection: { host: 127.0.0.1 }',
        '',
      ].join('\n'),
    );
    for (const args of [['validate-config', file], ['start', '--config', file]]) {
      const r = await runCli(args);
      expect(r.code, `${args[0]} exit code`).toBe(2);
      expect(r.stderr).toContain('gateway.id (line 2)');
      expect(r.stderr).toContain('gateway.siteId (line 3)');
      expect(r.stderr).toContain('gateway.colour (line 4): unknown key "colour"');
      expect(r.stderr).toContain('http.port (line 6)');
      expect(r.stderr).toMatch(/devices\[0\]\.connection \(line 10\): give exactly one of: host and port, simulator, serial, folder, ingestPath/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stderr).not.toContain('.ts:');
    }
  });

  it('reports a device naming an adapter that is not installed', async () => {
    const file = writeConfig(dir.path, {
      gateway: { id: 'gw', siteId: 'BGSOF' },
      devices: [{ id: 'lane-1', adapter: 'no-such-adapter', connection: { host: '127.0.0.1', port: 502 } }],
    }, 'unknown-adapter.yaml');
    const r = await runCli(['validate-config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/devices\[0\]\.adapter \(line \d+\): no adapter "no-such-adapter" is installed \(installed: .*rpm-modbus-generic/);
  });

  it('refuses REST beyond loopback without API keys and says how to fix it', async () => {
    const file = writeConfig(dir.path, { gateway: { id: 'gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'd') }, http: { host: '0.0.0.0', port: 0 } }, 'open.yaml');
    const r = await runCli(['start', '--config', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('beyond loopback');
    expect(r.stderr).toContain('http.apiKeys');
  });

  it('refuses the embedded broker beyond loopback without users, also when set from the environment', async () => {
    const file = writeConfig(dir.path, { gateway: { id: 'gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'd') } }, 'env.yaml');
    const r = await runCli(['start', '--config', file], { BORDERLINK_MQTT_EMBEDDED_HOST: '0.0.0.0' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('mqtt.embedded.users');
  });

  it('prints version and help; unknown commands exit 2', async () => {
    const v = await runCli(['version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    for (const cmd of [['--help'], ['start', '--help'], ['validate-config', '--help'], ['simulate', 'rpm', '--help']]) {
      const h = await runCli(cmd);
      expect(h.code, cmd.join(' ')).toBe(0);
      expect(h.stdout + h.stderr).toMatch(/Usage/i);
    }
    const u = await runCli(['frobnicate']);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown command');
  });
});

describe('borderlink inspect', () => {
  const fixture = (...p: string[]): string => path.join(ROOT, 'test', 'fixtures', ...p);

  it('prints the events of an N42 document and exits 0', async () => {
    const r = await runCli(['inspect', fixture('n42', 'portal-2012-dual-alarm.n42')]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { adapter: { id: string }; events: Array<{ eventType: string; outcome?: { state: string; categories?: string[] } }> };
    expect(out.adapter.id).toBe('n42-document');
    const result = out.events.find((e) => e.eventType === 'result');
    expect(result?.outcome?.state).toBe('alarm');
    expect(result?.outcome?.categories).toEqual(expect.arrayContaining(['gamma', 'neutron']));
  });

  it('reads a line-protocol capture', async () => {
    const r = await runCli(['inspect', fixture('line-protocol', 'dual-alarm.log')]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { adapter: { id: string }; events: Array<{ eventType: string }> };
    expect(out.adapter.id).toBe('rpm-line-protocol');
    expect(out.events.some((e) => e.eventType === 'result')).toBe(true);
  });

  it('exits 1 with the reason when a file does not decode', async () => {
    for (const f of [fixture('n42', 'doctype-billion-laughs.n42'), fixture('n42', 'not-n42.xml'), fixture('line-protocol', 'malformed.log')]) {
      const r = await runCli(['inspect', f]);
      expect(r.code, f).toBe(1);
      expect(r.stderr).toMatch(/error: .*BL_ERR_(N42|LINE)_[A-Z_]+/);
    }
  });
});
