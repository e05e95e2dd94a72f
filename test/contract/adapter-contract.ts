/**
 * The adapter contract: every adapter runs it against its own simulator through the real
 * connector, pipeline and outbox (the MQTT.js abstract_store pattern). adapters.test.ts
 * enumerates the adapters folder, so no adapter can skip it.
 *
 *  - golden cases: each testcases/<case>/ replayed over the real transport gives the golden events,
 *    or quarantines its bad frame with the golden error code;
 *  - the simulator's device produces a schema-valid alarm result end to end;
 *  - an injected disconnect shows as offline, then online again, and polling resumes;
 *  - malformed transport replies and undecodable values land in quarantine with their code and raw bytes;
 *  - a device that accepts the connection and never answers ends offline, and nothing crashes.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadAdapters } from '../../src/adapter/registry.js';
import type { AnyAdapter } from '../../src/adapter/types.js';
import type { ErrorCode } from '../../src/errors.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { isLinkStatus, startHarness, type HarnessTarget } from './contract-harness.js';
import type { FrameFixture } from '../helpers/modbus-image.js';
import { startReplayServer } from './modbus-replay-server.js';

export const ADAPTERS_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'adapters');

export interface ContractSimulator {
  address: HarnessTarget;
  /** makes the device complete one inspection that alarms */
  produceAlarm(): Promise<void>;
  /** the device reports values its adapter must refuse (NaN, bad lines, bad documents), or healthy ones again */
  corruptValues(on: boolean): void;
  /**
   * Link faults, for adapters whose devices hold a link (Modbus, streams); document adapters
   * (files, uploads) have no link to break and leave these out.
   */
  link?: {
    /** drops every open connection (an injected disconnect) */
    disconnect(): void;
    /** the next replies are malformed at the transport level (true) or healthy again (false); absent for streams without replies */
    malformTransport?(on: boolean): void;
    /** the device accepts connections but never answers (true) or answers again (false) */
    silence(on: boolean): void;
  };
  close(): Promise<void>;
}

export interface AdapterContractKit {
  adapterId: string;
  startSimulator(): Promise<ContractSimulator>;
  /** for devices that hold a link: how a silent device is reported, and whether replies can be malformed */
  linkFaults?: { silentCode: ErrorCode; silentState: 'offline' | 'degraded'; malformedReplies: boolean };
  /**
   * How the golden cases go through the real connector: replayed over Modbus TCP, or dropped into a
   * watched folder. Absent for streams: their cases depend on arrival times a socket cannot replay,
   * and run through decode and normalise only (test/unit/adapter/golden-cases.test.ts).
   */
  goldenThroughConnector?: 'modbus-replay' | 'folder';
  /** the code a corrupted value is quarantined with */
  corruptValueCode: ErrorCode;
}

/** What a golden expected.json holds: the adapter's drafts; the envelope is the gateway's. */
function draftOf(e: DetectionEvent): Record<string, unknown> {
  const { eventId, schemaVersion, receivedAt, sequence, source, ...body } = e;
  void eventId;
  void schemaVersion;
  void receivedAt;
  void sequence;
  const device: Record<string, unknown> = {};
  for (const k of ['firmware', 'serial'] as const) if (source.device[k] !== undefined) device[k] = source.device[k];
  const src: Record<string, unknown> = {};
  if (Object.keys(device).length > 0) src.device = device;
  if (source.algorithm) src.algorithm = source.algorithm;
  return Object.keys(src).length > 0 ? { ...body, source: src } : body;
}

function normaliseDraft(d: Record<string, unknown>): Record<string, unknown> {
  const src = d.source as { device?: Record<string, unknown>; algorithm?: unknown } | undefined;
  if (!src) return d;
  const device: Record<string, unknown> = {};
  for (const k of ['firmware', 'serial']) if (src.device?.[k] !== undefined) device[k] = src.device[k];
  const out: Record<string, unknown> = {};
  if (Object.keys(device).length > 0) out.device = device;
  if (src.algorithm) out.algorithm = src.algorithm;
  const { source, ...rest } = d;
  void source;
  return Object.keys(out).length > 0 ? { ...rest, source: out } : rest;
}

export function adapterContract(kit: AdapterContractKit): void {
  describe(`adapter contract: ${kit.adapterId}`, () => {
    let adapter: AnyAdapter;
    const cleanups: Array<() => Promise<void>> = [];
    beforeAll(async () => {
      const all = await loadAdapters(ADAPTERS_DIR);
      adapter = all.get(kit.adapterId) as AnyAdapter;
      expect(adapter, `adapter ${kit.adapterId} loads`).toBeDefined();
    });
    afterEach(async () => {
      while (cleanups.length > 0) await (cleanups.pop() as () => Promise<void>)();
    });

    const casesDir = path.join(ADAPTERS_DIR, kit.adapterId, 'testcases');
    const cases = existsSync(casesDir) ? readdirSync(casesDir).sort() : [];
    it('has golden test cases', () => {
      expect(cases.length).toBeGreaterThan(0);
    });

    for (const name of kit.goldenThroughConnector ? cases : []) {
      it(`golden case ${name} through the real connector`, async () => {
        if (kit.goldenThroughConnector === 'folder') {
          await documentGoldenCase(adapter, path.join(casesDir, name), cleanups);
          return;
        }
        const dir = path.join(casesDir, name);
        const frames = JSON.parse(readFileSync(path.join(dir, 'input.json'), 'utf8')) as FrameFixture[];
        const replay = await startReplayServer(frames);
        cleanups.push(() => replay.close());
        const h = await startHarness({ adapter, address: { host: '127.0.0.1', port: replay.server.port, unitId: 1 }, clock: replay.clock, pollIntervalMs: 30 });
        cleanups.unshift(() => h.stop());
        await h.waitFor(() => replay.served() >= frames.length, `all ${frames.length} frames served`);
        await h.waitFor(() => h.rows.length > 0 || h.quarantine().length > 0 || replay.served() > frames.length, 'the last frame processed');
        // one more poll of the (repeated) last frame guarantees the last real one was committed
        const servedNow = replay.served();
        await h.waitFor(() => replay.served() > servedNow, 'one more poll');
        const expectedError = path.join(dir, 'expected-error.json');
        if (existsSync(expectedError)) {
          const want = JSON.parse(readFileSync(expectedError, 'utf8')) as { code: ErrorCode };
          const frame = frames[(want as { frame?: number }).frame ?? 0] as FrameFixture;
          const wellSized = frame.blocks.every((b) => Buffer.from(b.data, 'hex').length === (b.table === 'coil' || b.table === 'discrete' ? Math.ceil(b.count / 8) : b.count * 2));
          // A block shorter than its request cannot cross the wire as a well-formed reply: the
          // transport refuses it first (the lean server answers exception 4 rather than send a
          // reply whose byte count contradicts the request; a real device's short reply is malformed).
          const codes: readonly ErrorCode[] = wellSized ? [want.code] : ['BL_ERR_MODBUS_MALFORMED_REPLY', 'BL_ERR_MODBUS_EXCEPTION'];
          const q = h.quarantine().find((r) => codes.includes(r.code));
          expect(q, `quarantined with ${codes.join(' or ')}: ${JSON.stringify(h.quarantine().map((r) => r.code))}`).toBeDefined();
          expect(q?.raw.length).toBeGreaterThan(0);
          expect(q?.adapterVersion).toBe(adapter.version);
        } else {
          const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Record<string, unknown>[];
          const got = h.events().filter((e) => !isLinkStatus(e)).map(draftOf);
          expect(got).toEqual(expected.map(normaliseDraft));
          expect(h.quarantine()).toEqual([]);
        }
      });
    }

    it('makes a schema-valid alarm result from its simulator, end to end', async () => {
      const sim = await kit.startSimulator();
      cleanups.push(() => sim.close());
      const h = await startHarness({ adapter, address: sim.address });
      cleanups.unshift(() => h.stop());
      await h.waitFor(() => h.events().some((e) => isLinkStatus(e) && e.status?.state === 'online'), 'online');
      await sim.produceAlarm();
      // (document devices report online once their folder is readable)
      const result = await h.waitFor(() => h.events().find((e) => e.eventType === 'result' && e.outcome?.state === 'alarm'), 'an alarm result');
      expect(result.source.adapter).toEqual({ id: adapter.id, version: adapter.version });
      expect(result.outcome?.categories?.length).toBeGreaterThan(0);
      // sequences are strictly increasing per device
      const seqs = h.events().map((e) => e.sequence);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    });

    it(`quarantines undecodable values with ${kit.corruptValueCode}`, async () => {
      const sim = await kit.startSimulator();
      cleanups.push(() => sim.close());
      const h = await startHarness({ adapter, address: sim.address });
      cleanups.unshift(() => h.stop());
      await h.waitFor(() => h.events().some((e) => isLinkStatus(e) && e.status?.state === 'online'), 'online');
      sim.corruptValues(true);
      const q = await h.waitFor(() => h.quarantine().find((r) => r.code === kit.corruptValueCode), 'a corrupt value in quarantine');
      expect(q.raw.length).toBeGreaterThan(0);
      expect(q.adapterId).toBe(adapter.id);
      expect(q.adapterVersion).toBe(adapter.version);
    });

    const faults = kit.linkFaults;
    if (faults) {
    it('reports an injected disconnect and resumes polling', async () => {
      const sim = await kit.startSimulator();
      cleanups.push(() => sim.close());
      const h = await startHarness({ adapter, address: sim.address });
      cleanups.unshift(() => h.stop());
      await h.waitFor(() => h.events().some((e) => isLinkStatus(e) && e.status?.state === 'online'), 'online');
      sim.link?.disconnect();
      const down = await h.waitFor(() => {
        const i = h.events().findIndex((e) => isLinkStatus(e) && e.status?.state !== 'online');
        return i >= 0 ? i : undefined;
      }, 'offline after the disconnect');
      // reconnecting can be quick: look for online after the offline event, wherever we are now
      await h.waitFor(() => h.events().slice(down + 1).some((e) => isLinkStatus(e) && e.status?.state === 'online'), 'online again');
    });

  if (faults.malformedReplies) {
    it('quarantines malformed transport replies with their raw bytes and keeps going', async () => {
      const sim = await kit.startSimulator();
      cleanups.push(() => sim.close());
      const h = await startHarness({ adapter, address: sim.address });
      cleanups.unshift(() => h.stop());
      await h.waitFor(() => h.events().some((e) => isLinkStatus(e) && e.status?.state === 'online'), 'online');
      sim.link?.malformTransport?.(true);
      const q = await h.waitFor(() => h.quarantine().find((r) => r.code === 'BL_ERR_MODBUS_MALFORMED_REPLY'), 'a malformed reply in quarantine');
      expect(q.raw.length).toBeGreaterThan(0);
      expect(q.deviceId).toBe('contract-device');
      sim.link?.malformTransport?.(false);
      const seen = h.events().length;
      await sim.produceAlarm();
      await h.waitFor(() => h.events().slice(seen).some((e) => e.eventType === 'result'), 'results after recovery');
    });
  }
    it(`reports a device that accepts the connection but never answers as ${faults.silentState}`, async () => {
      const sim = await kit.startSimulator();
      cleanups.push(() => sim.close());
      sim.link?.silence(true);
      const h = await startHarness({ adapter, address: sim.address, timeoutMs: 300 });
      cleanups.unshift(() => h.stop());
      const off = await h.waitFor(() => h.events().find((e) => isLinkStatus(e) && e.status?.state === faults.silentState), faults.silentState);
      expect(off.raw?.extensions?.code).toBe(faults.silentCode);
      sim.link?.silence(false);
      await h.waitFor(() => h.events().some((e) => isLinkStatus(e) && e.status?.state === 'online'), 'online once it answers');
    });
    }
  });
}

/**
 * A document golden case through the real folder connector: the document dropped in incoming/
 * ends in processed/ with events of the golden types and outcomes, or in failed/ and quarantine
 * with the golden code.
 */
async function documentGoldenCase(adapter: AnyAdapter, caseDir: string, cleanups: Array<() => Promise<void>>): Promise<void> {
  const input = JSON.parse(readFileSync(path.join(caseDir, 'input.json'), 'utf8')) as Array<{ document: string; padToBytes?: number }>;
  const folder = mkdtempSync(path.join(os.tmpdir(), 'bl-contract-folder-'));
  cleanups.push(async () => rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }));
  const h = await startHarness({ adapter, address: { folder } });
  cleanups.unshift(() => h.stop());
  const plan = adapter.acquisition;
  const maxBytes = plan.kind === 'document' ? plan.maxBytes : 0;
  mkdirSync(path.join(folder, 'incoming'), { recursive: true });
  const done = (): boolean => readdirSync(path.join(folder, 'incoming')).filter((f) => !f.startsWith('.')).length === 0;
  // one at a time: a golden case's documents are ordered, and the folder takes each once it is stable
  for (const [i, doc] of input.entries()) {
    let data = readFileSync(path.join(caseDir, doc.document));
    if (doc.padToBytes !== undefined) data = Buffer.concat([data, Buffer.alloc(Math.max(0, doc.padToBytes - data.length), 0x20)]);
    const ext = path.extname(doc.document) || '.xml';
    writeFileSync(path.join(folder, 'incoming', `.${i}.part`), data);
    renameSync(path.join(folder, 'incoming', `.${i}.part`), path.join(folder, 'incoming', `doc-${i}${ext}`));
    await h.waitFor(() => done(), `document ${i} moved out of incoming/`, 20_000);
  }
  const expectedError = path.join(caseDir, 'expected-error.json');
  if (existsSync(expectedError)) {
    const want = JSON.parse(readFileSync(expectedError, 'utf8')) as { code: ErrorCode };
    // an oversize file is refused unread by the folder connector, before the adapter's own check
    const codes: ErrorCode[] = [want.code, ...(input.some((d) => (d.padToBytes ?? 0) > maxBytes) ? (['BL_ERR_INGEST_TOO_LARGE'] as ErrorCode[]) : [])];
    expect(readdirSync(path.join(folder, 'failed')).some((f) => f.endsWith('.error.json'))).toBe(true);
    expect(h.quarantine().some((q) => codes.includes(q.code)), `quarantined with ${codes.join(' or ')}: ${JSON.stringify(h.quarantine().map((q) => q.code))}`).toBe(true);
  } else {
    const expected = JSON.parse(readFileSync(path.join(caseDir, 'expected.json'), 'utf8')) as Array<{ eventType: string; outcome?: { state: string } }>;
    const got = h.events().filter((e) => !isLinkStatus(e));
    expect(got.map((e) => [e.eventType, e.outcome?.state])).toEqual(expected.map((e) => [e.eventType, e.outcome?.state]));
    for (const e of got) expect(e.artifacts?.some((a) => a.kind === 'n42' || a.kind === 'raw' || a.kind === 'jcamp-dx' || a.kind === 'dicos-tdr')).toBe(true);
    expect(readdirSync(path.join(folder, 'processed')).length).toBe(input.length);
  }
}
