import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import adapter from '../../../adapters/handheld-spectrometer-serial/adapter.js';
import { crc16, decodeFrame, encodeFrame } from '../../../adapters/handheld-spectrometer-serial/hsx-frame.js';
import { encodeMessage, parseMessage, type HsxMessage, type HsxResult } from '../../../adapters/handheld-spectrometer-serial/hsx-message.js';
import { initialHsxState, normaliseHsx, type HsxOptions } from '../../../adapters/handheld-spectrometer-serial/normalise-hsx.js';
import type { CodecContext, EventDraft, GatewayIdentification, StreamFrame } from '../../../src/adapter/types.js';
import { createFramer } from '../../../src/connectors/stream-framer.js';
import { ERROR_CODES } from '../../../src/errors.js';
import { writeJcamp } from '../../../src/jcamp/index.js';

const ctx: CodecContext<HsxOptions> = { device: { id: 'h', siteId: 'S' }, options: {}, now: Date.parse('2026-12-04T10:00:00Z') };
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

  it('frames a heartbeat exactly as the README test vector says', () => {
    const f = encodeFrame(encodeMessage({ type: 'HBT', uptimeS: 5 }));
    expect(f.toString('hex').match(/../g)?.join(' ')).toBe('02 00 0f 48 42 54 20 31 0a 55 50 54 49 4d 45 3d 35 0a 7d 58 03');
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

describe('HSX-1 results to events', () => {
  const run = (messages: HsxMessage[], c: CodecContext<HsxOptions> = ctx) => {
    let state = initialHsxState();
    const drafts: EventDraft[] = [];
    for (const m of messages) {
      const n = normaliseHsx(m, state, c);
      if (!n.ok) return { drafts, failure: n.error };
      state = n.value.state;
      drafts.push(...n.value.drafts);
    }
    return { drafts, state };
  };

  it('maps every verdict to an outcome, keeping the vendor state verbatim', () => {
    const cases: Array<[Partial<HsxResult>, string, string[], boolean[]]> = [
      [{ verdict: 'THREAT', threatClass: 'Explosives' }, 'alarm', ['explosive'], [true]],
      [{ verdict: 'MATCH', threatClass: undefined, hits: [{ rank: 1, name: 'Lactose', score: 930 }] }, 'clear', [], [true]],
      [{ verdict: 'NO MATCH', threatClass: undefined, hits: [{ rank: 1, name: 'Toluene', score: 412 }, { rank: 2, name: 'MEK', score: 300 }] }, 'clear', [], [false, false]],
      [{ verdict: 'LOW SIGNAL', threatClass: undefined, hits: [] }, 'indeterminate', [], []],
      [{ verdict: 'MIXTURE', threatClass: 'Narcotics', hits: [{ rank: 1, name: 'Heroin', score: 871, threatClass: 'Narcotics', fraction: 0.6 }, { rank: 2, name: 'Ethanol', score: 871, fraction: 0.4 }] }, 'alarm', ['narcotic'], [true, true]],
      [{ verdict: 'MIXTURE', threatClass: undefined, hits: [{ rank: 1, name: 'Lactose', score: 870, fraction: 0.5 }, { rank: 2, name: 'Mannitol', score: 870, fraction: 0.5 }] }, 'clear', [], [true, true]],
    ];
    for (const [patch, state, categories, identified] of cases) {
      const { threatClass, ...rest } = { ...result, ...patch };
      const m: HsxResult = { ...rest, ...(threatClass ? { threatClass } : {}) };
      const e = run([m]).drafts[0];
      expect(e?.outcome, m.verdict).toEqual({ state, categories, decisionBy: 'machine', vendorState: threatClass ? `${m.verdict}: ${threatClass}` : m.verdict });
      expect(e?.findings?.map((f) => f.identified), m.verdict).toEqual(identified);
    }
  });

  it('puts the gateway identification after the device hits, each on its own scale', () => {
    const gateway: GatewayIdentification = {
      library: { name: 'borderlink-seed', version: '2026.12' }, verdict: 'match',
      hits: [{ entryId: 'cocaine-hcl', name: 'Cocaine hydrochloride', cas: '53-21-4', category: 'narcotic', hqi: 97.25 }, { entryId: 'heroin', name: 'Heroin', category: 'narcotic', hqi: 40 }],
    };
    const seen: number[] = [];
    const e = run([result], { ...ctx, identify: (s) => (seen.push(s.x.length), gateway) }).drafts[0];
    expect(seen).toEqual([400]); // the whole embedded spectrum, not the inline copy
    expect(e?.findings?.map((f) => [f.origin, f.name, f.score?.method, f.score?.max, f.identified])).toEqual([
      ['device', 'Cocaine HCl', 'hsx-match-quality', 1000, true],
      ['gateway', 'Cocaine hydrochloride', 'hqi-correlation', 100, true],
      ['gateway', 'Heroin', 'hqi-correlation', 100, false],
    ]);
    expect(e?.findings?.[1]?.reference).toEqual({ library: 'borderlink-seed', version: '2026.12', entryId: 'cocaine-hcl' });
    // without a configured library there are only the device's findings
    expect(run([result]).drafts[0]?.findings?.map((f) => f.origin)).toEqual(['device']);
  });

  it('carries the header: sample id, device, operator, library, settings, UTC time, raw ids', () => {
    const m: HsxResult = { ...result, operator: 'officer-9', serial: 'HSX-1', firmware: '3.1.4', model: 'HSX', laserMw: 250, integrationMs: 1500, time: '2026-12-04T05:00:00-05:30' };
    const e = run([m]).drafts[0];
    expect(e).toMatchObject({
      eventType: 'result', observedAt: '2026-12-04T10:30:00.000Z', subject: { inspectionId: 'S-1' },
      source: { device: { technique: 'raman', serial: 'HSX-1', firmware: '3.1.4', model: 'HSX' }, operatorId: 'officer-9', algorithm: { name: 'L', version: '1', settings: { laserPowerMw: 250, integrationMs: 1500 } } },
      raw: { format: 'hsx-1', nativeIds: { sampleId: 'S-1' } },
    });
    expect(e?.spectrum).toMatchObject({ xUnits: '1/CM', yUnits: 'ABSORBANCE', firstX: 600, lastX: 3800, npoints: 256 });
  });

  it('inlines a short spectrum whole, and a long (3,000-point) one decimated to 256 points', () => {
    const short = Buffer.from(writeJcamp({ title: 's', dataType: 'RAMAN SPECTRUM', xUnits: '1/CM', yUnits: 'ARBITRARY UNITS', x0: 200, x1: 300, y: Array.from({ length: 101 }, (_, i) => i), form: 'DIFDUP' }), 'latin1');
    expect(run([{ ...result, jcamp: short }]).drafts[0]?.spectrum).toMatchObject({ npoints: 101, firstX: 200, lastX: 300 });
    const y = Array.from({ length: 3000 }, (_, i) => 1000 * Math.exp(-(((i - 1500) / 40) ** 2)) + ((i * 7919) % 13));
    const long = Buffer.from(writeJcamp({ title: 'l', dataType: 'RAMAN SPECTRUM', xUnits: '1/CM', yUnits: 'ARBITRARY UNITS', x0: 3200, x1: 200, y, form: 'DIFDUP' }), 'latin1');
    const frame = encodeFrame(encodeMessage({ ...result, jcamp: long }));
    expect(frame.length).toBeGreaterThan(5000);
    const d = adapter.decode(frameOf(frame), ctx);
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    const s = run(d.value).drafts[0]?.spectrum;
    expect(s).toMatchObject({ npoints: 256, firstX: 3200, lastX: 200 });
    expect(Math.max(...(s?.y ?? []))).toBeGreaterThan(900); // the band survives decimation (interpolated)
  });

  it('reports status only when the state changes; a low battery raises and later clears a fault', () => {
    const sta = (state: 'ready' | 'docked' | 'error' | 'measuring', battery: number, error?: string): HsxMessage => ({ type: 'STA', state, battery, ...(error ? { error } : {}) });
    const { drafts } = run([sta('docked', 40), sta('docked', 39), { type: 'HBT', uptimeS: 5 }, sta('docked', 15), sta('docked', 12), sta('error', 12, 'laser interlock'), sta('ready', 19), sta('ready', 20)]);
    expect(drafts.map((d) => (d.eventType === 'status' ? `status ${d.status?.state} ${d.status?.detail}` : `fault ${d.fault?.code} ${d.fault?.active}`))).toEqual([
      'status online device docked',
      'fault battery-low true',
      'status degraded device error: laser interlock',
      'status online device ready',
      'fault battery-low false',
    ]);
    const custom = run([sta('docked', 30)], { ...ctx, options: { batteryLowPercent: 30 } }).drafts;
    expect(custom.map((d) => d.eventType)).toEqual(['status', 'fault']);
  });

  it('publishes a result re-sent after re-docking once', () => {
    const { drafts } = run([result, { type: 'HBT' }, result, { ...result, time: '2026-12-04T11:31:00+01:00' }]);
    expect(drafts.map((d) => d.observedAt)).toEqual(['2026-12-04T10:30:00.000Z', '2026-12-04T10:31:00.000Z']);
  });

  it('a broken embedded JCAMP-DX fails with the reader code; a cut or missing one with BL_ERR_SPECTRO_MESSAGE', () => {
    const text = jcamp.toString('latin1');
    const noEnd = run([{ ...result, jcamp: Buffer.from(text.replace(/##END=\s*$/, ''), 'latin1') }]);
    expect(noEnd.failure?.code).toBe('BL_ERR_JCAMP_INVALID');
    expect(noEnd.failure?.message).toMatch(/sample S-1/);
    const garbled = run([{ ...result, jcamp: Buffer.from(text.replace('##XYDATA', '##XYDATA=(R..Q)\n##XX'), 'latin1') }]);
    expect(garbled.failure?.code).toMatch(/^BL_ERR_JCAMP_/);
    const payload = encodeMessage(result);
    for (const bad of [payload.subarray(0, payload.length - 100), payload.subarray(0, payload.indexOf('\nJCAMP=') + 1), Buffer.concat([payload, Buffer.from('extra')])]) {
      const r = adapter.decode(frameOf(encodeFrame(bad)), ctx);
      expect(r).toMatchObject({ ok: false, error: { code: 'BL_ERR_SPECTRO_MESSAGE' } });
    }
  });

  it('refuses a frame too short for its envelope, or without STX/ETX', () => {
    expect(decodeFrame(Buffer.from([0x02, 0x00, 0x03]))).toMatchObject({ ok: false, error: { code: 'BL_ERR_DECODE_SHORT_FRAME' } });
    const f = encodeFrame(Buffer.from('HBT 1\n'));
    const noStx = Buffer.from(f);
    noStx[0] = 0x01;
    expect(decodeFrame(noStx).ok).toBe(false);
    expect(decodeFrame(Buffer.concat([f.subarray(0, 3 + 6), Buffer.from([0x00])])).ok).toBe(false);
  });

  it('a long result arriving in odd chunks after line noise: noise as garbage, then the frame, whole', () => {
    const y = Array.from({ length: 3000 }, (_, i) => Math.round(500 + 400 * Math.sin(i / 17) + ((i * 31) % 11)));
    const big = Buffer.from(writeJcamp({ title: 'b', dataType: 'RAMAN SPECTRUM', xUnits: '1/CM', yUnits: 'ARBITRARY UNITS', x0: 200, x1: 3200, y, form: 'DIFDUP' }), 'latin1');
    const stream = Buffer.concat([Buffer.from('\x00\xffnoise\x03', 'latin1'), encodeFrame(encodeMessage({ ...result, jcamp: big })), encodeFrame(encodeMessage({ type: 'HBT', uptimeS: 9 }))]);
    const framer = createFramer((adapter.acquisition.kind === 'stream' ? adapter.acquisition.framing : undefined) as never);
    const out = [];
    for (let i = 0; i < stream.length; i += 997) out.push(...framer.push(stream.subarray(i, i + 997)));
    expect(out.map((o) => o.kind)).toEqual(['garbage', 'frame', 'frame']);
    expect(out[0]?.data.toString('latin1')).toBe('\x00\xffnoise\x03');
    const d = adapter.decode(frameOf(out[1]?.data as Buffer), ctx);
    expect(d.ok && d.value[0]?.type === 'RES' && d.value[0].jcamp.equals(big)).toBe(true);
  });

  it('never throws on random payloads inside frames with a good CRC, and every failure has a known code', () => {
    const known = new Set(Object.keys(ERROR_CODES));
    const keys = ['SAMPLE=a', 'TIME=2026-12-04T10:00:00+01:00', 'TECHNIQUE=ftir', 'VERDICT=THREAT', 'VERDICT=NO MATCH', 'CLASS=Narcotics', 'HITS=1', 'HIT=1;x;53-21-4;900;Narcotics', 'HIT=1;;;', 'LIBRARY=a;b', 'STATE=ready', 'BATTERY=5', 'UPTIME=3', 'LASER_MW=x', 'JCAMP=10', 'JCAMP=0'];
    const payload = fc.oneof(
      fc.uint8Array({ maxLength: 400 }).map((b) => Buffer.from(b)),
      fc.tuple(fc.constantFrom('RES 1', 'STA 1', 'HBT 1', 'RES 2', 'XYZ 1', ''), fc.array(fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 20 })), { maxLength: 12 }), fc.oneof(fc.constant(''), fc.constant(jcamp.toString('latin1')), fc.string({ maxLength: 200 })))
        .map(([first, lines, tail]) => Buffer.from(`${[first, ...lines].join('\n')}\n${tail}`, 'latin1')),
    );
    fc.assert(fc.property(payload, (p) => {
      if (p.length > 0xffff) return;
      const r = adapter.decode(frameOf(encodeFrame(p)), ctx);
      if (!r.ok) {
        expect(known.has(r.error.code), r.error.code).toBe(true);
        return;
      }
      for (const m of r.value) {
        const n = adapter.normalise(m, initialHsxState(), ctx);
        if (!n.ok) expect(known.has(n.error.code), n.error.code).toBe(true);
      }
    }), { numRuns: 3000 });
  });
});
