/**
 * A drop of FOLDER_DOCS N42 documents (some invalid) into a watched folder while the daemon is
 * killed (SIGKILL) halfway and started again: every valid document is published exactly once
 * (by eventId and by document UUID), every invalid one ends in failed/ with its reason.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { ROOT } from '../helpers/daemon.js';
import { allEventsOf, recordMqtt, startGatewayDaemon, tempDir, waitFor, writeConfig, type TempDir } from '../helpers/e2e-fixtures.js';

const FOLDER_DOCS = Number(process.env.BL_FOLDER_DOCS ?? 1000);
const INVALID_EVERY = 17; // about 6 % invalid

describe('watched folder drop across a crash', () => {
  let broker: TestBroker;
  let dir: TempDir;
  beforeAll(async () => {
    broker = await startTestBroker({ persistence: true });
    dir = tempDir();
  });
  afterAll(async () => {
    await broker?.close();
    dir?.remove();
  });

  it(`publishes each of ${FOLDER_DOCS} documents exactly once and fails the invalid ones with a reason`, { timeout: 240_000 }, async () => {
    const folder = path.join(dir.path, 'portal-drop');
    const incoming = path.join(folder, 'incoming');
    for (const sub of ['incoming', 'processed', 'failed']) mkdirSync(path.join(folder, sub), { recursive: true });
    const template = readFileSync(path.join(ROOT, 'test', 'fixtures', 'n42', 'portal-2012-dual-alarm.n42'), 'utf8');
    const notN42 = readFileSync(path.join(ROOT, 'test', 'fixtures', 'n42', 'not-n42.xml'), 'utf8');
    const valid = new Set<string>();
    let invalid = 0;
    for (let i = 0; i < FOLDER_DOCS; i++) {
      const name = `doc-${String(i).padStart(5, '0')}`;
      let body: string;
      let ext = '.n42';
      if (i % INVALID_EVERY === 5) {
        invalid += 1;
        body = i % 2 === 0 ? `not xml at all ${i}` : notN42.replace('</', `<!-- ${i} --></`);
        ext = i % 2 === 0 ? '.n42' : '.xml';
      } else {
        const uuid = randomUUID();
        valid.add(uuid);
        body = template.replace(/n42DocUUID="[^"]*"/, `n42DocUUID="${uuid}"`);
      }
      writeFileSync(path.join(incoming, `.${name}.part`), body);
      renameSync(path.join(incoming, `.${name}.part`), path.join(incoming, `${name}${ext}`));
    }
    const sub = await recordMqtt(broker.url, { clientId: 'bl-folder-subscriber', clean: false, topic: 'borderlink/v1/BGSOF/radiation-portal-monitor/portal-drop/#' });
    const file = writeConfig(dir.path, {
      gateway: { id: 'bl-folder-gw', siteId: 'BGSOF', dataDir: path.join(dir.path, 'data'), logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { url: broker.url },
      http: { host: '127.0.0.1', port: 0 },
      devices: [{ id: 'portal-drop', adapter: 'n42-document', laneId: '7', connection: { folder } }],
    });
    const moved = (): number => readdirSync(path.join(folder, 'processed')).length + readdirSync(path.join(folder, 'failed')).filter((f) => !f.endsWith('.error.json')).length;

    const first = await startGatewayDaemon(file);
    try {
      await waitFor(() => moved() >= FOLDER_DOCS / 2, 'half the documents handled', 120_000);
    } finally {
      first.daemon.child.kill('SIGKILL');
      await first.daemon.exited;
    }
    const atCrash = moved();

    const second = await startGatewayDaemon(file);
    try {
      await waitFor(() => readdirSync(incoming).filter((f) => !f.startsWith('.')).length === 0 && moved() === FOLDER_DOCS, 'every document handled', 180_000);
      const processed = readdirSync(path.join(folder, 'processed'));
      const failed = readdirSync(path.join(folder, 'failed'));
      expect(processed.length).toBe(valid.size);
      expect(failed.filter((f) => !f.endsWith('.error.json')).length).toBe(invalid);
      for (const f of failed.filter((x) => x.endsWith('.error.json'))) {
        const reason = JSON.parse(readFileSync(path.join(folder, 'failed', f), 'utf8')) as { code: string; message: string };
        expect(reason.code).toMatch(/^BL_ERR_N42_/);
        expect(reason.message.length).toBeGreaterThan(0);
      }
      // exactly once: one result per valid document, by its UUID, none twice
      const events = (await allEventsOf(second.rest, 'portal-drop')).filter((e) => e.eventType === 'result');
      const uuids = events.map((e) => e.raw?.nativeIds?.n42DocUUID);
      expect(new Set(uuids).size).toBe(uuids.length);
      expect(new Set(uuids)).toEqual(valid);
      // and every one of them reached the subscriber (duplicates on the wire carry the same eventId)
      await sub.waitFor(() => {
        const got = new Set(sub.events().map((e) => e.eventId));
        return events.every((e) => got.has(e.eventId));
      }, 'every result at the subscriber', 60_000);
      expect(atCrash).toBeGreaterThan(0);
    } finally {
      await sub.close();
      expect((await second.daemon.stop()).code).toBe(0);
    }
  });
});
