/** The RPM simulator as the rpm-modbus-generic adapter's contract partner (manual clock). */
import { startRpmSimulator } from '../../../simulators/rpm/rpm-simulator.js';
import type { AdapterContractKit } from '../adapter-contract.js';

export const kit: AdapterContractKit = {
  adapterId: 'rpm-modbus-generic',
  goldenThroughConnector: 'modbus-replay',
  corruptValueCode: 'BL_ERR_DECODE_NOT_A_NUMBER',
  linkFaults: { silentCode: 'BL_ERR_MODBUS_TIMEOUT', silentState: 'offline', malformedReplies: true },
  async startSimulator() {
    // idle: no traffic of its own; the test makes things happen and advances the device clock
    const sim = await startRpmSimulator({ port: 0, scenario: 'idle', seed: 11, realtime: false });
    sim.step(2000);
    return {
      address: { host: '127.0.0.1', port: sim.port, unitId: sim.unitId },
      async produceAlarm() {
        sim.inject({ kind: 'vehicle', speedKmh: 8, lengthM: 12, shadow: 0.15, sources: [{ category: 'gamma', nuclide: 'Cs-137', peakCps: 6000 }, { category: 'neutron', nuclide: 'Cf-252', peakCps: 40 }] });
        // the pass takes a few seconds of device time; the summary latches when it ends
        for (let i = 0; i < 100 && sim.lastOccupancy() === undefined; i++) sim.step(200);
        for (let i = 0; i < 100 && sim.state().occupied; i++) sim.step(200);
      },
      corruptValues: (on: boolean) => {
        sim.inject({ kind: 'float-corruption', active: on });
        sim.step(200);
      },
      link: {
        disconnect: () => sim.dropConnections(),
        malformTransport: (on: boolean) => sim.setFaults(on ? { mode: { kind: 'malformed', shape: 'truncated' } } : {}),
        silence: (on: boolean) => sim.setFaults(on ? { mode: { kind: 'silent' } } : {}),
      },
      close: () => sim.close(),
    };
  },
};
