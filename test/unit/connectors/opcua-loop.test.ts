/**
 * The OPC UA connector's loop with a fake link (no server): snapshot first, online only once the
 * subscription publishes, reconnection after a lost link, failures reported with their code,
 * stop while an opening hangs.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createOpcUaConnector, type OpcUaConnectorOptions } from '../../../src/connectors/opcua.js';
import type { LinkParams, OpcUaLink, OpenOutcome } from '../../../src/connectors/opcua-link.js';
import type { ClientPki } from '../../../src/connectors/opcua-pki.js';
import type { ItemValue } from '../../../src/connectors/opcua-frames.js';
import type { Connector } from '../../../src/connectors/types.js';
import { opcuaSettings, recordingOpcUaSink, waitUntil, type RecordingOpcUaSink } from '../../helpers/opcua.js';

const logger = pino({ level: 'silent' });
const fakePki = { release: () => Promise.resolve() } as unknown as ClientPki;
const plan = {
  kind: 'opcua' as const,
  nodes: [{ name: 'seq', nodeId: 'ns=2;s=Seq', samplingIntervalMs: 0, queueSize: 1 }],
  events: { notifier: 'i=2253', fields: ['EventId'] },
  publishingIntervalMs: 50,
  keepAliveCount: 2,
};

interface FakeServer {
  opened: LinkParams[];
  closed: number;
  /** what the next opening does */
  next: Array<'ok' | 'refuse' | 'hang'>;
  readGate: Promise<void>;
  value: number;
}

function fake(): FakeServer & { open: (p: LinkParams) => Promise<OpenOutcome> } {
  const s: FakeServer = { opened: [], closed: 0, next: [], readGate: Promise.resolve(), value: 1 };
  return Object.assign(s, {
    open: async (p: LinkParams): Promise<OpenOutcome> => {
      s.opened.push(p);
      const what = s.next.shift() ?? 'ok';
      if (what === 'refuse') return { ok: false, state: 'offline', code: 'BL_ERR_OPCUA_SESSION_REFUSED', message: 'identity rejected' };
      if (what === 'hang') {
        await new Promise<void>((resolve) => p.signal.addEventListener('abort', () => resolve(), { once: true }));
        return { ok: false, state: 'offline', code: 'BL_ERR_CONNECT_FAILED', message: 'stopped' };
      }
      const link: OpcUaLink = {
        publishingIntervalMs: 50,
        keepAliveCount: 2,
        security: 'SignAndEncrypt/Basic256Sha256',
        async readAll(): Promise<ItemValue[]> {
          await s.readGate;
          return [{ name: 'seq', value: s.value, quality: 'good' }];
        },
        close() {
          s.closed += 1;
          return Promise.resolve();
        },
      };
      return { ok: true, link };
    },
  });
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function start(rec: RecordingOpcUaSink, f: ReturnType<typeof fake>, over: Partial<OpcUaConnectorOptions> = {}): Connector {
  const c = createOpcUaConnector({
    deviceId: 'fake-1', endpointUrl: 'opc.tcp://fake:4840', settings: opcuaSettings('/nonexistent'), plan, sink: rec.sink, logger,
    clock: { now: () => Date.now() }, backoff: { baseMs: 10, capMs: 20 }, random: () => 0.5, openLink: f.open, openPki: () => Promise.resolve(fakePki),
    ...over,
  });
  cleanups.push(() => c.stop());
  void c.start();
  return c;
}

describe('OPC UA connector loop', () => {
  it('pushes the snapshot before notifications that arrived while it was read, and is online only once the subscription publishes', async () => {
    const f = fake();
    let release: () => void = () => undefined;
    f.readGate = new Promise<void>((r) => { release = r; });
    const rec = recordingOpcUaSink();
    start(rec, f);
    await waitUntil(() => f.opened.length === 1, 5_000, 'an opening');
    const p = f.opened[0] as LinkParams;
    p.onPublish({ entries: [{ kind: 'data', items: [{ name: 'seq', value: 2, quality: 'good' }] }, { kind: 'event', fields: { EventId: 'AQ==' } }] });
    expect(rec.frames).toHaveLength(0);
    release();
    await waitUntil(() => rec.frames.length === 3, 5_000, 'three frames');
    expect(rec.frames.map((fr) => [fr.source, fr.values.seq, fr.changed])).toEqual([
      ['data-change', 1, ['seq']],
      ['data-change', 2, ['seq']],
      ['event', 2, []],
    ]);
    await waitUntil(() => rec.lastStatus()?.state === 'online', 5_000, 'online');
  });

  it('a link that never publishes is degraded by the watchdog, not online', async () => {
    const f = fake();
    const rec = recordingOpcUaSink();
    start(rec, f);
    await waitUntil(() => rec.statuses.some((s) => s.state === 'degraded'), 5_000, 'degraded'); // (2+1) x 50 x 2 = 300 ms
    expect(rec.statuses.find((s) => s.state === 'degraded')).toMatchObject({ code: 'BL_ERR_DEVICE_UNRESPONSIVE' });
    expect(rec.statuses.some((s) => s.state === 'online')).toBe(false);
    await waitUntil(() => f.opened.length >= 2, 5_000, 'a rebuild');
    expect(f.closed).toBeGreaterThanOrEqual(1);
  });

  it('reports a refused opening with its code, retries, and comes back after a lost link', async () => {
    const f = fake();
    f.next.push('refuse');
    const rec = recordingOpcUaSink();
    start(rec, f);
    await waitUntil(() => rec.statuses.length > 0, 5_000, 'a status');
    expect(rec.statuses[0]).toMatchObject({ state: 'offline', code: 'BL_ERR_OPCUA_SESSION_REFUSED', detail: 'identity rejected' });
    await waitUntil(() => f.opened.length === 2, 5_000, 'a retry');
    const p = f.opened[1] as LinkParams;
    p.onPublish({ entries: [] }); // a keep-alive
    await waitUntil(() => rec.lastStatus()?.state === 'online', 5_000, 'online');
    f.value = 7;
    p.onLost('connection lost');
    await waitUntil(() => f.opened.length === 3, 5_000, 'a reconnection');
    expect(rec.statuses.map((s) => s.state)).toEqual(['offline', 'online', 'offline']);
    (f.opened[2] as LinkParams).onPublish({ entries: [] });
    await waitUntil(() => rec.lastStatus()?.state === 'online', 5_000, 'online again');
    // the snapshot after the reconnection carries the value that changed while away
    expect(rec.frames.at(-1)).toMatchObject({ source: 'data-change', values: { seq: 7 }, changed: ['seq'] });
  });

  it('stop ends an opening that hangs, within its timeout', async () => {
    const f = fake();
    f.next.push('hang');
    const rec = recordingOpcUaSink();
    const c = start(rec, f, { stopTimeoutMs: 1_000 });
    await waitUntil(() => f.opened.length === 1, 5_000, 'an opening');
    const t0 = Date.now();
    await c.stop();
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(rec.statuses).toEqual([]);
  });

  it('refuses an invalid plan, and mode None without the opt-in, when built', () => {
    const rec = recordingOpcUaSink();
    expect(() => createOpcUaConnector({
      deviceId: 'bad', endpointUrl: 'http://x', settings: opcuaSettings('/x', { security: { policy: 'Basic256Sha256', mode: 'None', allowInsecure: false } }),
      plan: { ...plan, nodes: [] , events: undefined }, sink: rec.sink, logger, clock: { now: () => 0 },
    })).toThrow(/plan monitors no node.*not opc\.tcp.*allowInsecure/);
  });
});
