/**
 * The OPC UA X-ray scanner simulator (simulators/opcua-scanner) as the contract partner of the
 * declarative profile adapters/xray-opcua-profile, through the real OPC UA connector (its
 * certificate pinned, as the daemon pins a built-in simulator's). An alarm is one
 * alarm-two-threats scan; a value the profile must refuse is a scanner state outside the State
 * field's enum. Link faults are the connector's (test/unit/connectors/opcua-connector.test.ts);
 * the golden cases (OPC UA frames) run through decode and normalise (golden-cases.test.ts).
 */
import type { AdapterContractKit } from '../adapter-contract.js';
import { xrayOpcuaKit } from './xray-opcua-scanner.js';

// the profile reads the same simulator; a state outside the profile's enum is its corrupt value
export const kit: AdapterContractKit = xrayOpcuaKit('xray-opcua-profile', 'BL_ERR_OPCUA_VALUE');
