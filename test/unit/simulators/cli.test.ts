import { describe, expect, it } from 'vitest';
import { runSimulatorCommand } from '../../../simulators/cli.js';
import { silentLogger } from '../../../src/log.js';
import { closeClient, modbusClient } from './mbap-test-client.js';
import { capture, runSimulate as run } from '../../helpers/simulator-command.js';

describe('borderlink simulate', () => {
  it('runs the RPM simulator, prints one JSON line when listening and stops on abort', async () => {
    const out = capture();
    const err = capture();
    const abort = new AbortController();
    const done = runSimulatorCommand(['rpm', '--port', '0', '--scenario', 'gamma-alarm', '--seed', '77', '--unit-id', '3'], {
      stdout: out,
      stderr: err,
      signal: abort.signal,
      logger: silentLogger(),
    });
    while (!out.text().includes('\n')) await new Promise((r) => setTimeout(r, 20));
    const line = JSON.parse(out.text().trim()) as { simulator: string; port: number; unitId: number; scenario: string; seed: number; host: string };
    expect(line).toMatchObject({ simulator: 'rpm', host: '127.0.0.1', unitId: 3, scenario: 'gamma-alarm', seed: 77 });
    expect(line.port).toBeGreaterThan(0);
    const c = await modbusClient(line.port, 3);
    expect((await c.readHoldingRegisters(101, 1)).data).toEqual([200]);
    await closeClient(c);
    abort.abort();
    expect(await done).toBe(0);
    expect(out.text().trim().split('\n')).toHaveLength(1);
  });

  it('--help prints usage with every scenario and exits 0', async () => {
    const r = await run(['rpm', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: borderlink simulate rpm');
    expect(r.out).toContain('dual-alarm');
    expect(r.out).toContain('malformed');
  });

  it('an unknown scenario exits 2 and lists the valid ones', async () => {
    const r = await run(['rpm', '--scenario', 'boom']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown scenario "boom"');
    expect(r.err).toContain('quiet, idle, demo, gamma-alarm, neutron-alarm, dual-alarm, tamper, faults, background, malformed, silent');
  });

  it('usage errors exit 2', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['xray'])).code).toBe(2);
    expect((await run(['rpm', '--port', '70000'])).code).toBe(2);
    expect((await run(['rpm', '--unit-id', 'x'])).code).toBe(2);
    expect((await run(['rpm', '--bogus'])).code).toBe(2);
    expect((await run(['rpm', '--start-time', 'yesterday'])).code).toBe(2);
    expect((await run(['rpm', '--log-level', 'loud'])).code).toBe(2);
  });
});
