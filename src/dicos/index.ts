/** DICOS-style threat reports from X-ray scanners: model, schema, check digits and the mapping to events. */
export * from './check-digits.js';
export * from './decode-report.js';
export * from './normalise-report.js';
export * from './poll-page.js';
export * from './report-events.js';
export * from './scanner-adapters.js';
export * from './scanner-memory.js';
export * from './threat-report-schema.js';
export * from './threat-report.js';
