/** Small declarative profiles for unit tests. */
import type { EmitRuleSpec, ModbusFieldSpec, Profile } from '../../src/adapter/declarative/profile-types.js';

export const TEST_FIELDS: { [name: string]: ModbusFieldSpec } = {
  flag: { table: 'input', address: 0, bit: 0 },
  other: { table: 'input', address: 0, bit: 1 },
  count: { table: 'input', address: 1, type: 'uint32' },
  rate: { table: 'input', address: 3, type: 'uint16', scale: 0.5 },
  label: { table: 'holding', address: 10, type: 'uint16', format: 'hex' },
  coil: { table: 'coil', address: 0 },
};

export function testProfile(emit: EmitRuleSpec[], fields: { [name: string]: ModbusFieldSpec } = TEST_FIELDS): Profile {
  return {
    id: 'test-profile',
    version: '0.1.0',
    deviceClass: 'radiation-portal-monitor',
    technique: 'gamma-neutron',
    vendor: 'Test',
    model: 'T-1',
    transport: 'modbus-tcp',
    acquisition: { pollIntervalMs: 1000, timeoutMs: 500 },
    fields,
    emit,
  };
}
