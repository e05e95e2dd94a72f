import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Framing } from '../../../src/adapter/types.js';
import { createFramer, type FramerOutput } from '../../../src/connectors/stream-framer.js';
import { isBorderlinkError } from '../../../src/errors.js';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

/** Outputs as comparable text: "F:payload" for frames, "G:payload" for garbage. */
function show(outputs: readonly FramerOutput[]): string[] {
  return outputs.map((o) => `${o.kind === 'frame' ? 'F' : 'G'}:${o.data.toString('latin1')}`);
}

function pushAll(framing: Framing, chunks: readonly Buffer[], flush = false): FramerOutput[] {
  const f = createFramer(framing);
  const out = chunks.flatMap((c) => f.push(c));
  if (flush) out.push(...f.flush());
  return out;
}

function splitAt(data: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(Buffer.from(data.subarray(from, p)));
    from = p;
  }
  chunks.push(Buffer.from(data.subarray(from)));
  return chunks;
}

function expectConfigError(framing: Framing): void {
  let thrown: unknown;
  try {
    createFramer(framing);
  } catch (e) {
    thrown = e;
  }
  expect(isBorderlinkError(thrown) && thrown.code === 'BL_ERR_CONFIG_INVALID').toBe(true);
}

describe('delimiter framing', () => {
  const crlf: Framing = { kind: 'delimiter', delimiter: '\r\n', maxLength: 8 };

  it('strips the delimiter, skips empty messages and holds a partial one', () => {
    const f = createFramer(crlf);
    expect(show(f.push(b('GB,1\r\n\r\nGS,2\r\nGA')))).toEqual(['F:GB,1', 'F:GS,2']);
    expect(f.pending).toBe(2);
    expect(show(f.push(b(',3\r')))).toEqual([]);
    expect(show(f.push(b('\n')))).toEqual(['F:GA,3']);
    expect(f.pending).toBe(0);
  });

  it('finds a delimiter split across chunks, byte by byte', () => {
    const out = pushAll(crlf, [...b('ab\r\ncd\r\n')].map((x) => Buffer.from([x])));
    expect(show(out)).toEqual(['F:ab', 'F:cd']);
  });

  it('a message of exactly maxLength is a frame; one byte more is garbage up to the next delimiter', () => {
    expect(show(pushAll(crlf, [b('12345678\r\n')]))).toEqual(['F:12345678']);
    const out = pushAll(crlf, [b('123456789abcdefghij\r\nok\r\n')]);
    expect(show(out)).toEqual(['G:12345678', 'G:9abcdefg', 'G:hij', 'F:ok']);
    for (const o of out.filter((x) => x.kind === 'garbage')) {
      expect(o).toMatchObject({ reason: expect.stringContaining('maxLength 8') });
    }
  });

  it('a flood without a delimiter becomes bounded garbage records, never a growing buffer', () => {
    const f = createFramer(crlf);
    let garbageBytes = 0;
    for (let i = 0; i < 1000; i += 1) {
      for (const o of f.push(Buffer.alloc(37, 0x41))) {
        expect(o.kind).toBe('garbage');
        expect(o.data.length).toBeLessThanOrEqual(8);
        garbageBytes += o.data.length;
      }
      expect(f.pending).toBeLessThanOrEqual(8 + 2 - 1);
    }
    expect(garbageBytes + f.pending).toBe(37_000);
    // back in step at the next delimiter
    expect(show(f.push(b('AA\r\nok\r\n'))).slice(-1)).toEqual(['F:ok']);
  });

  it('flush hands back a cut-off message as garbage, then starts fresh', () => {
    const f = createFramer(crlf);
    expect(f.push(b('GS,1,2'))).toEqual([]);
    const flushed = f.flush();
    expect(show(flushed)).toEqual(['G:GS,1,2']);
    expect(flushed[0]).toMatchObject({ reason: 'incomplete frame when the stream ended' });
    expect(f.pending).toBe(0);
    expect(show(f.push(b('ok\r\n')))).toEqual(['F:ok']);
    expect(f.flush()).toEqual([]);
  });

  it('reset forgets what is held', () => {
    const f = createFramer(crlf);
    f.push(b('half'));
    f.reset();
    expect(show(f.push(b('whole\r\n')))).toEqual(['F:whole']);
  });

  it('takes the delimiter byte per character (latin1)', () => {
    const out = pushAll({ kind: 'delimiter', delimiter: '\xff', maxLength: 10 }, [Buffer.from([0x41, 0xff, 0xc3, 0xbf, 0xff])]);
    expect(out.map((o) => [...o.data])).toEqual([[0x41], [0xc3, 0xbf]]);
  });

  it('frames never alias the pushed chunk', () => {
    const chunk = b('abc\n');
    const [out] = pushAll({ kind: 'delimiter', delimiter: '\n', maxLength: 10 }, [chunk]);
    chunk.fill(0);
    expect(out?.data.toString()).toBe('abc');
  });

  it('rejects an empty delimiter, a non-byte character and a maxLength out of range', () => {
    expectConfigError({ kind: 'delimiter', delimiter: '', maxLength: 10 });
    expectConfigError({ kind: 'delimiter', delimiter: '\u2028', maxLength: 10 });
    expectConfigError({ kind: 'delimiter', delimiter: '\n', maxLength: 0 });
    expectConfigError({ kind: 'delimiter', delimiter: '\n', maxLength: 1.5 });
  });
});

describe('fixed-length framing', () => {
  it('cuts whole frames and flushes the remainder as garbage', () => {
    const f = createFramer({ kind: 'fixed-length', length: 3 });
    expect(show(f.push(b('abcde')))).toEqual(['F:abc']);
    expect(show(f.push(b('fghi')))).toEqual(['F:def', 'F:ghi']);
    expect(f.push(b('j'))).toEqual([]);
    expect(show(f.flush())).toEqual(['G:j']);
  });

  it('rejects a length out of range', () => {
    expectConfigError({ kind: 'fixed-length', length: 0 });
  });
});

describe('length-prefix framing', () => {
  /** STX, 1-byte length of the body, body, 1-byte checksum (adjust +1) */
  const stx: Framing = { kind: 'length-prefix', lengthBytes: 1, offset: 1, adjust: 1, maxLength: 12 };

  it('returns the whole frame, prefix and trailer included', () => {
    const f = createFramer(stx);
    expect(show(f.push(Buffer.from([0x02, 3, 0x41, 0x42])))).toEqual([]);
    expect(f.push(Buffer.from([0x43, 0x99, 0x02, 0, 0x00]))
      .map((o) => [o.kind, ...o.data])).toEqual([['frame', 0x02, 3, 0x41, 0x42, 0x43, 0x99], ['frame', 0x02, 0, 0x00]]);
  });

  it('reads 2- and 4-byte big-endian lengths, with a length field that counts the whole frame', () => {
    const two = Buffer.from([0x00, 0x05, 0xaa, 0xbb, 0xcc]);
    expect(pushAll({ kind: 'length-prefix', lengthBytes: 2, offset: 0, adjust: -2, maxLength: 64 }, [two])
      .map((o) => o.data)).toEqual([two]);
    const four = Buffer.from([0, 0, 0, 2, 0x01, 0x02]);
    expect(pushAll({ kind: 'length-prefix', lengthBytes: 4, offset: 0, adjust: 0, maxLength: 64 }, [four])
      .map((o) => o.data)).toEqual([four]);
  });

  it('skips bytes until a plausible length, reports them as garbage before the next frame', () => {
    // 0xf0 and 0xee as length bytes say 240/238 bytes: over maxLength, so they are skipped
    const plain: Framing = { kind: 'length-prefix', lengthBytes: 1, offset: 0, adjust: 0, maxLength: 12 };
    const out = pushAll(plain, [Buffer.from([0xf0, 0xee, 3, 0x41, 0x42, 0x43])]);
    expect(out.map((o) => [o.kind, ...o.data])).toEqual([['garbage', 0xf0, 0xee], ['frame', 3, 0x41, 0x42, 0x43]]);
    expect(out[0]).toMatchObject({ reason: expect.stringContaining('plausible length') });
  });

  it('an endless run of implausible lengths is reported in records of at most maxLength', () => {
    const f = createFramer(stx);
    const out = f.push(Buffer.alloc(100, 0xff));
    expect(out.every((o) => o.kind === 'garbage' && o.data.length === 12)).toBe(true);
    expect(out.length * 12 + f.pending).toBe(100);
    expect(f.pending).toBeLessThan(2 * 12);
  });

  it('rejects a bad length size, offset or a maxLength under the header', () => {
    expectConfigError({ kind: 'length-prefix', lengthBytes: 3 as 4, offset: 0, adjust: 0, maxLength: 10 });
    expectConfigError({ kind: 'length-prefix', lengthBytes: 2, offset: -1, adjust: 0, maxLength: 10 });
    expectConfigError({ kind: 'length-prefix', lengthBytes: 2, offset: 2, adjust: 0, maxLength: 3 });
  });
});

describe('framer properties', () => {
  const delimiterFraming = fc.record({
    kind: fc.constant('delimiter' as const),
    delimiter: fc.constantFrom('\n', '\r\n', '\x03', 'ab'),
    maxLength: fc.integer({ min: 1, max: 12 }),
  });
  const fixedFraming = fc.record({ kind: fc.constant('fixed-length' as const), length: fc.integer({ min: 1, max: 9 }) });
  const prefixFraming = fc.record({
    kind: fc.constant('length-prefix' as const),
    lengthBytes: fc.constantFrom(1 as const, 2 as const),
    offset: fc.integer({ min: 0, max: 2 }),
    adjust: fc.integer({ min: -3, max: 3 }),
    maxLength: fc.integer({ min: 4, max: 24 }),
  });
  const anyFraming: fc.Arbitrary<Framing> = fc.oneof(delimiterFraming, fixedFraming, prefixFraming);
  /** small byte values so delimiters and plausible lengths turn up often */
  const stream = fc.uint8Array({ minLength: 0, maxLength: 300 })
    .map((a) => Uint8Array.from(a, (x) => [0x0a, 0x0d, 0x03, 0x61, 0x62, 0, 1, 2, 5, x][x % 10] as number));
  const cuts = fc.array(fc.nat(), { maxLength: 40 });

  it('any split of the stream into chunks gives the same outputs as one chunk', () => {
    fc.assert(fc.property(anyFraming, stream, cuts, (framing, data, at) => {
      const whole = pushAll(framing, [Buffer.from(data)], true);
      const split = pushAll(framing, splitAt(data, at), true);
      expect(split).toEqual(whole);
    }), { numRuns: 500 });
  });

  it('fixed-length and length-prefix account for every byte: the outputs concatenate to the input', () => {
    fc.assert(fc.property(fc.oneof(fixedFraming, prefixFraming), stream, cuts, (framing, data, at) => {
      const out = pushAll(framing, splitAt(data, at), true);
      expect(Buffer.concat(out.map((o) => o.data))).toEqual(Buffer.from(data));
    }), { numRuns: 500 });
  });

  it('delimiter framing accounts for every byte but the delimiters', () => {
    fc.assert(fc.property(delimiterFraming, stream, cuts, (framing, data, at) => {
      const out = pushAll(framing, splitAt(data, at), true);
      const delim = Buffer.from(framing.delimiter, 'latin1');
      let delimiters = 0;
      for (let i = Buffer.from(data).indexOf(delim); i !== -1; i = Buffer.from(data).indexOf(delim, i + delim.length)) delimiters += 1;
      const outBytes = out.reduce((n, o) => n + o.data.length, 0);
      expect(outBytes + delimiters * delim.length).toBe(data.length);
      for (const o of out) {
        expect(o.data.length).toBeLessThanOrEqual(framing.maxLength);
        if (o.kind === 'frame') {
          expect(o.data.length).toBeGreaterThan(0);
          expect(o.data.indexOf(delim)).toBe(-1);
        }
      }
    }), { numRuns: 500 });
  });

  it('frames match a reference split on a stream that ends with a delimiter', () => {
    fc.assert(fc.property(delimiterFraming, stream, (framing, data) => {
      const delim = Buffer.from(framing.delimiter, 'latin1');
      const input = Buffer.concat([Buffer.from(data), delim]);
      const expected: string[] = [];
      let from = 0;
      for (let i = input.indexOf(delim); i !== -1; i = input.indexOf(delim, from)) {
        const msg = input.subarray(from, i);
        from = i + delim.length;
        if (msg.length === 0) continue;
        if (msg.length <= framing.maxLength) {
          expected.push(`F:${msg.toString('latin1')}`);
        } else {
          for (let j = 0; j < msg.length; j += framing.maxLength) {
            expected.push(`G:${msg.subarray(j, j + framing.maxLength).toString('latin1')}`);
          }
        }
      }
      expect(show(pushAll(framing, [input], true))).toEqual(expected);
    }), { numRuns: 500 });
  });

  it('holds a bounded number of bytes between pushes', () => {
    fc.assert(fc.property(anyFraming, stream, cuts, (framing, data, at) => {
      const f = createFramer(framing);
      const bound = framing.kind === 'delimiter'
        ? framing.maxLength + framing.delimiter.length - 1
        : framing.kind === 'fixed-length' ? framing.length - 1 : 2 * framing.maxLength;
      for (const chunk of splitAt(data, at)) {
        f.push(chunk);
        expect(f.pending).toBeLessThanOrEqual(bound);
      }
    }), { numRuns: 300 });
  });
});

describe('length-prefix with start and end bytes (STX ... ETX)', () => {
  const framing = { kind: 'length-prefix' as const, lengthBytes: 2 as const, offset: 1, adjust: 3, maxLength: 1024, start: 0x02, end: 0x03 };
  const frame = (payload: string) => {
    const p = Buffer.from(payload, 'latin1');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(p.length);
    return Buffer.concat([Buffer.from([0x02]), len, p, Buffer.from([0xaa, 0xbb, 0x03])]);
  };

  it('skips noise before the STX and reports it as garbage, then frames in step', () => {
    const f = createFramer(framing);
    const out = f.push(Buffer.concat([Buffer.from('noise\x00\x05'), frame('RES|1'), frame('HBT')]));
    expect(out.map((o) => o.kind)).toEqual(['garbage', 'frame', 'frame']);
    expect(out[0]?.data.toString('latin1')).toBe('noise\x00\x05');
    expect(out[1]?.data.subarray(3, 8).toString()).toBe('RES|1');
  });

  it('does not take a frame whose last byte is not the ETX (a wrong length) and finds the next one', () => {
    const f = createFramer(framing);
    const broken = frame('ABCDEFGH');
    broken.writeUInt16BE(4, 1); // claims 4 payload bytes: the byte at the end position is not ETX
    const out = f.push(Buffer.concat([broken, frame('OK')]));
    expect(out.filter((o) => o.kind === 'frame').map((o) => o.data.subarray(3, 5).toString())).toEqual(['OK']);
    expect(out[0]?.kind).toBe('garbage');
  });

  it('refuses a start byte that is not a byte', () => {
    expect(() => createFramer({ ...framing, start: 256 })).toThrow(/start must be a byte/);
    expect(() => createFramer({ ...framing, end: -1 })).toThrow(/end must be a byte/);
  });

  it('a frame cut short (device reset mid-frame) delays the frames after it until its claimed end is checked, loses none', () => {
    const f = createFramer(framing);
    const cut = frame('X'.repeat(300)).subarray(0, 100);
    // the cut frame claims 303 more bytes: until they are there, the framer cannot tell it is cut
    expect(f.push(Buffer.concat([cut, frame('A')]))).toEqual([]);
    const out = [...f.push(Buffer.concat([frame('B'), frame('C'.repeat(300))])), ...f.flush()];
    expect(out.filter((o) => o.kind === 'frame').map((o) => o.data.subarray(3, o.data.length - 3).toString('latin1').slice(0, 3))).toEqual(['A', 'B', 'CCC']);
    expect(out.filter((o) => o.kind === 'garbage').reduce((n, o) => n + o.data.length, 0)).toBe(100);
  });

  it('recovers every frame and reports every noise byte, however the stream is split', () => {
    const noise = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => Buffer.from(u.map((x) => (x === 0x02 ? 0x01 : x))));
    const item = fc.oneof(
      fc.uint8Array({ maxLength: 200 }).map((p) => ({ kind: 'frame' as const, data: frame(Buffer.from(p).toString('latin1')) })),
      noise.map((data) => ({ kind: 'noise' as const, data })),
    );
    fc.assert(fc.property(fc.array(item, { maxLength: 12 }), fc.array(fc.nat(5000), { maxLength: 8 }), (items, cuts) => {
      const stream = Buffer.concat(items.map((i) => i.data));
      const out = pushAll(framing, splitAt(stream, cuts), true);
      expect(out.filter((o) => o.kind === 'frame').map((o) => o.data.toString('hex'))).toEqual(items.filter((i) => i.kind === 'frame').map((i) => i.data.toString('hex')));
      const junk = Buffer.concat(out.filter((o) => o.kind === 'garbage').map((o) => o.data));
      expect(junk.toString('hex')).toBe(Buffer.concat(items.filter((i) => i.kind === 'noise').map((i) => i.data)).toString('hex'));
    }), { numRuns: 1000 });
  });
});
