import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadProfile, parseProfile } from '../../../../src/adapter/declarative/load-profile.js';
import { createProfileShapeCheck } from '../../../../src/adapter/declarative/profile-shape.js';
import { BorderlinkError } from '../../../../src/errors.js';
import { packageRoot } from '../../../../src/package-root.js';

const shapeCheck = createProfileShapeCheck();
const dir = mkdtempSync(path.join(os.tmpdir(), 'bl-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(text: string): BorderlinkError {
  try {
    parseProfile(text, 'test.yaml', shapeCheck);
  } catch (e) {
    if (e instanceof BorderlinkError) return e;
    throw e;
  }
  throw new Error('profile should have been refused');
}

const problems = (e: BorderlinkError): { path: string; line?: number; message: string }[] =>
  (e.detail?.problems as { path: string; line?: number; message: string }[] | undefined) ?? [];

const HEADER = `id: t
version: 1.0.0
deviceClass: radiation-portal-monitor
technique: gamma-neutron
vendor: X
model: Y
transport: modbus-tcp
acquisition: { pollIntervalMs: 1000, timeoutMs: 500 }
`;

describe('loadProfile', () => {
  it('loads and checks the rpm-modbus-generic profile', async () => {
    const p = await loadProfile(path.join(packageRoot(), 'adapters', 'rpm-modbus-generic', 'profile.yaml'), shapeCheck);
    expect(p.id).toBe('rpm-modbus-generic');
    expect(p.emit.map((r) => r.id)).toContain('occupancy');
  });

  it('reports every schema problem at once, each with its path and line', () => {
    const e = errorOf(`id: Bad_Id
deviceClass: portal
technique: gamma-neutron
vendor: X
model: Y
transport: modbus-tcp
acquisition: { pollIntervalMs: 1000, timeoutMs: 500, colour: red }
fields:
  ok: { table: input, address: 0, type: uint16 }
  bad-name: { table: input, address: 1, type: uint16 }
  wrong: { table: registers, address: -1, type: int8, scale: 0 }
emit:
  - id: a
    eventType: result
    when: { changed: ok, every: 10 }
  - id: b
    eventType: measurement
    when: { }
    measurements:
      - { detectorId: G1, category: gamma, countRateCps: "rate \${ok}" }
`);
    expect(e.code).toBe('BL_ERR_PROFILE_INVALID');
    expect(e.kind).toBe('config');
    expect(problems(e)).toEqual([
      { path: '', line: 1, message: "must have required property 'version'" },
      { path: '/id', line: 1, message: 'must match pattern ^[a-z0-9][a-z0-9._-]{0,63}$' },
      { path: '/deviceClass', line: 2, message: 'must be one of: "radiation-portal-monitor", "spectrometer", "xray-scanner"' },
      { path: '/acquisition/colour', line: 7, message: 'is not a known key here' },
      { path: '/fields/bad-name', line: 10, message: 'is not a valid name (a letter or _, then letters, digits or _)' },
      { path: '/fields/wrong/table', line: 11, message: 'must be one of: "holding", "input", "coil", "discrete"' },
      { path: '/fields/wrong/address', line: 11, message: 'must be >= 0' },
      { path: '/fields/wrong/type', line: 11, message: 'must be one of: "int16", "uint16", "int32", "uint32", "float32", "bool"' },
      { path: '/fields/wrong/scale', line: 11, message: 'must not be 0' },
      { path: '/emit/0', line: 13, message: "must have required property 'outcome'" },
      { path: '/emit/0/when', line: 15, message: 'needs exactly one of: changed, increased, rising, falling, every, always' },
      { path: '/emit/1/when', line: 18, message: 'needs exactly one of: changed, increased, rising, falling, every, always' },
      { path: '/emit/1/measurements/0/countRateCps', line: 20, message: 'must be a constant or exactly one "${field}" reference' },
    ]);
    // the message a person reads: one line per problem, readable paths
    expect(e.message).toContain('is invalid (13 problems)');
    expect(e.message).toContain('  - emit[1].measurements[0].countRateCps (line 20): must be a constant or exactly one "${field}" reference');
  });

  it('reports every semantic problem at once: kinds, references, keys that do not fit together', () => {
    const e = errorOf(`${HEADER}fields:
  n: { table: input, address: 0, type: uint16, wordOrder: little }
  f: { table: input, address: 1, bit: 3, scale: 2 }
  c: { table: coil, address: 0, type: uint16 }
  r: { table: holding, address: 0, type: int16, format: major.minor, range: [10, 1] }
  u: { table: holding, address: 1 }
  ok: { table: input, address: 2, type: uint16 }
  flag: { table: input, address: 3, bit: 0 }
  top: { table: input, address: 65535, type: float32 }
emit:
  - id: a
    eventType: measurement
    when: { rising: ok }
    outcome: { alarms: [{ flag: flag, category: gamma }] }
    measurements:
      - { detectorId: "G\${missing}", category: gamma, countRateCps: "\${flag}", occupied: "\${ok}" }
  - id: a
    eventType: fault
    when: { changed: ok, baseline: true }
    fault: { code: "x\${" }
  - id: c
    eventType: result
    when: { every: 5, baseline: 3, while: ok }
    timing: { endEpochSeconds: flag }
    outcome: { alarms: [{ flag: ok, category: gamma }, { flag: u, category: gamma }] }
`);
    expect(problems(e).map((p) => `${p.path}: ${p.message}`)).toEqual([
      '/fields/n/wordOrder: is only for 32-bit types, not uint16',
      '/fields/f/scale: is not allowed with bit (its value is a bool)',
      '/fields/c/type: must be bool (or left out) for a coil',
      '/fields/r/range: min 10 is above max 1',
      '/fields/r/format: major.minor reads the two bytes of a uint16, not of int16',
      '/fields/u: needs a type (int16, uint16, int32, uint32, float32) or a bit for a holding register',
      '/fields/top/address: a float32 needs two registers: 65535 is the last address',
      '/emit/0/outcome: is not part of a measurement event (allowed: subject, measurements)',
      '/emit/0/when/rising: field "ok" is a number, needs a bool',
      '/emit/0/measurements/0/detectorId: names no field: "missing"',
      '/emit/0/measurements/0/countRateCps: field "flag" is a bool, needs a number',
      '/emit/0/measurements/0/occupied: field "ok" is a number, needs a bool',
      '/emit/1/id: "a" is already the id of emit[0]',
      '/emit/1/when/baseline: is a bool but field "ok" is a number',
      "/emit/1/fault: must have 'active' unless the trigger is rising or falling (e.g. active: \"${flag}\" with changed: flag)",
      '/emit/1/fault/code: unterminated "${" at character 2',
      '/emit/2/when/while: field "ok" is a number, needs a bool',
      '/emit/2/when/baseline: is only for changed, increased, rising and falling',
      '/emit/2/outcome/alarms/0/flag: field "ok" is a number, needs a bool',
      '/emit/2/timing/endEpochSeconds: field "flag" is a bool, needs a number',
    ]);
    // a field that failed its own checks (u) is not reported again where a rule uses it
    expect(problems(e).some((p) => p.path === '/emit/2/outcome/alarms/1/flag')).toBe(false);
    expect(problems(e).every((p) => typeof p.line === 'number')).toBe(true);
  });

  it('reports YAML syntax errors with their lines', () => {
    const e = errorOf(`${HEADER}fields:\n  a: { table: input, address: 0\nemit: [\n`);
    expect(e.code).toBe('BL_ERR_PROFILE_INVALID');
    expect(e.message).toMatch(/YAML line \d+/);
  });

  it('refuses duplicate keys', () => {
    const e = errorOf(`${HEADER}${HEADER}fields: {}\nemit: []\n`);
    expect(e.message).toMatch(/YAML line \d+: Map keys must be unique/);
  });

  it('checks optionsSchema is a JSON Schema', () => {
    const e = errorOf(`${HEADER}optionsSchema: { type: object, properties: { lane: { type: lane-number } } }
fields: { a: { table: coil, address: 0 } }
emit: [{ id: s, eventType: status, when: { rising: a }, status: { state: maintenance } }]
`);
    expect(problems(e)[0]?.path).toMatch(/^\/optionsSchema/);
  });

  it('accepts YAML anchors, aliases and merge keys', () => {
    const p = parseProfile(`${HEADER}fields: { a: { table: coil, address: 0 }, b: { table: coil, address: 1 } }
emit:
  - &base { id: s1, eventType: fault, when: { rising: a }, fault: { code: x } }
  - { <<: *base, id: s2, when: { rising: b } }
`, 'anchors.yaml', shapeCheck);
    expect(p.emit.map((r) => [r.id, r.when.rising, r.fault?.code])).toEqual([['s1', 'a', 'x'], ['s2', 'b', 'x']]);
  });

  it('reports an unreadable file as an invalid profile', async () => {
    await expect(loadProfile(path.join(dir, 'nope.yaml'), shapeCheck)).rejects.toMatchObject({ code: 'BL_ERR_PROFILE_INVALID' });
    const file = path.join(dir, 'empty.yaml');
    writeFileSync(file, '');
    await expect(loadProfile(file, shapeCheck)).rejects.toMatchObject({ code: 'BL_ERR_PROFILE_INVALID' });
  });
});
