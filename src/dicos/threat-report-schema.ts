/**
 * JSON Schema (2020-12) of the threat report a scanner sends (ThreatReport in threat-report.ts),
 * and its compiled check. schemas/scanner/threat-report.schema.json is the same schema for
 * vendors; a unit test keeps the two equal.
 *
 * Deliberately strict where a mistake would change a verdict (decision words, probability
 * 0..1, times with a zone) and open where vendors differ (extensions, settings, native ids).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv';
import addFormatsPlugin from 'ajv-formats';
import type { ThreatReport } from './threat-report.js';

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => Ajv2020;

const text = { type: 'string', minLength: 1, maxLength: 256 } as const;
const time = { type: 'string', format: 'date-time', description: 'RFC 3339 with a time zone (Z or an offset)' } as const;
const coordinates = { type: 'array', minItems: 2, maxItems: 3, items: { type: 'number' } } as const;

export const THREAT_REPORT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://borderlink.example/schemas/scanner/threat-report.schema.json',
  title: 'Scanner threat report (DICOS-style TDR in JSON)',
  description: 'What an X-ray scanner sends the BorderLink gateway for one scan (MACHINE) or one operator verdict on a scan (OPERATOR). Code words are DICOS TDR terms.',
  type: 'object',
  additionalProperties: false,
  required: ['scanId', 'scanTime', 'alarmDecision'],
  properties: {
    scanId: { ...text, description: 'Object-of-inspection / scan id; links the machine result and operator decisions.' },
    tdrType: { enum: ['MACHINE', 'OPERATOR'], default: 'MACHINE' },
    scanTime: { ...time, description: 'When the scan began (device clock).' },
    scanEndTime: time,
    alarmDecision: { enum: ['ALARM', 'CLEAR', 'UNKNOWN'], description: 'DICOS Alarm Decision.' },
    alarmDecisionTime: { ...time, description: 'DICOS Alarm Decision Date Time.' },
    abortFlag: { enum: ['SUCCESS', 'ABORT'], default: 'SUCCESS', description: 'DICOS Abort Flag.' },
    abortReason: { type: 'string', maxLength: 1024, description: 'DICOS Abort Reason, kept verbatim.' },
    operatorId: text,
    device: {
      type: 'object',
      additionalProperties: false,
      properties: { manufacturer: text, model: text, serial: text, softwareVersion: text },
    },
    algorithm: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: text, version: { type: 'string', maxLength: 256 }, settings: { type: 'object' } },
    },
    conveyances: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id'],
        properties: {
          type: { enum: ['container', 'truck', 'trailer', 'car', 'bus', 'wagon', 'uld', 'parcel', 'bag', 'person'] },
          id: { type: 'string', minLength: 1, maxLength: 64 },
          scheme: { type: 'string', minLength: 1, maxLength: 32 },
          confidence: { type: 'number', minimum: 0, maximum: 1, description: 'OCR read confidence 0..1' },
        },
      },
    },
    documents: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type', 'id'],
        properties: {
          type: { enum: ['mrn', 'awb', 'bol', 'ucr'] },
          id: { type: 'string', minLength: 1, maxLength: 64 },
        },
      },
    },
    threatObjects: {
      type: 'array',
      maxItems: 256,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['id', 'category'],
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 64 },
          name: { type: 'string', maxLength: 256 },
          category: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,63}$', description: 'DICOS Threat Category (EXPLOSIVE, PI, CONTRABAND, ANOMALY, LAPTOP, OTHER, PHARMACEUTICAL, or a vendor term)' },
          assessment: { enum: ['HIGH_THREAT', 'THREAT', 'NO_THREAT', 'UNKNOWN'], description: 'DICOS ATD Assessment Flag' },
          probability: { type: 'number', minimum: 0, maximum: 1, description: 'DICOS ATD Assessment Probability' },
          image: { type: 'string', minLength: 1, maxLength: 256, description: 'id of the image (images[].id) the region lies on; default the first image' },
          frame: { enum: ['image', 'volume'] },
          base: coordinates,
          extent: coordinates,
          polygon: { type: 'array', maxItems: 4096, items: coordinates },
        },
      },
    },
    images: {
      type: 'array',
      maxItems: 64,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['mediaType'],
        properties: {
          id: { type: 'string', minLength: 1, maxLength: 256 },
          uri: { type: 'string', minLength: 1, maxLength: 2048 },
          sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
          mediaType: { type: 'string', pattern: '^[a-zA-Z0-9!#$&^_.+-]+/[a-zA-Z0-9!#$&^_.+-]+$' },
          bytes: { type: 'integer', minimum: 0 },
          kind: { enum: ['dx', 'ct', 'tdr', 'image'] },
        },
      },
    },
    nativeIds: { type: 'object', additionalProperties: { type: 'string', maxLength: 256 } },
    extensions: { type: 'object' },
  },
  allOf: [
    { if: { properties: { tdrType: { const: 'OPERATOR' } }, required: ['tdrType'] }, then: { required: ['operatorId'] } },
  ],
} as const;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, useDefaults: false });
    addFormats(ajv);
    compiled = ajv.compile(THREAT_REPORT_SCHEMA);
  }
  return compiled;
}

/** Checks parsed JSON against the schema: the report, or every violation as "path message". */
export function checkThreatReport(value: unknown): { ok: true; value: ThreatReport } | { ok: false; errors: string[] } {
  const validate = validator();
  if (validate(value)) return { ok: true, value: value as ThreatReport };
  const errors = (validate.errors ?? []).map((e) => {
    const extra = e.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty?: unknown }).additionalProperty)}"` : '';
    return `${e.instancePath === '' ? '(report)' : e.instancePath} ${e.message ?? e.keyword}${extra}`;
  });
  return { ok: false, errors };
}
