import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSimulatorCommand } from '../../../simulators/cli.js';
import { createModbusRtuBus } from '../../../src/connectors/modbus-rtu-bus.js';
import { silentLogger } from '../../../src/log.js';
import { socatPair, socatSuiteName } from '../../helpers/rtu-lines.js';
import { recordingSink, waitUntil } from '../connectors/modbus-fakes.js';
import { capture, runSimulate as run } from '../../helpers/simulator-command.js';

describe('borderlink simulate rpm --rtu: usage', () => {
  it('documents --rtu, --units, --baud and --parity', async () => {
    const r = await run(['rpm', '--help']);
    expect(r.code).toBe(0);
    for (const o of ['--rtu PATH', '--units LIST', '--baud N', '--parity P']) expect(r.out).toContain(o);
  });

  it.each([
    [['rpm', '--units', '1,2'], /need --rtu PATH/],
    [['rpm', '--rtu', '/tmp/x', '--port', '5020'], /--port and --host do not apply/],
    [['rpm', '--rtu', '/tmp/x', '--units', '1,x'], /--units must be comma-separated/],
    [['rpm', '--rtu', '/tmp/x', '--units', '1,1'], /distinct unit ids 1-247/],
    [['rpm', '--rtu', '/tmp/x', '--units', '0'], /distinct unit ids 1-247/],
    [['rpm', '--rtu', '/tmp/x', '--parity', 'mark'], /--parity must be none, even or odd/],
    [['rpm', '--rtu', '/tmp/x', '--baud', 'fast'], /--baud must be an integer/],
  ])('%j exits 2', async (argv, message) => {
    const r = await run(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('a serial path that does not exist exits 2 with the reason', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-rtu-cli-'));
    try {
      const r = await run(['rpm', '--rtu', path.join(dir, 'missing'), '--units', '1']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/Modbus RTU simulator could not open/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const suite = socatSuiteName('borderlink simulate rpm --rtu over a socat pty pair');

describe.skipIf(suite.skip)(suite.name, () => {
  it('serves several RPM units on one line, prints one JSON line and stops on abort', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-rtu-cli-'));
    const pair = socatPair(dir);
    await pair.start();
    const abort = new AbortController();
    const out = capture();
    const done = runSimulatorCommand(['rpm', '--rtu', pair.device, '--units', '1,2,3', '--scenario', 'quiet', '--seed', '7', '--baud', '115200', '--parity', 'none'], {
      stdout: out, stderr: capture(), signal: abort.signal, logger: silentLogger(),
    });
    const bus = createModbusRtuBus({ path: pair.gateway, baudRate: 115_200, parity: 'none', logger: silentLogger(), clock: { now: () => Date.now() } });
    try {
      await waitUntil(() => out.text().includes('\n'), 'the ready line');
      expect(JSON.parse(out.text().trim())).toEqual({ simulator: 'rpm', rtu: pair.device, units: [1, 2, 3], scenario: 'quiet', seeds: [7, 8, 9] });
      const recs = [1, 2, 3].map((unitId) => {
        const rec = recordingSink();
        void bus.connector({
          deviceId: `rpm-${unitId}`, unitId, sink: rec.sink,
          plan: { kind: 'modbus-poll', pollIntervalMs: 100, timeoutMs: 200, reads: [{ table: 'holding', address: 100, count: 5 }] },
        }).start();
        return rec;
      });
      await waitUntil(() => recs.every((r) => r.frames.length >= 2), 'every unit answers', 10_000);
      // holding 101: samplePeriodMs (200 ms) in the register map, on every unit
      for (const r of recs) expect(r.frames[0]?.blocks[0]?.data.readUInt16BE(2)).toBe(200);
    } finally {
      await bus.close();
      abort.abort();
      expect(await done).toBe(0);
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
