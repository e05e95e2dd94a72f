/**
 * What the pipeline does with a frame the outbox refuses at its cap (BL_ERR_OUTBOX_FULL): a
 * frame that can wait is refused (`failed`: the connector retries, skips a poll, answers 503);
 * a stream frame, which cannot be read again, is quarantined whole with its raw bytes; when the
 * quarantine budget is spent too it is refused, and the stream pump holds it (pauses the device).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ok, type AnyAdapter, type Frame } from '../../../src/adapter/types.js';
import { systemClock } from '../../../src/clock.js';
import { createUuidV7 } from '../../../src/ids.js';
import { silentLogger } from '../../../src/log.js';
import { createMetrics } from '../../../src/metrics.js';
import { openSqliteOutbox, type SqliteOutbox } from '../../../src/outbox/sqlite-outbox.js';
import { createPipeline } from '../../../src/pipeline/pipeline.js';
import { makeEvent } from '../../helpers/events.js';

/** one result event per frame; the adapter state counts frames */
const adapter: AnyAdapter = {
  id: 'fake', version: '1.0.0', deviceClass: 'radiation-portal-monitor', technique: 'gamma-neutron',
  transport: 'tcp-socket', optionsSchema: {},
  acquisition: { kind: 'stream', framing: { kind: 'delimiter', delimiter: '\n', maxLength: 256 } },
  initialState: () => ({ n: 0 }),
  decode: (frame: Frame) => ok([{ bytes: 'data' in frame ? frame.data.length : 0 }]),
  normalise: (_r: unknown, s: unknown) => ok({
    drafts: [{ eventType: 'result', observedAt: '2026-11-23T10:00:00.000Z', quality: 'good', outcome: { state: 'clear' } }],
    state: { n: ((s as { n: number }).n) + 1 },
  }),
} as unknown as AnyAdapter;

describe('pipeline at the outbox cap', () => {
  let dir = '';
  let outbox: SqliteOutbox;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-pipeline-full-'));
    outbox = openSqliteOutbox({
      path: path.join(dir, 'o.db'), clock: systemClock, logger: silentLogger(), maintenanceIntervalMs: 0, checkpointIntervalMs: 0,
      capacity: { maxBytes: 300_000, warnAtFraction: 0.9, quarantineMaxBytes: 1_000 },
    });
    // fill it with another device's events
    for (let i = 0; i < 5000 && outbox.capacity().state !== 'full'; i++) {
      await outbox.append({ deviceId: 'filler', events: [makeEvent({ deviceId: 'filler' })] });
    }
    expect(outbox.capacity().state).toBe('full');
  });
  afterEach(async () => {
    await outbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const sinkFor = (id: string): ReturnType<ReturnType<typeof createPipeline>['forDevice']> => createPipeline({
    gatewayId: 'gw', outbox, validator: { validate: () => ({ ok: true }) }, newEventId: createUuidV7(systemClock),
    clock: systemClock, logger: silentLogger(), metrics: createMetrics({ defaultMetrics: false }), onDurable: () => undefined,
  }).forDevice({ id, siteId: 'BGSOF' }, adapter, {});

  it('refuses a frame that can wait: failed with BL_ERR_OUTBOX_FULL, state unchanged, nothing stored', async () => {
    const sink = sinkFor('poller');
    const frame: Frame = { transport: 'modbus-tcp', unitId: 1, receivedAt: Date.now(), blocks: [] };
    const outcome = await sink.push(frame);
    expect(outcome).toMatchObject({ status: 'failed', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_FULL' } });
    expect(sink.committedState?.()).toEqual({ n: 0 });
    expect(outbox.device('poller')).toBeUndefined();
    const doc: Frame = { transport: 'http-push', receivedAt: Date.now(), name: 'r1', data: Buffer.from('x') };
    expect((await sink.push(doc)).status).toBe('failed');
  });

  it('quarantines a stream frame with its raw bytes, then refuses once the quarantine budget is spent', async () => {
    const sink = sinkFor('stream');
    const raw = Buffer.from('GB,000100,000100,000100,000100');
    const first = await sink.push({ transport: 'tcp-socket', receivedAt: Date.now(), data: raw });
    expect(first).toMatchObject({ status: 'quarantined', eventIds: [], reason: { code: 'BL_ERR_OUTBOX_FULL' } });
    expect(sink.committedState?.()).toEqual({ n: 0 });
    const [q] = outbox.quarantine({ deviceId: 'stream', limit: 10 }).items;
    expect(q).toMatchObject({ code: 'BL_ERR_OUTBOX_FULL', detail: { events: 1, transport: 'tcp-socket' } });
    expect(q?.raw.equals(raw)).toBe(true);
    let last = first;
    for (let i = 0; i < 20 && last.status === 'quarantined'; i++) {
      last = await sink.push({ transport: 'serial', receivedAt: Date.now(), data: raw });
    }
    expect(last).toMatchObject({ status: 'failed', reason: { code: 'BL_ERR_OUTBOX_FULL' } });
    expect(outbox.capacity().quarantineBytes).toBeLessThanOrEqual(1_000);
  });

  it('still writes link-status events past the cap', async () => {
    const sink = sinkFor('linked');
    sink.status({ state: 'offline', detail: 'gone' });
    await sink.drain();
    expect(outbox.device('linked')?.status?.state).toBe('offline');
  });
});
