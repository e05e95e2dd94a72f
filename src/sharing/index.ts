/** Multi-agency sharing (issue 7, item 2): policy compilation, enforcement, topics, broker ACL. */
export * from './policy-types.js';
export * from './policy.js';
export * from './agency-topics.js';
export * from './mosquitto-acl.js';
export { eventFieldTable, shippedEventFieldTable, redactablePaths, requiredOn } from './schema-fields.js';
export type { EventFieldTable, FieldInfo } from './schema-fields.js';
