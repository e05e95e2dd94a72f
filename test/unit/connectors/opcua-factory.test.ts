/**
 * The gateway's wiring for OPC UA: a configuration with an xray-opcua simulator and a device that
 * names it, the simulator started as the daemon starts it, and the connector the factory builds
 * for an adapter with an opcua plan. The device trusts the simulator's certificate because the
 * gateway started that simulator itself (pinned), without trust on first use.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, expect, it } from 'vitest';
import type { AnyAdapter } from '../../../src/adapter/types.js';
import { parseConfig } from '../../../src/config/load-config.js';
import { createConnectorFactory } from '../../../src/connectors/connector-factory.js';
import type { Sink } from '../../../src/connectors/types.js';
import type { Frame } from '../../../src/adapter/types.js';
import { startSimulators } from '../../../src/simulators.js';
import { recordingOpcUaSink, scanSequences, waitUntil, xrayPlan } from '../../helpers/opcua.js';

const logger = pino({ level: process.env.BL_TEST_LOG ?? 'silent' }, pino.destination(2));
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bl-opcua-factory-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const adapter: AnyAdapter = {
  id: 'xray-opcua-test',
  version: '0.0.1',
  deviceClass: 'xray-scanner',
  transport: 'opcua',
  optionsSchema: { type: 'object' },
  acquisition: xrayPlan(),
  initialState: () => null,
  decode: () => ({ ok: true, value: [] }),
  normalise: (_r, state) => ({ ok: true, value: { drafts: [], state } }),
};

it('a device naming an xray-opcua simulator gets an OPC UA connector that trusts that simulator', async () => {
  const config = parseConfig([
    'gateway:', '  id: gw-1', '  siteId: BGSOF', `  dataDir: ${dataDir}`,
    'simulators:', '  - id: xray-sim', '    kind: xray-opcua', '    scenario: idle',
    'devices:', '  - id: xray-lane1', '    adapter: xray-opcua-test', '    connection:', '      simulator: xray-sim',
  ].join('\n'), path.join(dataDir, 'config.yaml'), { env: {} });
  const sims = await startSimulators(config.simulators, logger);
  try {
    const device = config.devices[0];
    if (!device) throw new Error('no device');
    const rec = recordingOpcUaSink();
    const built = createConnectorFactory({ logger, clock: { now: () => Date.now() } }).build(device, adapter, rec.sink as Sink<Frame>, sims.address('xray-sim'));
    const connector = built.connector;
    if (!connector) throw new Error('no connector');
    await connector.start();
    try {
      await waitUntil(() => rec.lastStatus()?.state === 'online', 30_000, 'online');
      expect(rec.lastStatus()?.detail).toContain('SignAndEncrypt/Basic256Sha256');
      // trusted by pin: nothing was written to the trusted or rejected folders
      const pki = path.join(dataDir, 'pki', 'opcua');
      expect(readdirSync(path.join(pki, 'trusted', 'certs'))).toEqual([]);
      expect(readdirSync(path.join(pki, 'rejected'))).toEqual([]);
      expect(rec.frames[0]?.values.scanSequence).toBe(0);
      // the simulator's state folder defaults under the data dir
      expect(readdirSync(path.join(dataDir, 'simulators', 'xray-sim'))).toContain('pki');
    } finally {
      await connector.stop();
    }
    expect(scanSequences(rec.frames)).toEqual([]);
  } finally {
    await sims.close();
  }
}, 60_000);
