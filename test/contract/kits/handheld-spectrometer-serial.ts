/** The HSX-1 spectrometer simulator (TCP, driven by hand) as the handheld-spectrometer-serial adapter's contract partner. */
import { encodeFrame } from '../../../adapters/handheld-spectrometer-serial/hsx-frame.js';
import { startSpectrometerSimulator } from '../../../simulators/spectrometer/spectrometer-simulator.js';
import type { AdapterContractKit } from '../adapter-contract.js';

export const kit: AdapterContractKit = {
  adapterId: 'handheld-spectrometer-serial',
  corruptValueCode: 'BL_ERR_FRAME_CHECKSUM',
  linkFaults: { silentCode: 'BL_ERR_DEVICE_UNRESPONSIVE', silentState: 'degraded', malformedReplies: false },
  async startSimulator() {
    const sim = await startSpectrometerSimulator({ mode: 'tcp', port: 0, scenario: 'idle', seed: 21, realtime: false });
    let silent = false;
    const beat = setInterval(() => {
      if (!silent) sim.heartbeat();
    }, 200);
    return {
      address: { host: '127.0.0.1', port: sim.port as number, unitId: 1 },
      async produceAlarm() {
        sim.measure('narcotic');
      },
      corruptValues(on: boolean) {
        if (!on) return;
        const f = encodeFrame(Buffer.from('HBT 1\nUPTIME=5\n'));
        f[f.length - 3] = (f[f.length - 3] ?? 0) ^ 0xff; // wrong CRC
        sim.writeRaw(f);
      },
      link: {
        disconnect: () => sim.dropConnections(),
        silence: (on: boolean) => {
          silent = on;
        },
      },
      async close() {
        clearInterval(beat);
        await sim.close();
      },
    };
  },
};
