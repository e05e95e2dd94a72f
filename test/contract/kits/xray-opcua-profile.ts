/**
 * The OPC UA X-ray scanner simulator (simulators/opcua-scanner) as the contract partner of the
 * declarative profile adapters/xray-opcua-profile, through the real OPC UA connector (its
 * certificate pinned, as the daemon pins a built-in simulator's). An alarm is one
 * alarm-two-threats scan; a value the profile must refuse is a scanner state outside the State
 * field's enum. Link faults are the connector's (test/unit/connectors/opcua-connector.test.ts);
 * the golden cases (OPC UA frames) run through decode and normalise (golden-cases.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { startXrayOpcuaSimulator } from '../../../simulators/opcua-scanner/xray-opcua-simulator.js';
import type { AdapterContractKit } from '../adapter-contract.js';

export const kit: AdapterContractKit = {
  adapterId: 'xray-opcua-profile',
  corruptValueCode: 'BL_ERR_OPCUA_VALUE',
  async startSimulator() {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-xray-profile-kit-'));
    const sim = await startXrayOpcuaSimulator({ stateDir: dir, scenario: 'idle', logger: silentLogger() });
    return {
      address: { opcua: { endpointUrl: sim.endpointUrl, serverCertificate: sim.certificate } },
      async produceAlarm() {
        sim.scan('alarm-two-threats');
      },
      corruptValues: (on: boolean) => {
        // a state word outside the profile's enum (the simulator writes any String)
        sim.setState((on ? 'warming-up' : 'ready') as 'ready');
      },
      close: async () => {
        await sim.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
