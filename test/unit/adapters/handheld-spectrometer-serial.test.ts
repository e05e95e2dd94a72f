import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import adapter from '../../../adapters/handheld-spectrometer-serial/adapter.js';
import { crc16, decodeFrame, encodeFrame } from '../../../adapters/handheld-spectrometer-serial/hsx-frame.js';
import { encodeMessage, parseMessage, type HsxResult } from '../../../adapters/handheld-spectrometer-serial/hsx-message.js';
import { initialHsxState } from '../../../adapters/handheld-spectrometer-serial/normalise-hsx.js';
import type { CodecContext, StreamFrame } from '../../../src/adapter/types.js';
import { createFramer } from '../../../src/connectors/stream-framer.js';
import { ERROR_CODES } from '../../../src/errors.js';
import { writeJcamp } from '../../../src/jcamp/index.js';

const ctx: CodecContext<Record<string, never>> = { device: { id: 'h', siteId: 'S' }, options: {}, now: Date.parse('2026-12-04T10:00:00Z') };
const frameOf = (data: Buffer): StreamFrame => ({ transport: 'serial', receivedAt: ctx.now, data });
const jcamp = Buffer.from(writeJcamp({ title: 't', dataType: 'INFRARED SPECTRUM', xUnits: '1/CM', yUnits: 'ABSORBANCE', x0: 600, x1: 3800, y: Array.from({ length: 400 }, (_, i) => Math.sin(i / 9) + 1), form: 'DIFDUP', yFactor: 0.001 }), 'latin1');
const result: HsxResult = {
  type: 'RES', sampleId: 'S-1', time: '2026-12-04T11:30:00+01:00', technique: 'raman', verdict: 'THREAT', threatClass: 'Narcotics', library: { name: 'L', version: '1' },
  hits: [{ rank: 1, name: 'Cocaine HCl', cas: '53-21-4', score: 912, threatClass: 'Narcotics' }], jcamp,
};

describe('HSX-1 framing', () => {
  it('uses CRC-16/CCITT-FALSE (check value 0x29B1 for "123456789")', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x29b1);
  });

  it('round-trips every message type through frame and parser', () => {
    for (const m of [result, { type: 'STA' as const, state: 'error' as const, battery: 12, error: 'laser' }, { type: 'HBT' as const, uptimeS: 5 }]) {
      const payload = decodeFrame(encodeFrame(encodeMessage(m)));
      expect(payload.ok).toBe(true);
      if (!payload.ok) return;
      const back = parseMessage(payload.value);
      expect(back).toEqual({ ok: true, value: m });
    }
  });

  it('quarantines a wrong checksum, a bad length and malformed messages with their codes', () => {
    const f = encodeFrame(encodeMessage(result));
    const flipped = Buffer.from(f);
    flipped[40] = (flipped[40] ?? 0) ^ 0x20;
    expect(adapter.decode(frameOf(flipped), ctx)).toMatchObject({ ok: false, error: { code: 'BL_ERR_FRAME_CHECKSUM' } });
    const badLen = Buffer.from(f);
    badLen.writeUInt16BE(10, 1);
    expect(adapter.decode(frameOf(badLen), ctx)).toMatchObject({ ok: false, error: { code: 'BL_ERR_DECODE_SHORT_FRAME' } });
    const cases: Array<[string, RegExp]> = [
      ['RES 2\n', /version 2 is not supported/],
      ['RES 1\nSAMPLE=a\nTIME=yesterday\n', /TIME "yesterday"/],
      ['RES 1\nSAMPLE=a\nTIME=2026-12-04T10:00:00Z\nTECHNIQUE=ims\n', /TECHNIQUE "ims"/],
      ['RES 1\nSAMPLE=a\nTIME=2026-12-04T10:00:00Z\nTECHNIQUE=raman\nVERDICT=THREAT\nHITS=2\nHIT=1;x;;5\nJCAMP=0\n', /HITS says 2/],
      ['RES 1\nSAMPLE=a\nTIME=2026-12-04T10:00:00Z\nTECHNIQUE=raman\nVERDICT=THREAT\nHITS=1\nHIT=1;x;12-3;5\nJCAMP=0\n', /CAS "12-3"/],
      ['STA 1\nSTATE=sleeping\nBATTERY=3\n', /STATE "sleeping"/],
    ];
    for (const [text, why] of cases) {
      const r = adapter.decode(frameOf(encodeFrame(Buffer.from(text))), ctx);
      expect(r.ok, text).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('BL_ERR_SPECTRO_MESSAGE');
        expect(r.error.message).toMatch(why);
      }
    }
  });

  it('makes a result with device findings, an inline spectrum and the JCAMP-DX as an attachment', () => {
    const d = adapter.decode(frameOf(encodeFrame(encodeMessage(result))), ctx);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const n = adapter.normalise(d.value[0] as never, initialHsxState(), ctx);
    expect(n.ok).toBe(true);
    if (!n.ok) return;
    const e = n.value.drafts[0];
    expect(e).toMatchObject({
      eventType: 'result', observedAt: '2026-12-04T10:30:00.000Z', subject: { inspectionId: 'S-1' },
      outcome: { state: 'alarm', categories: ['narcotic'], decisionBy: 'machine', vendorState: 'THREAT: Narcotics' },
      findings: [{ origin: 'device', name: 'Cocaine HCl', identified: true, score: { value: 912, max: 1000, method: 'hsx-match-quality' } }],
    });
    expect(e?.spectrum?.npoints).toBe(256);
    expect(e?.attachments?.[0]).toMatchObject({ kind: 'jcamp-dx', mediaType: 'chemical/x-jcamp-dx' });
    expect(e?.attachments?.[0]?.data.equals(jcamp)).toBe(true);
  });

  it('never throws on random bytes or mutated frames, and every failure carries a known code', () => {
    const valid = encodeFrame(encodeMessage({ ...result, jcamp: Buffer.from(writeJcamp({ title: 't', dataType: 'IR', xUnits: '1/CM', yUnits: 'A', x0: 1, x1: 40, y: Array.from({ length: 40 }, (_, i) => i % 7) }), 'latin1') }));
    const framing = adapter.acquisition.kind === 'stream' ? adapter.acquisition.framing : undefined;
    const check = (bytes: Buffer) => {
      const framer = createFramer(framing as never);
      for (const o of [...framer.push(bytes), ...framer.flush()]) {
        if (o.kind !== 'frame') continue;
        const r = adapter.decode(frameOf(o.data), ctx);
        if (!r.ok) {
          expect(Object.keys(ERROR_CODES)).toContain(r.error.code);
          continue;
        }
        for (const m of r.value) {
          const n = adapter.normalise(m, initialHsxState(), ctx);
          if (!n.ok) expect(Object.keys(ERROR_CODES)).toContain(n.error.code);
        }
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => check(Buffer.from(b))), { numRuns: 3000 });
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), (muts) => {
      const b = Buffer.from(valid);
      for (const [i, v] of muts) b[i] = v;
      check(b);
    }), { numRuns: 3000 });
  });
});
