/**
 * The rpm-modbus-generic golden inputs are generated, not hand-typed: this test rebuilds each
 * testcases/<case>/input.json from its scenario (test/helpers/rpm-golden-scenarios.ts) with the
 * register-map encoder and the profile's read plan, and fails if a file drifted.
 * UPDATE_GOLDEN=1 (re)writes them; then run golden-cases.test.ts with UPDATE_GOLDEN=1 as well.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileProfile } from '../../../src/adapter/declarative/compile-profile.js';
import type { ModbusPollPlan, ModbusRead } from '../../../src/adapter/types.js';
import { loadProfile } from '../../../src/adapter/declarative/load-profile.js';
import { packageRoot } from '../../../src/package-root.js';
import { rpmInputs, rpmScenarios } from '../../helpers/rpm-golden-scenarios.js';

const ADAPTER_DIR = path.join(packageRoot(), 'adapters', 'rpm-modbus-generic');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('rpm-modbus-generic golden inputs', () => {
  let reads: ModbusRead[];
  beforeAll(async () => {
    reads = (compileProfile(await loadProfile(path.join(ADAPTER_DIR, 'profile.yaml'))).acquisition as ModbusPollPlan).reads;
  });

  for (const [name, steps] of rpmScenarios()) {
    it(`${name}/input.json matches its scenario`, () => {
      const frames = rpmInputs(name, steps, reads);
      const file = path.join(ADAPTER_DIR, 'testcases', name, 'input.json');
      const text = `${JSON.stringify(frames, null, 2)}\n`;
      if (UPDATE) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
      expect(existsSync(file), `${file} exists (UPDATE_GOLDEN=1 writes it)`).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }
});
