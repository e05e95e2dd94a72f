import type { ModbusPollPlan } from '../../../../src/adapter/types.js';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileProfile, compileProfileTyped } from '../../../../src/adapter/declarative/compile-profile.js';
import { loadProfile } from '../../../../src/adapter/declarative/load-profile.js';
import { createProfileShapeCheck } from '../../../../src/adapter/declarative/profile-shape.js';
import type { Profile } from '../../../../src/adapter/declarative/profile-types.js';
import type { AnyAdapter } from '../../../../src/adapter/types.js';
import { packageRoot } from '../../../../src/package-root.js';
import { toModbusFrame } from '../../../helpers/modbus-image.js';
import { rpmInputs, rpmScenarios } from '../../../helpers/rpm-golden-scenarios.js';
import { testProfile, TEST_FIELDS } from '../../../helpers/profile-fixtures.js';

const shapeCheck = createProfileShapeCheck();
const RPM = path.join(packageRoot(), 'adapters', 'rpm-modbus-generic', 'profile.yaml');

describe('compileProfile', () => {
  it('turns the RPM profile into an adapter definition with a merged read plan', async () => {
    const adapter: AnyAdapter = compileProfile(await loadProfile(RPM, shapeCheck), shapeCheck);
    expect({
      id: adapter.id, version: adapter.version, deviceClass: adapter.deviceClass, technique: adapter.technique,
      vendor: adapter.vendor, model: adapter.model, transport: adapter.transport,
    }).toEqual({
      id: 'rpm-modbus-generic', version: '1.0.0', deviceClass: 'radiation-portal-monitor', technique: 'gamma-neutron',
      vendor: 'Generic', model: 'RPM Modbus register map v1', transport: 'modbus-tcp',
    });
    expect(adapter.acquisition).toEqual({
      kind: 'modbus-poll',
      pollIntervalMs: 500,
      timeoutMs: 1000,
      reads: [
        { table: 'coil', address: 1, count: 1 },
        { table: 'holding', address: 100, count: 5 },
        { table: 'input', address: 0, count: 25 },
        { table: 'input', address: 30, count: 21 },
      ],
    });
    expect(adapter.optionsSchema).toEqual({ type: 'object', properties: {}, additionalProperties: false });
    expect(adapter.initialState()).toEqual({ v: 1, rules: {} });
  });

  it('decodes a frame into one record holding every field', async () => {
    const adapter = compileProfileTyped(await loadProfile(RPM, shapeCheck), shapeCheck);
    const steps = rpmScenarios().get('dual-alarm-occupancy') ?? [];
    const [, , , last] = rpmInputs('dual-alarm-occupancy', steps, (adapter.acquisition as ModbusPollPlan).reads);
    if (last === undefined) throw new Error('scenario has four polls');
    const r = adapter.decode(toModbusFrame(last, 'modbus-tcp'), { device: { id: 'd', siteId: 'XXTST' }, options: {}, now: last.receivedAt });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value).toHaveLength(1);
    expect(r.value[0]?.values).toMatchObject({
      occupied: false, occupancyCount: 8, lastFlags: '0x0003', lastGammaAlarm: true, lastNeutronAlarm: true,
      lastDurationMs: 6150, lastDurationS: 6.15, lastMaxGammaSigma: 9.87, lastMaxNeutron1: 14.5, lastSpeed: 5.2,
      gammaBackground2: 1180.25, nSigma: 4, firmware: '2.3', serialNumber: '40117', maintenanceMode: false,
    });
  });

  it('applies gap tolerance and the per-read cap from acquisition', () => {
    const base = testProfile([{ id: 's', eventType: 'status', when: { rising: 'coil' }, status: { state: 'maintenance' } }]);
    const wide: Profile = {
      ...base,
      fields: { ...TEST_FIELDS, far: { table: 'input', address: 10, type: 'uint16' }, c5: { table: 'coil', address: 5 } },
      acquisition: { pollIntervalMs: 1000, timeoutMs: 500, gapTolerance: { registers: 6, bits: 4 }, maxPerRead: { registers: 8 } },
    };
    expect((compileProfile(wide, shapeCheck).acquisition as ModbusPollPlan).reads).toEqual([
      { table: 'coil', address: 0, count: 6 },
      { table: 'holding', address: 10, count: 1 },
      { table: 'input', address: 0, count: 4 },
      { table: 'input', address: 10, count: 1 }, // within the gap tolerance, but 0-10 would pass the cap of 8
    ]);
  });

  it('passes a declared optionsSchema through', () => {
    const p: Profile = { ...testProfile([{ id: 's', eventType: 'status', when: { rising: 'coil' }, status: { state: 'maintenance' } }]), optionsSchema: { type: 'object', properties: { lane: { type: 'integer' } } } };
    expect(compileProfile(p, shapeCheck).optionsSchema).toEqual({ type: 'object', properties: { lane: { type: 'integer' } } });
  });

  it('checks an in-memory profile against the schema as well', () => {
    expect(() => compileProfile({ id: 'x' } as unknown as Profile, shapeCheck)).toThrow(expect.objectContaining({ code: 'BL_ERR_PROFILE_INVALID' }));
    const dangling = testProfile([{ id: 's', eventType: 'status', when: { rising: 'nope' }, status: { state: 'maintenance' } }]);
    expect(() => compileProfile(dangling, shapeCheck)).toThrow(/emit\[0\]\.when\.rising: names no field: "nope"/);
  });
});
