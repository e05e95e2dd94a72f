/**
 * X-ray scanner over OPC UA: the kit's device is the OPC UA scanner simulator
 * (simulators/opcua-scanner), reached by the real OPC UA connector (its certificate pinned, as the
 * daemon pins a built-in simulator's). An alarm is one alarm-two-threats scan; a value the adapter
 * must refuse is a scanner state it does not know. The OPC UA link faults (reconnection, a
 * silent subscription, trust) are the connector's, tested in test/unit/connectors/opcua-connector.test.ts;
 * the golden cases (OPC UA frames) run through decode and normalise (test/unit/adapter/golden-cases.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { startXrayOpcuaSimulator } from '../../../simulators/opcua-scanner/xray-opcua-simulator.js';
import type { AdapterContractKit } from '../adapter-contract.js';

/** The kit of an adapter reading the OPC UA scanner simulator (the code adapter and the profile share it). */
export function xrayOpcuaKit(adapterId: string, corruptValueCode: AdapterContractKit['corruptValueCode']): AdapterContractKit {
  return {
    adapterId,
    corruptValueCode,
    async startSimulator() {
      const dir = mkdtempSync(path.join(os.tmpdir(), `bl-${adapterId}-kit-`));
      const sim = await startXrayOpcuaSimulator({ stateDir: dir, scenario: 'idle', logger: silentLogger() });
      return {
        address: { opcua: { endpointUrl: sim.endpointUrl, serverCertificate: sim.certificate } },
        async produceAlarm() {
          sim.scan('alarm-two-threats');
        },
        corruptValues: (on: boolean) => {
          // a state word the adapter's vocabulary does not have (the simulator writes any String)
          sim.setState((on ? 'warming-up' : 'ready') as 'ready');
        },
        close: async () => {
          await sim.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

export const kit: AdapterContractKit = xrayOpcuaKit('xray-opcua-scanner', 'BL_ERR_DICOS_REPORT_INVALID');
