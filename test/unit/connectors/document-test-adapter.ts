/**
 * A minimal document adapter for tests of the document ways in (folder, HTTP) over the real
 * pipeline and outbox: `<doc id="..."/>` becomes one result event referencing the stored
 * artifact; anything not starting with `<doc` is quarantined as BL_ERR_N42_NOT_XML.
 */
import { defineAdapter, fail, ok, type AnyAdapter, type DocumentFrame, type DocumentPlan } from '../../../src/adapter/types.js';
import { isoTime } from '../../../src/clock.js';

export const documentTestPlan: DocumentPlan = {
  kind: 'document',
  mediaTypes: ['application/xml', 'text/xml'],
  extensions: ['.xml'],
  maxBytes: 64 * 1024,
  artifactMediaType: 'application/xml',
};

export const documentTestAdapter = defineAdapter<DocumentFrame, { id: string }, unknown, null>({
  id: 'test-document',
  version: '1.0.0',
  deviceClass: 'spectrometer',
  transport: 'folder',
  optionsSchema: {},
  acquisition: documentTestPlan,
  initialState: () => null,
  decode(frame) {
    const text = frame.data.toString('utf8');
    const m = /^<doc id="([^"]*)"/.exec(text);
    if (m === null) return fail({ code: 'BL_ERR_N42_NOT_XML', message: 'not a <doc> document' });
    return ok([{ id: m[1] ?? '' }]);
  },
  normalise(record, state, ctx) {
    return ok({
      state,
      drafts: [{
        eventType: 'result',
        observedAt: isoTime(ctx.now),
        quality: 'good',
        outcome: { state: 'clear' },
        raw: { nativeIds: { doc: record.id } },
        ...(ctx.artifact
          ? { artifacts: [{ kind: 'n42' as const, mediaType: ctx.artifact.mediaType, uri: ctx.artifact.uri, sha256: ctx.artifact.sha256, bytes: ctx.artifact.bytes }] }
          : {}),
      }],
    });
  },
}) as unknown as AnyAdapter;
