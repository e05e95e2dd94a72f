/**
 * Shape validation of a profile against schemas/profile/profile.schema.json, every problem at
 * once, each at its JSON Pointer. ajv's raw output is made readable: `if` noise is dropped and a
 * oneOf over `required` (the trigger kinds) becomes one "needs exactly one of" line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import { BorderlinkError } from '../../errors.js';
import { packageRoot } from '../../package-root.js';
import type { ProfileProblem } from './profile-types.js';

export const PROFILE_SCHEMA_FILE = 'schemas/profile/profile.schema.json';

/** Checks an unknown value (parsed YAML) and lists what is wrong with it; empty when valid. */
export type ProfileShapeCheck = (value: unknown) => ProfileProblem[];

/** The parsed profile schema shipped in schemas/profile/. */
export function loadProfileSchema(file: string = path.join(packageRoot(), PROFILE_SCHEMA_FILE)): object {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as object;
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_PROFILE_INVALID', `cannot read the profile schema ${file}`, { cause });
  }
}

/** Compiles the schema once; the returned check is reusable across profiles. */
export function createProfileShapeCheck(schema: object = loadProfileSchema()): ProfileShapeCheck {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true, verbose: true });
  const validate = ajv.compile(schema);
  // As lenient as the config loader that will use it (unknown keywords and formats allowed).
  const optionsAjv = new Ajv2020({ allErrors: true, strict: false });
  return (value: unknown): ProfileProblem[] => {
    if (validate(value)) return checkOptionsSchema(optionsAjv, value);
    return readable(validate.errors ?? []);
  };
}

/** optionsSchema must itself be a valid JSON Schema (2020-12 meta-schema) that ajv can compile. */
function checkOptionsSchema(ajv: Ajv2020, value: unknown): ProfileProblem[] {
  if (typeof value !== 'object' || value === null || !('optionsSchema' in value)) return [];
  const options: unknown = value.optionsSchema;
  if (options === undefined) return [];
  const valid = ajv.validateSchema(options as object);
  if (valid === true) {
    try {
      ajv.compile(options as object);
      ajv.removeSchema(options as object); // the check is reused: forget it, $id and all
      return [];
    } catch (e) {
      return [{ path: '/optionsSchema', message: `is not a usable JSON Schema: ${e instanceof Error ? e.message : String(e)}` }];
    }
  }
  return (ajv.errors ?? []).map((e) => ({ path: `/optionsSchema${e.instancePath}`, message: `is not a valid JSON Schema: ${e.message ?? e.keyword}` }));
}

function readable(errors: readonly ErrorObject[]): ProfileProblem[] {
  const oneOfs = errors.filter((e) => e.keyword === 'oneOf');
  const swallowed = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, string>();
  for (const o of oneOfs) {
    const branches = Array.isArray(o.schema) ? (o.schema as unknown[]) : [];
    const keys = branches.flatMap((b) => requiredOf(b));
    if (keys.length !== branches.length) continue; // not a "which key" oneOf: leave ajv's words
    for (const e of errors) {
      if (e !== o && e.instancePath === o.instancePath && e.schemaPath.startsWith(`${o.schemaPath}/`)) swallowed.add(e);
    }
    replaced.set(o, `needs exactly one of: ${keys.join(', ')}`);
  }
  const out: ProfileProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    // propertyNames reports the inner failure too (with propertyName set): keep only the outer one
    const inner = e.keyword !== 'propertyNames' && (e as { propertyName?: string }).propertyName !== undefined;
    if (e.keyword === 'if' || inner || swallowed.has(e)) continue;
    const p = describe(e, replaced.get(e));
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(p);
  }
  return out;
}

function requiredOf(branch: unknown): string[] {
  if (typeof branch !== 'object' || branch === null || !('required' in branch)) return [];
  const req: unknown = branch.required;
  return Array.isArray(req) && req.length === 1 && typeof req[0] === 'string' ? [req[0]] : [];
}

function describe(e: ErrorObject, override: string | undefined): ProfileProblem {
  if (override !== undefined) return { path: e.instancePath, message: override };
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return { path: e.instancePath, message: `must have required property '${String(params.missingProperty)}'` };
    case 'additionalProperties':
      return { path: `${e.instancePath}/${escapePointer(String(params.additionalProperty))}`, message: 'is not a known key here' };
    case 'enum':
      return { path: e.instancePath, message: `must be one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'propertyNames':
      return { path: `${e.instancePath}/${escapePointer(String(params.propertyName))}`, message: 'is not a valid name (a letter or _, then letters, digits or _)' };
    case 'pattern':
      if (String(params.pattern).startsWith('^\\$\\{')) {
        return { path: e.instancePath, message: 'must be a constant or exactly one "${field}" reference' };
      }
      return { path: e.instancePath, message: `must match pattern ${String(params.pattern)}` };
    case 'not': {
      const banned: unknown = typeof e.schema === 'object' && e.schema !== null && 'const' in e.schema ? e.schema.const : undefined;
      return { path: e.instancePath, message: banned === undefined ? 'has a value that is not allowed here' : `must not be ${JSON.stringify(banned)}` };
    }
    default:
      return { path: e.instancePath, message: e.message ?? e.keyword };
  }
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}
