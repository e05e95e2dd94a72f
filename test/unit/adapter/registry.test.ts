import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../../src/adapter/registry.js';
import { BorderlinkError } from '../../../src/errors.js';
import { packageRoot } from '../../../src/package-root.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp adapters/ folder holding the given files (path -> content). */
function adaptersDir(files: { [file: string]: string }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-adapters-'));
  dirs.push(dir);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

const profile = (id: string): string => `id: ${id}
version: 0.1.0
deviceClass: radiation-portal-monitor
technique: gamma-neutron
vendor: X
model: Y
transport: modbus-rtu
acquisition: { pollIntervalMs: 1000, timeoutMs: 500 }
fields: { door: { table: discrete, address: 0 } }
emit: [{ id: door, eventType: fault, when: { rising: door }, fault: { code: tamper } }]
`;

const codeAdapter = (id: string): string => `export default {
  id: '${id}', version: '1.0.0', deviceClass: 'spectrometer', transport: 'modbus-tcp',
  optionsSchema: { type: 'object' },
  acquisition: { kind: 'modbus-poll', pollIntervalMs: 1000, timeoutMs: 500, reads: [] },
  initialState: () => null,
  decode: () => ({ ok: true, value: [] }),
  normalise: (_r, state) => ({ ok: true, value: { drafts: [], state } }),
};
`;

async function refusal(dir: string): Promise<BorderlinkError> {
  try {
    await loadAdapters(dir);
  } catch (e) {
    if (e instanceof BorderlinkError) return e;
    throw e;
  }
  throw new Error('loadAdapters should have refused');
}

describe('loadAdapters', () => {
  it('loads the adapters shipped in adapters/', async () => {
    const adapters = await loadAdapters(path.join(packageRoot(), 'adapters'));
    expect(adapters.get('rpm-modbus-generic')?.deviceClass).toBe('radiation-portal-monitor');
  });

  it('compiles profiles and imports code adapters (adapter.js, adapter.ts), sorted by id', async () => {
    const dir = adaptersDir({
      'zeta/profile.yaml': profile('zeta'),
      'alpha/adapter.js': codeAdapter('alpha'),
      'mid/adapter.ts': codeAdapter('mid').replace('(_r, state)', '(_r: unknown, state: unknown)'),
      'README.md': 'not an adapter',
      '.hidden/profile.yaml': 'ignored: true',
    });
    const adapters = await loadAdapters(dir);
    expect([...adapters.keys()]).toEqual(['alpha', 'mid', 'zeta']);
    expect(adapters.get('zeta')?.transport).toBe('modbus-rtu');
    expect(adapters.get('alpha')?.deviceClass).toBe('spectrometer');
  });

  it('refuses a folder not named after its adapter id', async () => {
    const e = await refusal(adaptersDir({ 'rpm/profile.yaml': profile('rpm-other') }));
    expect(e.code).toBe('BL_ERR_ADAPTER_INVALID');
    expect(e.message).toMatch(/has id "rpm-other": the folder must be named after the id/);
  });

  it('refuses a folder holding both a profile and code, or neither', async () => {
    expect((await refusal(adaptersDir({ 'a/profile.yaml': profile('a'), 'a/adapter.js': codeAdapter('a') }))).message).toMatch(/both profile\.yaml and adapter\.js/);
    expect((await refusal(adaptersDir({ 'a/README.md': '#' }))).message).toMatch(/holds no profile\.yaml, adapter\.js or adapter\.ts/);
  });

  it('refuses a module whose default export is not an adapter, saying what is missing', async () => {
    const e = await refusal(adaptersDir({ 'a/adapter.js': "export default { id: 'a', version: '1.0.0' };\n" }));
    expect(e.code).toBe('BL_ERR_ADAPTER_INVALID');
    expect(e.message).toMatch(/deviceClass must be one of/);
    expect(e.message).toMatch(/normalise must be a function/);
  });

  it('passes a profile error through with its own code', async () => {
    const e = await refusal(adaptersDir({ 'a/profile.yaml': profile('a').replace('rising: door', 'rising: nothing') }));
    expect(e.code).toBe('BL_ERR_PROFILE_INVALID');
    expect(e.message).toMatch(/emit\[0\]\.when\.rising \(line 10\): names no field: "nothing"/);
  });

  it('reports every broken adapter in one error', async () => {
    const e = await refusal(adaptersDir({
      'a/profile.yaml': profile('a').replace('version: 0.1.0', 'version: one'),
      'b/profile.yaml': profile('not-b'),
      'c/profile.yaml': profile('c'),
    }));
    expect(e.message).toMatch(/^2 adapters failed to load/);
    expect(e.detail?.failures).toEqual([
      expect.objectContaining({ code: 'BL_ERR_PROFILE_INVALID' }),
      expect.objectContaining({ code: 'BL_ERR_ADAPTER_INVALID' }),
    ]);
  });

  it('refuses a missing adapters folder', async () => {
    const e = await refusal(path.join(os.tmpdir(), 'bl-no-such-adapters-folder'));
    expect(e.code).toBe('BL_ERR_ADAPTER_INVALID');
  });
});
