/**
 * ANSI N42.42 documents (2012 and 2006) from portals, spectroscopic portals and handheld
 * radionuclide identifiers, by watched folder or HTTP POST. Stateless: every document is complete
 * in itself, so the reducer state is null. The mapping is in src/n42 (shared with
 * `borderlink inspect`); README.md here has the table.
 */
import { defineAdapter, ok, type DocumentFrame, type DocumentPlan } from '../../src/adapter/types.js';
import { decodeN42, DEFAULT_MAX_INLINE_CHANNELS, n42ToDrafts, N42_DEFAULT_MAX_BYTES, type N42Document } from '../../src/n42/index.js';

export interface N42DocumentOptions {
  /** longest spectrum carried inline in `spectrum` (default 1024); longer ones stay in the artifact */
  maxInlineChannels?: number;
}

const acquisition: DocumentPlan = {
  kind: 'document',
  mediaTypes: ['application/xml', 'text/xml', 'application/n42+xml'],
  extensions: ['.n42', '.xml'],
  maxBytes: N42_DEFAULT_MAX_BYTES,
  artifactMediaType: 'application/xml',
};

export default defineAdapter<DocumentFrame, N42Document, N42DocumentOptions | undefined, null>({
  id: 'n42-document',
  version: '1.0.0',
  // the envelope's class; a handheld identifier's own class is reported in raw.extensions.instrumentClass
  deviceClass: 'radiation-portal-monitor',
  transport: 'folder',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxInlineChannels: { type: 'integer', minimum: 0, maximum: 65536, default: DEFAULT_MAX_INLINE_CHANNELS },
    },
  },
  acquisition,
  initialState: () => null,
  decode(frame) {
    const doc = decodeN42(frame.data, { maxBytes: acquisition.maxBytes });
    return doc.ok ? ok([doc.value]) : doc;
  },
  normalise(doc, state, ctx) {
    const drafts = n42ToDrafts(
      doc,
      ctx.artifact === undefined ? { now: ctx.now } : { now: ctx.now, artifact: ctx.artifact },
      { maxInlineChannels: ctx.options?.maxInlineChannels ?? DEFAULT_MAX_INLINE_CHANNELS },
    );
    return drafts.ok ? ok({ drafts: drafts.value, state }) : drafts;
  },
});
