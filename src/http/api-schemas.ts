/**
 * Shared JSON Schemas of the REST API, registered once with `addSchema` and referenced by $id,
 * so the OpenAPI document lists them under components. The event is described loosely on purpose:
 * schemas/detection-event/v1 is its contract, and a loose schema keeps serialisation cheap.
 */

export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details carrying the gateway error code',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', pattern: '^BL_ERR_[A-Z0-9_]+$' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['in', 'message'],
        properties: {
          in: { type: 'string', enum: ['query', 'path', 'header', 'body'] },
          name: { type: 'string' },
          message: { type: 'string' },
        },
      },
    },
  },
} as const;

export const detectionEventSchema = {
  $id: 'DetectionEvent',
  type: 'object',
  description: 'DetectionEvent v1; see schemas/detection-event/v1/detection-event.schema.json',
  additionalProperties: true,
} as const;

export const deviceSchema = {
  $id: 'Device',
  type: 'object',
  required: ['id', 'lastSequence', 'counters'],
  properties: {
    id: { type: 'string' },
    deviceClass: { type: 'string' },
    siteId: { type: 'string' },
    lastSequence: { type: 'integer' },
    status: {
      type: 'object',
      required: ['state', 'since'],
      properties: {
        state: { type: 'string' },
        detail: { type: 'string' },
        since: { type: 'string' },
      },
    },
    lastEvent: { $ref: 'DetectionEvent#' },
    counters: {
      type: 'object',
      required: ['events', 'quarantined'],
      properties: { events: { type: 'integer' }, quarantined: { type: 'integer' } },
    },
  },
} as const;

export const quarantineItemSchema = {
  $id: 'QuarantineItem',
  type: 'object',
  required: ['id', 'deviceId', 'adapterId', 'adapterVersion', 'code', 'message', 'receivedAt', 'raw'],
  properties: {
    id: { type: 'integer' },
    deviceId: { type: 'string' },
    adapterId: { type: 'string' },
    adapterVersion: { type: 'string' },
    code: { type: 'string' },
    message: { type: 'string' },
    receivedAt: { type: 'string' },
    raw: { type: 'string', format: 'byte', description: 'the raw input, base64' },
    detail: { type: 'object', additionalProperties: true },
  },
} as const;

export const SHARED_SCHEMAS = [problemSchema, detectionEventSchema, deviceSchema, quarantineItemSchema] as const;

export const PROBLEM_REF = { $ref: 'Problem#' } as const;

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed; `errors` lists every problem',
  401: 'No valid credentials (x-api-key, or Authorization: Bearer with a key or token)',
  403: 'The credentials do not grant the permission this route needs',
  404: 'No such resource',
  500: 'The server failed; details are in its log',
};

export interface ProblemResponse {
  description: string;
  content: { 'application/problem+json': { schema: typeof PROBLEM_REF } };
}

/** Problem responses a route can give, for its `response` schema (documented as problem+json). */
export function problemResponses(...statuses: number[]): Record<number, ProblemResponse> {
  const out: Record<number, ProblemResponse> = {};
  for (const s of statuses) {
    out[s] = {
      description: PROBLEM_DESCRIPTIONS[s] ?? 'Problem details',
      content: { 'application/problem+json': { schema: PROBLEM_REF } },
    };
  }
  return out;
}

/** `cursor` and `limit`, shared by the paged lists. */
export const pageProperties = {
  cursor: { type: 'string', minLength: 1, maxLength: 1024, description: 'opaque cursor from nextCursor' },
  limit: { type: 'integer', minimum: 1, description: 'page size; larger values are capped at the server maximum' },
} as const;

export const nextCursorSchema = {
  type: 'string', nullable: true, description: 'cursor of the next page; null on the last page',
} as const;
