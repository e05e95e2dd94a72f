/**
 * The stored line-protocol captures and the simulator-made golden inputs are exactly what the
 * rpm-line simulator writes today. UPDATE_GOLDEN=1 rewrites them: review the diff by eye (and
 * then the golden expected.json files, which UPDATE_GOLDEN=1 on golden-cases.test.ts refreshes).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../../src/package-root.js';
import { captureFile, captureFixtures, captureLines, SIMULATED_CASES, STORED_CAPTURES } from '../../../helpers/line-capture.js';

const ROOT = packageRoot();
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'line-protocol');
const CASES = path.join(ROOT, 'adapters', 'rpm-line-protocol', 'testcases');

describe('line-protocol fixtures made by the simulator', () => {
  for (const [file, def] of Object.entries(STORED_CAPTURES)) {
    it(`test/fixtures/line-protocol/${file} matches the simulator`, () => {
      const want = captureFile(captureLines(def));
      const target = path.join(FIXTURES, file);
      if (UPDATE) writeFileSync(target, want, 'latin1');
      expect(existsSync(target), `${target} exists (UPDATE_GOLDEN=1 writes it)`).toBe(true);
      const got = readFileSync(target, 'latin1');
      expect(got).toBe(want);
      expect(got.split('\r\n').slice(0, -1).every((l) => !l.includes('\n'))).toBe(true);
    });
  }

  for (const [name, def] of Object.entries(SIMULATED_CASES)) {
    it(`golden input ${name} matches the simulator`, () => {
      const want = captureFixtures(captureLines(def));
      const dir = path.join(CASES, name);
      const target = path.join(dir, 'input.json');
      if (UPDATE) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(target, `${JSON.stringify(want, null, 1)}\n`);
      }
      expect(JSON.parse(readFileSync(target, 'utf8'))).toEqual(want);
    });
  }
});
