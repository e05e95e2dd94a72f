/**
 * Built-in simulators named in the config (the embedded demo runs two RPM lanes this way).
 * Devices refer to them by id; the gateway resolves the address after they listen.
 */
import type { Logger } from 'pino';
import type { SimulatorConfig } from './config/types.js';
import { BorderlinkError, describeError } from './errors.js';
import { startRpmSimulator } from '../simulators/rpm/rpm-simulator.js';
import { startRpmLineSimulator } from '../simulators/rpm-line/rpm-line-simulator.js';
import { startN42DropSimulator } from '../simulators/n42/n42-drop-simulator.js';
import { startSpectrometerSimulator, type SpectrometerSimulatorOptions } from '../simulators/spectrometer/spectrometer-simulator.js';
import path from 'node:path';
import { startRpmRtuSimulator } from '../simulators/rpm/rpm-rtu-simulator.js';
import { listenRtuOverTcp } from '../simulators/modbus/rtu-tcp-listener.js';
import { startCargoScannerSimulator } from '../simulators/cargo-scanner/cargo-scanner-simulator.js';
import { startSyncStation } from '../simulators/sync-station/sync-station-simulator.js';
import type { DeviceAddress } from './connectors/connector-factory.js';

export interface RunningSimulators {
  address(id: string): DeviceAddress;
  close(): Promise<void>;
}

export async function startSimulators(configs: readonly SimulatorConfig[], logger: Logger): Promise<RunningSimulators> {
  const running = new Map<string, DeviceAddress & { close(): Promise<void> }>();
  try {
    for (const c of configs) {
      const log = logger.child({ simulator: c.id });
      if (c.kind === 'n42-drop') {
        const dir = path.join(c.folder as string, 'incoming');
        const drop = await startN42DropSimulator({ dir, scenario: c.scenario, seed: c.seed, realtime: true, logger: log });
        running.set(c.id, { host: '', port: 0, close: () => drop.close() });
        logger.info({ simulator: c.id, kind: c.kind, folder: dir, scenario: c.scenario }, 'simulator writing documents');
        continue;
      }
      if (c.kind === 'spectrometer-serial') {
        const spectro = await startSpectrometerSimulator({
          mode: 'tcp', host: c.host, port: c.port, scenario: c.scenario as SpectrometerSimulatorOptions['scenario'], seed: c.seed ?? 1, realtime: true, logger: log,
          ...(c.intervalMs !== undefined ? { intervalMs: c.intervalMs } : {}),
        });
        running.set(c.id, { host: c.host, port: spectro.port ?? 0, close: () => spectro.close() });
        logger.info({ simulator: c.id, kind: c.kind, host: c.host, port: spectro.port, scenario: c.scenario }, 'simulator listening');
        continue;
      }
      if (c.kind === 'sync-station') {
        // a spectrometer sync station's REST API; devices naming it poll GET /api/v1/results
        const station = await startSyncStation({ host: c.host, port: c.port, scenario: c.scenario === 'idle' ? 'idle' : 'demo', seed: c.seed ?? 1, logger: log, ...(c.intervalMs !== undefined ? { intervalMs: c.intervalMs } : {}) });
        running.set(c.id, { host: c.host, port: station.port, path: '/api/v1/results', close: () => station.close() });
        logger.info({ simulator: c.id, kind: c.kind, url: station.url, scenario: c.scenario }, 'simulator listening');
        continue;
      }
      if (c.kind === 'cargo-scanner') {
        const cargo = await startCargoScannerSimulator({
          mode: c.mode ?? 'poll', host: c.host, port: c.port, scenario: c.scenario, realtime: true, logger: log,
          ...(c.webhookUrl !== undefined ? { webhookUrl: c.webhookUrl } : {}),
          ...(c.seed !== undefined ? { seed: c.seed } : {}),
          ...(c.intervalMs !== undefined ? { intervalMs: c.intervalMs } : {}),
        });
        // poll mode: a device naming this simulator polls http://host:port/scans
        running.set(c.id, { host: c.host, port: cargo.port ?? 0, ...(cargo.mode === 'poll' ? { path: '/scans' } : {}), close: () => cargo.close() });
        logger.info({ simulator: c.id, kind: c.kind, mode: cargo.mode, url: cargo.url, webhookUrl: c.webhookUrl, scenario: c.scenario }, 'simulator scanning');
        continue;
      }
      if (c.kind === 'xray-opcua') {
        // node-opcua takes seconds to load: only a configuration with this simulator pays for it
        const { startXrayOpcuaSimulator } = await import('../simulators/opcua-scanner/xray-opcua-simulator.js');
        const xray = await startXrayOpcuaSimulator({
          host: c.host, port: c.port, stateDir: c.folder ?? path.resolve('simulators', c.id), logger: log,
          ...(c.scenario !== 'demo' ? { scenario: c.scenario } : {}), // demo, the schema's default, is the cycle
          ...(c.intervalMs !== undefined ? { intervalMs: c.intervalMs } : {}),
        });
        running.set(c.id, { host: xray.host, port: xray.port, opcua: { endpointUrl: xray.endpointUrl, serverCertificate: xray.certificate }, close: () => xray.close() });
        logger.info({ simulator: c.id, kind: c.kind, endpointUrl: xray.endpointUrl, scenario: xray.scenario }, 'simulator listening');
        continue;
      }
      if (c.kind === 'rpm-rtu') {
        // RTU frames over TCP, as a serial device server would carry them from an RS-485 line
        const listener = await listenRtuOverTcp({ host: c.host, port: c.port });
        const rtu = await startRpmRtuSimulator({ path: `tcp://${listener.host}:${listener.port}`, units: c.units ?? [1], openPort: listener.openPort, scenario: c.scenario, seed: c.seed, logger: log });
        running.set(c.id, { host: listener.host, port: listener.port, rtu: true, close: async () => { await rtu.close(); await listener.close(); } });
        logger.info({ simulator: c.id, kind: c.kind, host: listener.host, port: listener.port, units: c.units ?? [1], scenario: c.scenario }, 'simulator listening');
        continue;
      }
      const sim =
        c.kind === 'rpm-line'
          ? await startRpmLineSimulator({ mode: 'tcp', host: c.host, port: c.port, scenario: c.scenario, seed: c.seed, realtime: true, logger: log })
          : await startRpmSimulator({ host: c.host, port: c.port, unitId: c.unitId, scenario: c.scenario, seed: c.seed, realtime: true, logger: log });
      running.set(c.id, { host: c.host, port: sim.port ?? 0, close: () => sim.close() });
      logger.info({ simulator: c.id, kind: c.kind, host: c.host, port: sim.port, scenario: c.scenario }, 'simulator listening');
    }
  } catch (e) {
    await Promise.allSettled([...running.values()].map((s) => s.close()));
    throw new BorderlinkError('BL_ERR_SIMULATOR', `simulator could not start: ${describeError(e).message}`, { cause: e });
  }
  return {
    address(id) {
      const s = running.get(id);
      if (!s) throw new BorderlinkError('BL_ERR_SIMULATOR', `no simulator "${id}" is running`);
      return { host: s.host, port: s.port, ...(s.rtu ? { rtu: true } : {}), ...(s.opcua ? { opcua: s.opcua } : {}), ...(s.path ? { path: s.path } : {}) };
    },
    async close() {
      await Promise.allSettled([...running.values()].map((s) => s.close()));
      running.clear();
    },
  };
}
