/**
 * Crash safety: the daemon is SIGKILLed at random moments under load, and restarted, again and
 * again. After every kill: SQLite integrity_check is ok; after every restart, no device's
 * sequence has a gap; at the end every event the gateway acknowledged (an ingest answered 201,
 * so made durable) reached the MQTT subscriber, duplicates only with the same eventId.
 *
 * CI runs BL_CRASH_KILLS (default 5) kills; the 50: BL_CRASH_KILLS=50 npx vitest run test/e2e/crash-loop.test.ts
 * (figures in docs/reliability.md).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRpmSimulator, type RpmSimulator } from '../../simulators/rpm/rpm-simulator.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ROOT } from '../helpers/daemon.js';
import { allEventsOf, recordMqtt, startGatewayDaemon, tempDir, waitFor, writeConfig, type Recorder, type TempDir } from '../helpers/e2e-fixtures.js';

const KILLS = Number(process.env.BL_CRASH_KILLS ?? 5);
const DOC = readFileSync(path.join(ROOT, 'adapters/n42-document/testcases/background-only-2012/background-only-2012.n42'), 'utf8');

describe('crash loop: SIGKILL under load, restart, repeat', () => {
  let broker: TestBroker;
  let dir: TempDir;
  let recorder: Recorder;
  const sims: RpmSimulator[] = [];
  beforeAll(async () => {
    broker = await startTestBroker({ persistence: true });
    dir = tempDir();
    sims.push(await startRpmSimulator({ port: 0, scenario: 'demo', seed: 71 }), await startRpmSimulator({ port: 0, scenario: 'demo', seed: 72 }));
    recorder = await recordMqtt(broker.url, { clientId: `bl-crash-sub-${process.pid}`, clean: false, topic: 'borderlink/v1/BGSOF/+/+/+' });
  });
  afterAll(async () => {
    await recorder?.close();
    await Promise.all(sims.map((s) => s.close()));
    await broker?.close();
    dir?.remove();
  });

  it(`keeps every acknowledged event and every sequence across ${KILLS} SIGKILLs`, { timeout: 60_000 + KILLS * 15_000 }, async () => {
    const dataDir = path.join(dir.path, 'data');
    const file = writeConfig(dir.path, {
      gateway: { id: 'bl-crash-gw', siteId: 'BGSOF', dataDir, logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { url: broker.url },
      http: { host: '127.0.0.1', port: 0 },
      devices: [
        ...sims.map((s, i) => ({ id: `rpm-${i + 1}`, adapter: 'rpm-modbus-generic', laneId: String(i + 1), connection: { host: '127.0.0.1', port: s.port }, pollIntervalMs: 100 })),
        { id: 'n42-crash', adapter: 'n42-document', connection: { ingestPath: 'n42' } },
      ],
    });
    const acked = new Set<string>();
    let docNo = 0;
    let lastRest = '';
    let integrityChecks = 0;
    for (let k = 0; k < KILLS; k += 1) {
      const gw = await startGatewayDaemon(file);
      lastRest = gw.rest;
      // after the restart: no gap in any device's sequence so far
      for (const d of ['rpm-1', 'rpm-2', 'n42-crash']) {
        const seqs = (await allEventsOf(gw.rest, d)).map((e) => e.sequence);
        expect(seqs, `${d} after restart ${k}`).toEqual(seqs.map((_, i) => i + 1));
      }
      // load: documents posted back to back until the kill
      let running = true;
      const poster = (async () => {
        while (running) {
          const n = docNo++;
          try {
            const r = await fetch(`${gw.rest}/v1/ingest/n42`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: DOC.replace('<?xml version="1.0" encoding="UTF-8"?>', `<?xml version="1.0" encoding="UTF-8"?>\n<!-- ${n} -->`) });
            if (r.status === 201) for (const id of ((await r.json()) as { eventIds: string[] }).eventIds) acked.add(id);
          } catch {
            // the daemon died mid-request: that document was not acknowledged
          }
        }
      })();
      await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 1500)));
      gw.daemon.child.kill('SIGKILL');
      await gw.daemon.exited;
      running = false;
      await poster;
      const db = new Database(path.join(dataDir, 'outbox.sqlite'), { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        integrityChecks += 1;
      } finally {
        db.close();
      }
    }
    // a last clean run drains the outbox to the broker
    const gw = await startGatewayDaemon(file);
    try {
      const stored: DetectionEvent[] = [];
      for (const d of ['rpm-1', 'rpm-2', 'n42-crash']) {
        const all = await allEventsOf(gw.rest, d);
        expect(all.map((e) => e.sequence), d).toEqual(all.map((_, i) => i + 1));
        stored.push(...all);
      }
      const storedIds = new Set(stored.map((e) => e.eventId));
      for (const id of acked) expect(storedIds.has(id), `acknowledged ${id} is stored`).toBe(true);
      await waitFor(() => {
        const got = new Set(recorder.events().map((e) => e.eventId));
        return [...acked].every((id) => got.has(id)) ? true : undefined;
      }, 'every acknowledged event at the subscriber', 60_000);
      // duplicates only ever repeat an eventId: the same id always carries the same sequence
      const seqOf = new Map<string, number>();
      for (const e of recorder.events()) {
        const s = seqOf.get(e.eventId);
        if (s !== undefined) expect(e.sequence).toBe(s);
        seqOf.set(e.eventId, e.sequence);
      }
      expect(integrityChecks).toBe(KILLS);
      expect(acked.size).toBeGreaterThan(KILLS);
      void lastRest;
    } finally {
      expect((await gw.daemon.stop()).code).toBe(0);
    }
  });
});
