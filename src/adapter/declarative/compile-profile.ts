/**
 * profile.yaml -> AdapterDefinition. The result is indistinguishable, to the runtime, from a
 * hand-written adapter: a read plan, a pure decode (blocks -> field values) and a reducer
 * normalise (field values + rule memory -> drafts + new memory). Profiles whose transport is
 * http-poll or http-push read JSON bodies instead of registers (json-profile.ts), and opcua ones
 * OPC UA nodes and events (opcua-profile.ts); the emit rules are the same.
 */
import type { JsonValue } from '../../schema/detection-event.js';
import {
  defineAdapter, ok, type AnyAdapter, type AdapterDefinition, type ModbusFrame, type ModbusPollPlan,
} from '../types.js';
import { compileFields, fieldKind, fieldSpan, type DecodeField, type FieldKind } from './compile-fields.js';
import { compileEmitRules } from './emit-compile.js';
import type { CompiledRule } from './emit-program.js';
import { initialProfileState, readProfileState, runEmitRules, type ProfileState } from './emit-rules.js';
import { problemList, profileInvalid } from './profile-problems.js';
import { createProfileShapeCheck, type ProfileShapeCheck } from './profile-shape.js';
import type { FieldValues, Profile, ProfileProblem } from './profile-types.js';
import { planReads } from './read-plan.js';
import { buildJsonProfileAdapter, compileJsonParts, type JsonProfileAdapter } from './json-profile.js';
import { buildOpcUaProfileAdapter, compileOpcUaParts, type OpcUaProfileAdapter } from './opcua-profile.js';
import { pointer, type ProblemList } from './profile-problems.js';
import { JSON_TRANSPORTS, OPCUA_ACQUISITION_KEYS, profileIdentity, type ModbusFieldSpec } from './profile-types.js';
import { decodeFields } from './register-decode.js';

/** What decode hands to normalise: one poll's values, by field name. */
export interface ProfileRecord {
  values: FieldValues;
}

/** The typed form of a compiled profile (AnyAdapter is its erased form). */
export type ProfileAdapter = AdapterDefinition<ModbusFrame, ProfileRecord, unknown, ProfileState>;

/** Options a profile accepts when it declares no optionsSchema: none. */
const NO_OPTIONS: { [key: string]: JsonValue } = { type: 'object', properties: {}, additionalProperties: false };

interface CompiledParts {
  fields: DecodeField[];
  rules: CompiledRule[];
  plan: ModbusPollPlan;
}

const isJsonProfile = (profile: Profile): boolean => JSON_TRANSPORTS.includes(profile.transport);

/** The Modbus fields of a Modbus profile; a JSON field (path) or a json section is refused. */
function modbusFields(profile: Profile, problems: ProblemList): { [name: string]: ModbusFieldSpec } {
  if (profile.json !== undefined) problems.add(pointer('json'), `is for http-poll and http-push profiles, not ${profile.transport}`);
  if (profile.opcua !== undefined) problems.add(pointer('opcua'), `is for OPC UA profiles, not ${profile.transport}`);
  for (const k of OPCUA_ACQUISITION_KEYS) {
    if (profile.acquisition[k] !== undefined) problems.add(pointer('acquisition', k), `is for OPC UA profiles, not ${profile.transport}`);
  }
  for (const k of ['limit', 'maxBytes'] as const) {
    if (profile.acquisition[k] !== undefined) problems.add(pointer('acquisition', k), `is for http-poll and http-push profiles, not ${profile.transport}`);
  }
  const out: { [name: string]: ModbusFieldSpec } = {};
  for (const [name, spec] of Object.entries(profile.fields)) {
    if ('nodeId' in spec || 'browsePath' in spec || 'event' in spec) problems.add(pointer('fields', name), `is an OPC UA field (nodeId, browsePath, event): a ${profile.transport} profile reads Modbus fields (table, address)`);
    else if ('path' in spec) problems.add(pointer('fields', name), `is a JSON field (path): a ${profile.transport} profile reads Modbus fields (table, address)`);
    else out[name] = spec as ModbusFieldSpec;
  }
  return out;
}

function compileParts(profile: Profile): { problems: readonly ProfileProblem[]; parts: CompiledParts } {
  const problems = problemList();
  const fields = compileFields(modbusFields(profile, problems), problems);
  // A field that failed its own checks is 'unknown' to the rules, so it is not reported twice.
  const compiled = new Map(fields.map((f) => [f.name, fieldKind(f)] as const));
  const kinds = new Map<string, FieldKind | 'unknown'>(Object.keys(profile.fields).map((n) => [n, compiled.get(n) ?? 'unknown']));
  const rules = compileEmitRules(profile.emit, kinds, problems);
  const a = profile.acquisition;
  const plan: ModbusPollPlan = {
    kind: 'modbus-poll',
    // the schema requires both for Modbus profiles; the fallbacks only satisfy the optional type
    pollIntervalMs: a.pollIntervalMs ?? 1000,
    timeoutMs: a.timeoutMs ?? 1000,
    reads: planReads(fields.map(fieldSpan), {
      ...(a.gapTolerance?.registers === undefined ? {} : { gapRegisters: a.gapTolerance.registers }),
      ...(a.gapTolerance?.bits === undefined ? {} : { gapBits: a.gapTolerance.bits }),
      ...(a.maxPerRead?.registers === undefined ? {} : { maxRegisters: a.maxPerRead.registers }),
      ...(a.maxPerRead?.bits === undefined ? {} : { maxBits: a.maxPerRead.bits }),
    }),
  };
  return { problems: problems.items, parts: { fields, rules, plan } };
}

/**
 * Everything wrong with a profile that has passed the schema: keys that do not fit together,
 * references to missing fields or fields of the wrong kind, duplicate rule ids. Empty when fine.
 */
export function profileProblems(profile: Profile): readonly ProfileProblem[] {
  if (profile.transport === 'opcua') {
    const problems = problemList();
    compileOpcUaParts(profile, problems);
    return problems.items;
  }
  if (isJsonProfile(profile)) {
    const problems = problemList();
    compileJsonParts(profile, problems);
    return problems.items;
  }
  return compileParts(profile).problems;
}

/**
 * Compiles a profile into an adapter. Checks it against the schema first (pass `shapeCheck` to
 * reuse a compiled schema across profiles), then semantically; throws BL_ERR_PROFILE_INVALID
 * listing every problem.
 */
export function compileProfile(profile: Profile, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): AnyAdapter {
  if (typeof profile === 'object' && profile !== null && isJsonProfile(profile)) return compileJsonProfileTyped(profile, shapeCheck) as unknown as AnyAdapter;
  if (typeof profile === 'object' && profile !== null && profile.transport === 'opcua') return compileOpcUaProfileTyped(profile, shapeCheck) as unknown as AnyAdapter;
  return compileProfileTyped(profile, shapeCheck);
}

/** A JSON profile (http-poll, http-push) with the adapter's concrete types, for tests and tools. */
export function compileJsonProfileTyped(profile: Profile, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): JsonProfileAdapter {
  const source = typeof profile === 'object' && profile !== null && typeof profile.id === 'string' ? `"${profile.id}"` : '(unnamed)';
  const shape = shapeCheck(profile);
  if (shape.length > 0) throw profileInvalid(source, shape);
  const problems = problemList();
  const parts = compileJsonParts(profile, problems);
  if (problems.items.length > 0) throw profileInvalid(source, problems.items);
  return buildJsonProfileAdapter(profile, parts, profile.optionsSchema ?? NO_OPTIONS);
}

/** An OPC UA profile with the adapter's concrete types, for tests and tools. */
export function compileOpcUaProfileTyped(profile: Profile, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): OpcUaProfileAdapter {
  const source = typeof profile === 'object' && profile !== null && typeof profile.id === 'string' ? `"${profile.id}"` : '(unnamed)';
  const shape = shapeCheck(profile);
  if (shape.length > 0) throw profileInvalid(source, shape);
  const problems = problemList();
  const parts = compileOpcUaParts(profile, problems);
  if (problems.items.length > 0) throw profileInvalid(source, problems.items);
  return buildOpcUaProfileAdapter(profile, parts, profile.optionsSchema ?? NO_OPTIONS);
}

/** compileProfile with the adapter's concrete types, for tests and tools. */
export function compileProfileTyped(profile: Profile, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): ProfileAdapter {
  const source = typeof profile === 'object' && profile !== null && typeof profile.id === 'string' ? `"${profile.id}"` : '(unnamed)';
  const shape = shapeCheck(profile);
  if (shape.length > 0) throw profileInvalid(source, shape);
  if (isJsonProfile(profile)) throw profileInvalid(source, [{ path: '/transport', message: `${profile.transport} is a JSON profile: compile it with compileJsonProfileTyped` }]);
  if (profile.transport === 'opcua') throw profileInvalid(source, [{ path: '/transport', message: 'opcua is an OPC UA profile: compile it with compileOpcUaProfileTyped' }]);
  const { problems, parts } = compileParts(profile);
  if (problems.length > 0) throw profileInvalid(source, problems);
  const { fields, rules, plan } = parts;
  return defineAdapter<ModbusFrame, ProfileRecord, unknown, ProfileState>({
    ...profileIdentity(profile),
    transport: profile.transport as ModbusFrame['transport'],
    optionsSchema: profile.optionsSchema ?? NO_OPTIONS,
    acquisition: plan,
    initialState: initialProfileState,
    decode(frame) {
      const values = decodeFields(frame.blocks, fields);
      return values.ok ? ok([{ values: values.value }]) : values;
    },
    normalise(record, state, ctx) {
      return runEmitRules(rules, record.values, readProfileState(state), ctx.now);
    },
  });
}
