/**
 * The n42-document adapter as the runtime sees it: loaded by the registry, its document plan,
 * decode + normalise over document frames, its options, and robustness on arbitrary bytes. Also
 * checks that the golden documents are the fixtures of test/fixtures/n42 (no drift between copies).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../../src/adapter/registry.js';
import type { AnyAdapter, CodecContext, DocumentFrame, EventDraft } from '../../../src/adapter/types.js';
import { decodeN42 } from '../../../src/n42/decode.js';
import { packageRoot } from '../../../src/package-root.js';

const ROOT = packageRoot();
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'n42');
const CASES = path.join(ROOT, 'adapters', 'n42-document', 'testcases');

const frame = (data: Buffer, transport: DocumentFrame['transport'] = 'folder'): DocumentFrame => ({ transport, receivedAt: Date.UTC(2026, 10, 23, 12), name: 'doc.n42', data });
const ctx = (options: unknown = {}): CodecContext<unknown> => ({ device: { id: 'd', siteId: 'XXTST' }, options, now: Date.UTC(2026, 10, 23, 12) });

function run(adapter: AnyAdapter, data: Buffer, options?: unknown): { drafts?: EventDraft[]; code?: string } {
  const c = ctx(options);
  const decoded = adapter.decode(frame(data), c);
  if (!decoded.ok) return { code: decoded.error.code };
  const drafts: EventDraft[] = [];
  for (const record of decoded.value) {
    const n = adapter.normalise(record, adapter.initialState(), c);
    if (!n.ok) return { code: n.error.code };
    expect(n.value.state).toBeNull();
    drafts.push(...n.value.drafts);
  }
  return { drafts };
}

describe('n42-document adapter', () => {
  let adapter: AnyAdapter;
  beforeAll(async () => {
    const all = await loadAdapters(path.join(ROOT, 'adapters'));
    adapter = all.get('n42-document') as AnyAdapter;
  });

  it('loads from adapters/ with a document plan', () => {
    expect(adapter).toBeDefined();
    expect(adapter.transport).toBe('folder');
    expect(adapter.deviceClass).toBe('radiation-portal-monitor');
    expect(adapter.acquisition).toEqual({
      kind: 'document', mediaTypes: ['application/xml', 'text/xml', 'application/n42+xml'], extensions: ['.n42', '.xml'],
      maxBytes: 20 * 1024 * 1024, artifactMediaType: 'application/xml',
    });
    expect(adapter.initialState()).toBeNull();
  });

  it('decodes and normalises a document from either transport', () => {
    const data = readFileSync(path.join(FIXTURES, 'portal-2012-dual-alarm.n42'));
    for (const transport of ['folder', 'http-push'] as const) {
      const decoded = adapter.decode(frame(data, transport), ctx());
      expect(decoded.ok).toBe(true);
    }
    expect(run(adapter, data).drafts?.map((d) => d.eventType)).toEqual(['result']);
  });

  it('honours maxInlineChannels', () => {
    const data = readFileSync(path.join(FIXTURES, 'handheld-2012-nuclide-id.n42'));
    expect(run(adapter, data).drafts?.[0]?.spectrum?.npoints).toBe(1024);
    expect(run(adapter, data, { maxInlineChannels: 100 }).drafts?.[0]?.spectrum).toBeUndefined();
  });

  it('fails with a code, never throws, on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
      const r = run(adapter, Buffer.from(bytes));
      expect(r.drafts !== undefined || r.code?.startsWith('BL_ERR_N42_')).toBe(true);
    }), { numRuns: 300 });
  });

  it('fails with a code, never throws, on any truncation or byte flip of a real document', () => {
    const data = readFileSync(path.join(FIXTURES, 'portal-2006-alarm.n42'));
    fc.assert(fc.property(fc.nat({ max: data.length - 1 }), fc.integer({ min: 0, max: 255 }), fc.boolean(), (at, byte, truncate) => {
      const mutated = truncate ? data.subarray(0, at) : Buffer.from(data).fill(byte, at, at + 1);
      const r = run(adapter, mutated);
      expect(r.drafts !== undefined || r.code?.startsWith('BL_ERR_N42_')).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('golden documents', () => {
  const documents = readdirSync(CASES).flatMap((c) => readdirSync(path.join(CASES, c)).filter((f) => f !== 'input.json' && !f.startsWith('expected')).map((f) => [c, f] as const));

  it('exist', () => {
    expect(documents.length).toBeGreaterThan(0);
  });

  it.each(documents)('%s/%s is the fixture of the same name', (c, f) => {
    expect(readFileSync(path.join(CASES, c, f)).equals(readFileSync(path.join(FIXTURES, f)))).toBe(true);
  });

  it('the fixtures decode the way their README says (valid ones decode, hostile ones do not)', () => {
    const codes = Object.fromEntries(readdirSync(FIXTURES).filter((f) => !f.endsWith('.md')).map((f) => {
      const r = decodeN42(readFileSync(path.join(FIXTURES, f)));
      return [f, r.ok ? 'ok' : r.error.code];
    }));
    expect(codes).toEqual({
      'background-only-2012.n42': 'ok',
      'doctype-billion-laughs.n42': 'BL_ERR_N42_DOCTYPE_REFUSED',
      'doctype-external-entity.n42': 'BL_ERR_N42_DOCTYPE_REFUSED',
      'handheld-2012-nuclide-id.n42': 'ok',
      'not-n42.xml': 'BL_ERR_N42_NOT_N42',
      'not-xml.n42': 'BL_ERR_N42_NOT_XML',
      'portal-2006-alarm.n42': 'ok',
      'portal-2012-dual-alarm.n42': 'ok',
      'spectroscopic-portal-2012.n42': 'ok',
    });
  });
});
