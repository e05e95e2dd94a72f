/**
 * Property-based fuzzing of every decoder the gateway exposes to the outside world, 10,000 cases
 * each (BL_FUZZ_RUNS to change): random bytes and mutations of valid inputs. Each must return a
 * value or a failure with a code from src/errors.ts, never throw (the pipeline also guards, but a
 * throw is a bug), and a failure must be the kind the pipeline quarantines (input).
 *
 * The document decoders (N42, JCAMP-DX, vendor JSON) go through decode and normalise exactly as
 * the pipeline calls them; the framed streams first through the framer the connector uses.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../src/adapter/registry.js';
import type { AnyAdapter, CodecContext, DocumentFrame, Frame, ModbusFrame } from '../../src/adapter/types.js';
import { createFramer } from '../../src/connectors/stream-framer.js';
import { parseReadReply } from '../../src/connectors/modbus-rtu-frame.js';
import { ERROR_CODES } from '../../src/errors.js';
import { parseJcamp } from '../../src/jcamp/index.js';
import { packageRoot } from '../../src/package-root.js';
import { seedIdentify } from '../helpers/golden-runner.js';

const RUNS = Number(process.env.BL_FUZZ_RUNS ?? 10_000);
const ROOT = packageRoot();
const read = (p: string) => readFileSync(path.join(ROOT, p));

let adapters: Map<string, AnyAdapter>;
beforeAll(async () => {
  adapters = await loadAdapters(path.join(ROOT, 'adapters'));
});

/** Decode then normalise every record, as the pipeline does; returns the failure codes seen. */
function run(adapter: AnyAdapter, frame: Frame): string[] {
  const ctx: CodecContext<unknown> = { device: { id: 'fuzz', siteId: 'FUZZ' }, options: {}, now: 1_800_000_000_000 };
  if (adapter.deviceClass === 'spectrometer') ctx.identify = seedIdentify();
  const codes: string[] = [];
  const d = adapter.decode(frame, ctx);
  if (!d.ok) return [d.error.code];
  let state = adapter.initialState();
  for (const r of d.value) {
    const n = adapter.normalise(r, state, ctx);
    if (!n.ok) codes.push(n.error.code);
    else state = n.value.state;
  }
  return codes;
}

function expectInputCodes(codes: readonly string[]): void {
  for (const c of codes) {
    expect(Object.keys(ERROR_CODES), c).toContain(c);
    expect(ERROR_CODES[c as keyof typeof ERROR_CODES].kind, c).toBe('input');
  }
}

/** Valid bytes with up to 8 bytes overwritten, a slice cut out, or garbage appended. */
const mutated = (valid: Buffer) => fc.oneof(
  fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((muts) => {
    const b = Buffer.from(valid);
    for (const [i, v] of muts) b[i] = v;
    return b;
  }),
  fc.tuple(fc.nat(valid.length), fc.nat(valid.length)).map(([a, b]) => Buffer.concat([valid.subarray(0, Math.min(a, b)), valid.subarray(Math.max(a, b))])),
  fc.uint8Array({ maxLength: 64 }).map((g) => Buffer.concat([valid, Buffer.from(g)])),
);

const docFrame = (transport: DocumentFrame['transport'], data: Buffer, mediaType?: string): DocumentFrame => ({ transport, receivedAt: 1_800_000_000_000, name: 'fuzz', data, ...(mediaType ? { mediaType } : {}) });

describe(`fuzzed input, ${RUNS} cases per decoder`, () => {
  it('Modbus RTU replies', () => {
    const readSpec = { table: 'holding' as const, address: 0, count: 10 };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
      const r = parseReadReply(1, readSpec, b);
      expect(['data', 'exception', 'malformed']).toContain(r.kind);
    }), { numRuns: RUNS });
  });

  it('Modbus register frames through the RPM profile', () => {
    const adapter = adapters.get('rpm-modbus-generic') as AnyAdapter;
    const plan = adapter.acquisition;
    if (plan.kind !== 'modbus-poll') throw new Error('expected a Modbus plan');
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 260 }), { minLength: plan.reads.length, maxLength: plan.reads.length }), (datas) => {
      const frame: ModbusFrame = { transport: 'modbus-tcp', unitId: 1, receivedAt: 1_800_000_000_000, blocks: plan.reads.map((r, i) => ({ ...r, data: Buffer.from(datas[i] ?? []) })) };
      expectInputCodes(run(adapter, frame));
    }), { numRuns: RUNS });
  });

  it('the portal line protocol (framed by lines)', () => {
    const adapter = adapters.get('rpm-line-protocol') as AnyAdapter;
    const valid = Buffer.from('GB,001000,001200,000900,001100\r\nGS,001500,001800,001400,001600\r\nGX,000042,00003\r\n', 'latin1');
    const framing = adapter.acquisition.kind === 'stream' ? adapter.acquisition.framing : undefined;
    fc.assert(fc.property(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u))), (bytes) => {
      const framer = createFramer(framing as never);
      for (const o of [...framer.push(bytes), ...framer.flush()]) {
        if (o.kind === 'frame') expectInputCodes(run(adapter, { transport: 'serial', receivedAt: 1_800_000_000_000, data: o.data }));
      }
    }), { numRuns: RUNS });
  });

  it('HSX-1 spectrometer frames (framed by STX/LEN/ETX)', () => {
    const adapter = adapters.get('handheld-spectrometer-serial') as AnyAdapter;
    const input = JSON.parse(read('adapters/handheld-spectrometer-serial/testcases/status-and-battery/input.json').toString()) as Array<{ hex: string }>;
    const valid = Buffer.concat(input.map((f) => Buffer.from(f.hex, 'hex')));
    const framing = adapter.acquisition.kind === 'stream' ? adapter.acquisition.framing : undefined;
    fc.assert(fc.property(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u))), (bytes) => {
      const framer = createFramer(framing as never);
      for (const o of [...framer.push(bytes), ...framer.flush()]) {
        if (o.kind === 'frame') expectInputCodes(run(adapter, { transport: 'serial', receivedAt: 1_800_000_000_000, data: o.data }));
      }
    }), { numRuns: RUNS });
  });

  it('ANSI N42.42 documents', () => {
    const adapter = adapters.get('n42-document') as AnyAdapter;
    const valid = read('adapters/n42-document/testcases/portal-2012-dual-alarm/portal-2012-dual-alarm.n42');
    fc.assert(fc.property(fc.oneof(mutated(valid), fc.string({ maxLength: 300 }).map((s) => Buffer.from(`<?xml version="1.0"?><RadInstrumentData xmlns="http://physics.nist.gov/N42/2011/N42">${s}</RadInstrumentData>`))), (bytes) => {
      expectInputCodes(run(adapter, docFrame('folder', bytes, 'application/xml')));
    }), { numRuns: RUNS });
  });

  it('JCAMP-DX files', () => {
    const valid = read('test/fixtures/jcamp/compression/jcamp-difdup.dx');
    fc.assert(fc.property(fc.oneof(mutated(valid), fc.uint8Array({ maxLength: 300 }).map((u) => Buffer.from(u))), (bytes) => {
      const r = parseJcamp(bytes);
      if (!r.ok) expectInputCodes([r.error.code]);
    }), { numRuns: RUNS });
  });

  it('vendor JSON bodies (sync station pages and webhooks)', () => {
    const adapter = adapters.get('spectro-sync-station') as AnyAdapter;
    const valid = read('adapters/spectro-sync-station/testcases/webhook-single-result/result.json');
    const anyJson = fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v)));
    fc.assert(fc.property(fc.oneof(mutated(valid), anyJson, anyJson.map((b) => Buffer.from(`{"results":[${b.toString()}]}`))), fc.constantFrom<DocumentFrame['transport']>('http-push', 'http-poll'), (bytes, transport) => {
      expectInputCodes(run(adapter, docFrame(transport, bytes, 'application/json')));
    }), { numRuns: RUNS });
  });
});
