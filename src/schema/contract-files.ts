import { resolve } from 'node:path';
import { packageRoot } from '../package-root.js';

/** Where the DetectionEvent v1 contract files live, relative to the package root. */
export const EVENT_SCHEMA_FILE = 'schemas/detection-event/v1/detection-event.schema.json';
export const EVENT_PROTO_FILE = 'schemas/detection-event/v1/detection_event.proto';

/** Absolute path of the v1 JSON Schema (served as-is by the REST API, compiled by the validator). */
export function eventSchemaPath(root: string = packageRoot()): string {
  return resolve(root, EVENT_SCHEMA_FILE);
}

/** Absolute path of the v1 .proto (loaded at runtime by the protobuf codec). */
export function eventProtoPath(root: string = packageRoot()): string {
  return resolve(root, EVENT_PROTO_FILE);
}
