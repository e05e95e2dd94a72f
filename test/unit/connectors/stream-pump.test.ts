import { afterEach, describe, expect, it } from 'vitest';
import { createStreamPump, type FlowControl, type StreamPump } from '../../../src/connectors/stream-pump.js';
import { silentLogger } from '../../../src/log.js';
import { streamSink, waitUntil, type StreamRecordingSink } from './stream-fakes.js';

const clock = { now: (): number => 1_700_000_000_000 };

interface FakeFlow extends FlowControl {
  calls: string[];
}

function fakeFlow(): FakeFlow {
  const calls: string[] = [];
  return { calls, pause: () => calls.push('pause'), resume: () => calls.push('resume') };
}

const pumps: StreamPump[] = [];
afterEach(() => {
  for (const p of pumps.splice(0)) p.abandon();
});

function pump(rec: StreamRecordingSink, over: { maxQueuedFrames?: number; maxQueuedBytes?: number; maxCoalescedGarbageBytes?: number } = {}): StreamPump {
  const p = createStreamPump({
    transport: 'tcp-socket',
    framing: { kind: 'delimiter', delimiter: '\n', maxLength: 16 },
    sink: rec.sink,
    clock,
    logger: silentLogger(),
    ...over,
  });
  pumps.push(p);
  return p;
}

const lines = (from: number, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => `m${from + i}\n`).join(''), 'latin1');

describe('stream pump', () => {
  it('pushes frames in order, one at a time, stamped with the clock and transport', async () => {
    const rec = streamSink();
    const p = pump(rec);
    p.write(lines(0, 3));
    p.write(Buffer.from('m3'));
    p.write(Buffer.from('\n'));
    expect(await p.drained(5_000)).toBe(true);
    expect(rec.texts()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(rec.frames()[0]).toEqual({ transport: 'tcp-socket', receivedAt: clock.now(), data: Buffer.from('m0') });
    expect(rec.maxInFlight()).toBe(1);
  });

  it('pauses the source at the frame bound and resumes once the queue is half empty', async () => {
    const rec = streamSink();
    const flow = fakeFlow();
    const p = pump(rec, { maxQueuedFrames: 10 });
    p.attach(flow);
    rec.close();
    p.write(lines(0, 5)); // one in flight, four queued
    expect(p.paused).toBe(false);
    p.write(lines(5, 6)); // ten queued
    expect(p.paused).toBe(true);
    expect(flow.calls).toEqual(['pause']);
    p.write(lines(11, 3)); // a chunk already read is framed, not dropped
    expect(p.queued).toBe(13);
    expect(rec.maxInFlight()).toBe(1);
    rec.open();
    await waitUntil(() => !p.paused, 'resume');
    expect(flow.calls).toEqual(['pause', 'resume']);
    expect(await p.drained(5_000)).toBe(true);
    expect(rec.texts()).toEqual(Array.from({ length: 14 }, (_, i) => `m${i}`));
    expect(rec.maxInFlight()).toBe(1);
  });

  it('pauses at the byte bound too', () => {
    const rec = streamSink();
    const flow = fakeFlow();
    const p = pump(rec, { maxQueuedBytes: 20 });
    p.attach(flow);
    rec.close();
    p.write(Buffer.from('0123456789abcdef\n0123456789abcdef\n0123456789\n'));
    expect(flow.calls).toEqual(['pause']);
    rec.open();
  });

  it('pauses a source attached while the queue is full', () => {
    const rec = streamSink();
    const p = pump(rec, { maxQueuedFrames: 2 });
    rec.close();
    p.write(lines(0, 4));
    const flow = fakeFlow();
    p.attach(flow);
    expect(flow.calls).toEqual(['pause']);
    rec.open();
  });

  it('quarantines garbage and a partial frame at end of stream, in stream order', async () => {
    const rec = streamSink();
    const p = pump(rec);
    p.write(Buffer.from('ok\n0123456789abcdefXYZ\nnext\npart'));
    p.endOfStream();
    p.write(Buffer.from('fresh\n'));
    expect(await p.drained(5_000)).toBe(true);
    const trail = rec.entries.map((e) => (e.kind === 'frame'
      ? `F:${e.frame.data.toString()}`
      : e.kind === 'reject' ? `R:${e.input.code}:${e.input.raw.toString()}` : 'S'));
    expect(trail).toEqual([
      'F:ok',
      'R:BL_ERR_STREAM_GARBAGE:0123456789abcdefXYZ', // the over-long line's two records, joined
      'F:next',
      'R:BL_ERR_STREAM_GARBAGE:part',
      'F:fresh',
    ]);
    expect(rec.rejects()[1]).toMatchObject({ message: 'incomplete frame when the stream ended', receivedAt: clock.now() });
  });

  it('joins back-to-back garbage into one reject up to the byte bound, keeping every byte in order', async () => {
    const rec = streamSink();
    const p = pump(rec, { maxCoalescedGarbageBytes: 40 });
    const noise = 'N'.repeat(16 * 5 + 3); // five full records of 16 and a tail, no delimiter
    p.write(Buffer.from(`a\n${noise}\nb\n`));
    expect(await p.drained(5_000)).toBe(true);
    const rejects = rec.rejects();
    // 16 + 16 fit in 40, a third would not: rows of 32, 32, 16 + 3
    expect(rejects.map((r) => r.raw.length)).toEqual([32, 32, 19]);
    expect(Buffer.concat(rejects.map((r) => r.raw)).toString()).toBe(noise);
    expect(rejects[0]?.message).toMatch(/2 runs of unframed bytes joined, 32 bytes/);
    expect(rec.texts()).toEqual(['a', 'b']);
  });

  it('refuses a non-positive coalescing bound', () => {
    expect(() => pump(streamSink(), { maxCoalescedGarbageBytes: 0 })).toThrow(/maxCoalescedGarbageBytes/);
  });

  it('retries a push the outbox could not store, the same frame, before the next one', async () => {
    const rec = streamSink();
    const flow = fakeFlow();
    const p = createStreamPump({
      transport: 'serial',
      framing: { kind: 'delimiter', delimiter: '\n', maxLength: 16 },
      sink: rec.sink,
      clock,
      logger: silentLogger(),
      maxQueuedFrames: 2,
      retryBaseMs: 5,
      retryCapMs: 20,
    });
    pumps.push(p);
    p.attach(flow);
    rec.failPushes(3);
    p.write(lines(0, 3));
    expect(await p.drained(5_000)).toBe(true);
    expect(rec.pushes()).toBe(6);
    expect(rec.entries.map((e) => `${e.kind}:${e.kind === 'status' ? '' : e.kind === 'reject' ? '' : e.frame.data.toString()}`))
      .toEqual(['failed:m0', 'failed:m0', 'failed:m0', 'frame:m0', 'frame:m1', 'frame:m2']);
    expect(rec.maxInFlight()).toBe(1);
    expect(flow.calls).toEqual(['pause', 'resume']); // the source waited while the frame was retried
  });

  it('abandon ends a retry that would never succeed', async () => {
    const rec = streamSink();
    const p = pump(rec);
    rec.failPushes(Number.MAX_SAFE_INTEGER);
    p.write(lines(0, 2));
    expect(await p.drained(50)).toBe(false);
    expect(p.abandon()).toBe(1);
    expect(await p.drained(1_000)).toBe(true);
    expect(rec.frames()).toEqual([]);
  });

  it('abandon gives up what is queued and says how much', async () => {
    const rec = streamSink();
    const p = pump(rec);
    rec.close();
    p.write(lines(0, 5));
    expect(await p.drained(20)).toBe(false);
    expect(p.abandon()).toBe(4);
    p.write(lines(5, 1));
    rec.open();
    await waitUntil(() => rec.frames().length === 1, 'the in-flight frame');
    expect(rec.texts()).toEqual(['m0']);
  });
});
