/**
 * The sync-station simulator, polled over HTTP with a since-id cursor, as the spectro-sync-station
 * adapter's contract partner. A poll endpoint has no link to break in the Modbus sense; its
 * failures (HTTP errors, garbage, restarts) are covered by test/e2e/sync-station.test.ts.
 */
import { startSyncStation } from '../../../simulators/sync-station/sync-station-simulator.js';
import type { AdapterContractKit } from '../adapter-contract.js';

export const kit: AdapterContractKit = {
  adapterId: 'spectro-sync-station',
  corruptValueCode: 'BL_ERR_VENDOR_JSON',
  async startSimulator() {
    const st = await startSyncStation({ scenario: 'idle', seed: 9 });
    return {
      address: { url: st.url },
      async produceAlarm() {
        await st.add('narcotic');
      },
      corruptValues: (on: boolean) => st.fault(on ? 'garbage' : 'none'),
      close: () => st.close(),
    };
  },
};
