/**
 * ANSI N42.42 for the rest of the gateway: the hardened decoder, the document model and the
 * mapping to DetectionEvent drafts. The n42-document adapter, `borderlink inspect` and the ingest
 * paths use these rather than parsing XML themselves.
 */
export { decodeN42, N42_DEFAULT_MAX_BYTES, N42_DEFAULT_MAX_DEPTH, type N42DecodeOptions } from './decode.js';
export { n42ToDrafts, nuclideCode, type N42EventContext, type N42EventOptions } from './n42-events.js';
export { DEFAULT_MAX_INLINE_CHANNELS } from './spectrum-choice.js';
export { DEFAULT_MAX_CHANNELS, expandCountedZeroes } from './channel-data.js';
export { parseXmlDocument, type XmlElement, type XmlLimits } from './xml-tree.js';
export * from './document.js';
