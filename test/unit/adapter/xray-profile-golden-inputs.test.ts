/**
 * The xray-opcua-profile golden inputs are generated from the OPC UA simulator's scan results
 * (test/helpers/xray-profile-golden.ts) with the profile's monitored-item names, and this test
 * fails if a file drifted. UPDATE_GOLDEN=1 (re)writes them; then run golden-cases.test.ts with
 * UPDATE_GOLDEN=1 as well, and read the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileProfile } from '../../../src/adapter/declarative/compile-profile.js';
import { loadProfile } from '../../../src/adapter/declarative/load-profile.js';
import type { OpcUaPlan } from '../../../src/adapter/types.js';
import { packageRoot } from '../../../src/package-root.js';
import { xrayProfileInputs, xrayProfileScenarios } from '../../helpers/xray-profile-golden.js';

const ADAPTER_DIR = path.join(packageRoot(), 'adapters', 'xray-opcua-profile');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

describe('xray-opcua-profile golden inputs', () => {
  let plan: OpcUaPlan;
  beforeAll(async () => {
    plan = compileProfile(await loadProfile(path.join(ADAPTER_DIR, 'profile.yaml'))).acquisition as OpcUaPlan;
  });

  for (const [name, scenario] of xrayProfileScenarios()) {
    it(`${name}/input.json matches its scenario`, () => {
      const text = `${JSON.stringify(xrayProfileInputs(plan, scenario), null, 1)}\n`;
      const file = path.join(ADAPTER_DIR, 'testcases', name, 'input.json');
      if (UPDATE) {
        mkdirSync(path.dirname(file), { recursive: true });
        writeFileSync(file, text);
      }
      expect(existsSync(file), `${file} exists (UPDATE_GOLDEN=1 writes it)`).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(text);
    });
  }
});
