/**
 * profile.yaml -> AdapterDefinition. The result is indistinguishable, to the runtime, from a
 * hand-written adapter: a read plan, a pure decode (blocks -> field values) and a reducer
 * normalise (field values + rule memory -> drafts + new memory).
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

function compileParts(profile: Profile): { problems: readonly ProfileProblem[]; parts: CompiledParts } {
  const problems = problemList();
  const fields = compileFields(profile.fields, problems);
  // A field that failed its own checks is 'unknown' to the rules, so it is not reported twice.
  const compiled = new Map(fields.map((f) => [f.name, fieldKind(f)] as const));
  const kinds = new Map<string, FieldKind | 'unknown'>(Object.keys(profile.fields).map((n) => [n, compiled.get(n) ?? 'unknown']));
  const rules = compileEmitRules(profile.emit, kinds, problems);
  const a = profile.acquisition;
  const plan: ModbusPollPlan = {
    kind: 'modbus-poll',
    pollIntervalMs: a.pollIntervalMs,
    timeoutMs: a.timeoutMs,
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
  return compileParts(profile).problems;
}

/**
 * Compiles a profile into an adapter. Checks it against the schema first (pass `shapeCheck` to
 * reuse a compiled schema across profiles), then semantically; throws BL_ERR_PROFILE_INVALID
 * listing every problem.
 */
export function compileProfile(profile: Profile, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): AnyAdapter {
  return compileProfileTyped(profile, shapeCheck);
}

/** compileProfile with the adapter's concrete types, for tests and tools. */
export function compileProfileTyped(profile: Profile, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): ProfileAdapter {
  const source = typeof profile === 'object' && profile !== null && typeof profile.id === 'string' ? `"${profile.id}"` : '(unnamed)';
  const shape = shapeCheck(profile);
  if (shape.length > 0) throw profileInvalid(source, shape);
  const { problems, parts } = compileParts(profile);
  if (problems.length > 0) throw profileInvalid(source, problems);
  const { fields, rules, plan } = parts;
  return defineAdapter<ModbusFrame, ProfileRecord, unknown, ProfileState>({
    id: profile.id,
    version: profile.version,
    deviceClass: profile.deviceClass,
    technique: profile.technique,
    vendor: profile.vendor,
    model: profile.model,
    transport: profile.transport,
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
