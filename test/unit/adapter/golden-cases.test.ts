/**
 * Every adapters/<id>/testcases/<case>/ folder runs here, found by enumeration so no adapter can
 * skip it: input.json (frames) through decode + the normalise reducer, compared with expected.json
 * (the drafts, in order) or expected-error.json ({ code, frame? }). Every expected draft must also
 * make a valid DetectionEvent v1 once wrapped in its envelope.
 *
 * UPDATE_GOLDEN=1 rewrites expected files from what the adapter produces now: review the diff by eye.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../../src/adapter/registry.js';
import type { AnyAdapter, EventDraft } from '../../../src/adapter/types.js';
import { packageRoot } from '../../../src/package-root.js';
import { buildEnvelope } from '../../../src/pipeline/envelope.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { GOLDEN_DEVICE, runGoldenCase } from '../../helpers/golden-runner.js';
import type { FrameFixture } from '../../helpers/modbus-image.js';

const ADAPTERS_DIR = path.join(packageRoot(), 'adapters');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const subdirs = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort() : [];

const adapterIds = subdirs(ADAPTERS_DIR);

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));
const writeJson = (file: string, value: unknown): void => writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
/** What a consumer would see: undefined keys vanish in JSON. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

describe('golden test cases of every adapter', () => {
  let adapters: Map<string, AnyAdapter>;
  const validator = createEventValidator();

  beforeAll(async () => {
    adapters = await loadAdapters(ADAPTERS_DIR);
  });

  it('finds adapters to test', () => {
    expect(adapterIds.length).toBeGreaterThan(0);
  });

  for (const id of adapterIds) {
    const casesDir = path.join(ADAPTERS_DIR, id, 'testcases');
    const cases = subdirs(casesDir);

    it(`${id} has golden test cases`, () => {
      expect(cases.length, `${casesDir} must hold at least one case folder`).toBeGreaterThan(0);
    });

    for (const name of cases) {
      it(`${id}/${name}`, () => {
        const dir = path.join(casesDir, name);
        const adapter = adapters.get(id);
        expect(adapter, `adapter ${id} loaded`).toBeDefined();
        if (adapter === undefined) return;
        const frames = readJson(path.join(dir, 'input.json')) as FrameFixture[];
        expect(Array.isArray(frames) && frames.length > 0, 'input.json is a non-empty list of frames').toBe(true);

        const run = runGoldenCase(adapter, frames, {}, dir);
        const expectedFile = path.join(dir, 'expected.json');
        const errorFile = path.join(dir, 'expected-error.json');

        if (UPDATE) {
          // regenerate from what the adapter does now; the stale counterpart goes (git shows it)
          if (run.failure !== undefined) writeJson(errorFile, { code: run.failure.code, frame: run.failure.frame });
          else writeJson(expectedFile, asJson(run.drafts));
          rmSync(run.failure !== undefined ? expectedFile : errorFile, { force: true });
        }

        const hasExpected = existsSync(expectedFile);
        const hasError = existsSync(errorFile);
        expect(hasExpected !== hasError, `${dir} needs exactly one of expected.json, expected-error.json`).toBe(true);

        if (hasError) {
          const want = readJson(errorFile) as { code: string; frame?: number };
          expect(run.failure, `case must fail with ${want.code}`).toBeDefined();
          expect(run.failure?.code).toBe(want.code);
          if (want.frame !== undefined) expect(run.failure?.frame).toBe(want.frame);
          return;
        }
        expect(run.failure, `unexpected failure: ${run.failure?.code} ${run.failure?.message}`).toBeUndefined();
        const expected = readJson(expectedFile) as EventDraft[];
        expect(asJson(run.drafts)).toEqual(expected);

        for (const [i, draft] of expected.entries()) {
          const event = buildEnvelope({
            draft, device: GOLDEN_DEVICE, adapter, gatewayId: 'golden-gw',
            eventId: '01890a5d-ac96-774b-bcce-b302099a8057', receivedAt: frames[0]?.receivedAt ?? 0,
          });
          const verdict = validator.validate({ ...event, sequence: i + 1 });
          expect(verdict, `expected[${i}] as a DetectionEvent`).toEqual({ ok: true });
        }
      });
    }
  }
});
