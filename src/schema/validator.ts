/**
 * Validation of events against the DetectionEvent v1 JSON Schema (the contract's source of
 * truth). The schema is compiled once per validator; validate() is then cheap enough to run on
 * every event the pipeline persists.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import { BorderlinkError } from '../errors.js';
import { eventSchemaPath } from './contract-files.js';

export type EventValidation = { ok: true } | { ok: false; errors: string[] };

export interface EventValidator {
  /** Every violation as "instancePath message", e.g. "/outcome must have required property 'state'". */
  validate(e: unknown): EventValidation;
}

/** The parsed v1 JSON Schema, read from the package's schemas/ folder. */
export function loadEventSchema(path: string = eventSchemaPath()): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_SCHEMA_LOAD', `cannot read detection-event schema ${path}`, { cause });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BorderlinkError('BL_ERR_SCHEMA_LOAD', `detection-event schema ${path} is not a JSON object`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * Compiles the v1 schema (JSON Schema 2020-12, with formats) into a validator.
 * @param schema defaults to the schema shipped in schemas/detection-event/v1/
 */
export function createEventValidator(schema: Record<string, unknown> = loadEventSchema()): EventValidator {
  // strictRequired off: the conditional branches (allOf/if/then) require properties declared at the root
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  // ajv-formats is CommonJS: under NodeNext the default import is module.exports, whose .default is the plugin
  addFormatsPlugin.default(ajv);
  const compiled = compile(ajv, schema);
  return {
    validate(e: unknown): EventValidation {
      if (compiled(e)) return { ok: true };
      const errors = (compiled.errors ?? []).filter((err) => err.keyword !== 'if').map(describeError);
      return { ok: false, errors: errors.length > 0 ? errors : ['/ does not match the detection-event schema'] };
    },
  };
}

function compile(ajv: Ajv2020, schema: Record<string, unknown>): ValidateFunction {
  try {
    return ajv.compile(schema);
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_SCHEMA_LOAD', 'cannot compile the detection-event schema', { cause });
  }
}

/** "instancePath message", with the offending property or the allowed values where ajv omits them. */
function describeError(err: ErrorObject): string {
  const where = err.instancePath === '' ? '/' : err.instancePath;
  const message = err.message ?? `fails ${err.keyword}`;
  const params: Record<string, unknown> = err.params;
  if (err.keyword === 'additionalProperties' && typeof params['additionalProperty'] === 'string') {
    return `${where} ${message}: '${params['additionalProperty']}'`;
  }
  const allowed = params['allowedValues'];
  if (err.keyword === 'enum' && Array.isArray(allowed)) {
    return `${where} ${message}: ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${where} ${message}`;
}
