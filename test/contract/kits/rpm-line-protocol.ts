/** The line-protocol simulator (TCP mode, manual clock) as the rpm-line-protocol adapter's contract partner. */
import { startRpmLineSimulator } from '../../../simulators/rpm-line/rpm-line-simulator.js';
import type { AdapterContractKit } from '../adapter-contract.js';

export const kit: AdapterContractKit = {
  adapterId: 'rpm-line-protocol',
  corruptValueCode: 'BL_ERR_LINE_UNKNOWN_TAG',
  // a stream has no replies to malform; a silent stream is degraded (the link may be idle), not offline
  linkFaults: { silentCode: 'BL_ERR_DEVICE_UNRESPONSIVE', silentState: 'degraded', malformedReplies: false },
  async startSimulator() {
    const sim = await startRpmLineSimulator({ mode: 'tcp', port: 0, scenario: 'idle', seed: 12, realtime: false });
    let silent = false;
    const step = (ms: number): void => {
      if (!silent) sim.step(ms);
    };
    step(6000);
    return {
      address: { host: '127.0.0.1', port: sim.port as number, unitId: 1 },
      async produceAlarm() {
        sim.inject({ kind: 'vehicle', speedKmh: 8, lengthM: 12, shadow: 0.15, sources: [{ category: 'gamma', nuclide: 'Cs-137', peakCps: 6000 }, { category: 'neutron', nuclide: 'Cf-252', peakCps: 40 }] });
        const before = sim.occupancyCount();
        for (let i = 0; i < 200 && sim.occupancyCount() === before; i++) step(200);
        step(6000); // a background line after the occupancy
      },
      corruptValues: (on: boolean) => {
        if (on) sim.writeRaw(['ZZ,1,2,3']);
      },
      link: {
        disconnect: () => sim.dropConnections(),
        silence: (on: boolean) => {
          silent = on;
          if (!on) step(6000);
        },
      },
      close: () => sim.close(),
    };
  },
};
