import { describe, expect, it } from 'vitest';
import { runSimulatorCommand } from '../../../../simulators/cli.js';
import { silentLogger } from '../../../../src/log.js';
import { tcpLineClient } from './line-client.js';
import { capture, runSimulate as run } from '../../../helpers/simulator-command.js';

describe('borderlink simulate rpm-line', () => {
  it('listens, prints one JSON line, streams lines to a client and stops on abort', async () => {
    const out = capture();
    const abort = new AbortController();
    const done = runSimulatorCommand(['rpm-line', '--port', '0', '--scenario', 'dual-alarm', '--seed', '77'], { stdout: out, stderr: capture(), signal: abort.signal, logger: silentLogger() });
    while (!out.text().includes('\n')) await new Promise((r) => setTimeout(r, 20));
    const ready = JSON.parse(out.text().trim()) as { simulator: string; mode: string; host: string; port: number; scenario: string; seed: number };
    expect(ready).toMatchObject({ simulator: 'rpm-line', mode: 'tcp', host: '127.0.0.1', scenario: 'dual-alarm', seed: 77 });
    const client = await tcpLineClient(ready.port);
    const lines = await client.waitFor((l) => l.length >= 2, 'the setup lines');
    expect(lines[0]).toMatch(/^SG,/);
    await client.close();
    abort.abort();
    expect(await done).toBe(0);
  });

  it('--help prints its own usage', async () => {
    const r = await run(['rpm-line', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: borderlink simulate rpm-line');
    expect(r.out).toContain('--path P');
  });

  it('usage errors exit 2: --path with --port, an unknown scenario, a stray argument, a bad option', async () => {
    for (const argv of [['rpm-line', '--path', '/tmp/x', '--port', '1'], ['rpm-line', '--scenario', 'boom'], ['rpm-line', 'extra'], ['rpm-line', '--bogus'], ['rpm-line', '--n-sigma', '0']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.length).toBeGreaterThan(0);
    }
    expect((await run(['rpm-line', '--scenario', 'boom'])).err).toContain('unknown scenario "boom"');
  });

  it('the top-level command names rpm-line among the simulators', async () => {
    const r = await run(['nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('available: rpm, rpm-line');
  });
});
