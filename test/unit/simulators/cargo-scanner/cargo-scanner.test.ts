import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32 as zlibCrc32, inflateSync } from 'node:zlib';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { DocumentFrame } from '../../../../src/adapter/types.js';
import { createArtifactStore } from '../../../../src/artifacts/artifact-store.js';
import { checkContainerNumber } from '../../../../src/dicos/check-digits.js';
import { decodeReportDocument } from '../../../../src/dicos/decode-report.js';
import { reportToDraft } from '../../../../src/dicos/report-events.js';
import { checkThreatReport } from '../../../../src/dicos/threat-report-schema.js';
import { SHARED_SCHEMAS } from '../../../../src/http/api-schemas.js';
import { installProblemHandlers } from '../../../../src/http/problem.js';
import { scannerUploadRoutes } from '../../../../src/http/routes/scanner-upload.js';
import { silentLogger } from '../../../../src/log.js';
import { startCargoScannerSimulator } from '../../../../simulators/cargo-scanner/cargo-scanner-simulator.js';
import { runCargoScannerCommand } from '../../../../simulators/cargo-scanner/cargo-command.js';
import { crc32, encodeGreyPng, renderScanImage } from '../../../../simulators/cargo-scanner/png.js';
import { createScanFactory, SCAN_KINDS } from '../../../../simulators/cargo-scanner/scans.js';

/** The chunks of a PNG file: type, data, and whether the CRC verifies. */
function chunks(png: Buffer): Array<{ type: string; data: Buffer; crcOk: boolean }> {
  const out = [];
  let at = 8;
  while (at < png.length) {
    const len = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString('ascii');
    const data = png.subarray(at + 8, at + 8 + len);
    const crc = png.readUInt32BE(at + 8 + len);
    out.push({ type, data, crcOk: crc === zlibCrc32(png.subarray(at + 4, at + 8 + len)) });
    at += 12 + len;
  }
  return out;
}

describe('PNG encoder', () => {
  it('computes CRC-32 like zlib', () => {
    expect(crc32(Buffer.from('IEND'))).toBe(0xae426082);
    expect(crc32(Buffer.from('123456789'))).toBe(zlibCrc32(Buffer.from('123456789')));
  });

  it('writes a valid greyscale PNG: signature, IHDR, IDAT that inflates to the pixels, IEND', () => {
    const px = Uint8Array.from({ length: 6 }, (_, i) => i * 40);
    const png = encodeGreyPng(3, 2, px);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const c = chunks(png);
    expect(c.map((x) => x.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(c.every((x) => x.crcOk)).toBe(true);
    const ihdr = c[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9], ihdr[12]]).toEqual([3, 2, 8, 0, 0]);
    expect(inflateSync(c[1]!.data)).toEqual(Buffer.from([0, 0, 40, 80, 0, 120, 160, 200]));
    expect(() => encodeGreyPng(2, 2, new Uint8Array(3))).toThrow(RangeError);
  });

  it('draws threat rectangles dark on a lighter load', () => {
    const png = renderScanImage(40, 20, [{ base: [5, 6], extent: [4, 3] }]);
    const rows = inflateSync(chunks(png)[1]!.data);
    const at = (x: number, y: number): number => rows[y * 41 + 1 + x] as number;
    expect(at(6, 7)).toBe(40);
    expect(at(20, 10)).toBeGreaterThan(100);
    expect(at(0, 0)).toBe(235);
    expect(renderScanImage(40, 20, [{ base: [5, 6], extent: [4, 3] }])).toEqual(png);
  });
});

describe('cargo scan factory', () => {
  it.each(SCAN_KINDS)('%s: valid reports that map to valid events, with ISO 6346 container ids', (kind) => {
    const reports = createScanFactory({ seed: 3 }).next(kind, Date.UTC(2026, 10, 23, 10));
    expect(reports.length).toBe(kind === 'operator-override' ? 2 : 1);
    for (const r of reports) {
      expect(checkThreatReport(r.report)).toMatchObject({ ok: true });
      const stored = r.images.map((i) => ({ id: i.id, sha256: i.sha256, bytes: i.data.length, mediaType: i.mediaType, uri: `/v1/artifacts/${i.sha256}` }));
      const d = reportToDraft(r.report, { format: 'x', stored });
      expect(d.ok).toBe(true);
      for (const img of r.images) expect(createHash('sha256').update(img.data).digest('hex')).toBe(img.sha256);
      for (const c of r.report.conveyances ?? []) if (c.type === 'container') expect(checkContainerNumber(c.id).checkDigitValid).toBe(true);
    }
    const state = { clear: 'CLEAR', alarm: 'ALARM', aborted: 'UNKNOWN', 'operator-override': 'ALARM' }[kind];
    expect(reports[0]?.report.alarmDecision).toBe(state);
    if (kind === 'aborted') expect(reports[0]?.report.abortFlag).toBe('ABORT');
    if (kind === 'alarm') expect(reports[0]?.report.threatObjects).toHaveLength(2);
    if (kind === 'operator-override') expect(reports[1]?.report).toMatchObject({ tdrType: 'OPERATOR', alarmDecision: 'CLEAR', scanId: reports[0]?.report.scanId });
  });

  it('is deterministic for a seed', () => {
    const a = createScanFactory({ seed: 9 }).next('alarm', 0);
    const b = createScanFactory({ seed: 9 }).next('alarm', 0);
    expect(JSON.stringify(a.map((r) => r.report))).toBe(JSON.stringify(b.map((r) => r.report)));
    expect(a[0]?.images[0]?.sha256).toBe(b[0]?.images[0]?.sha256);
  });
});

describe('cargo scanner simulator', () => {
  it('serves its scans for polling, with images to fetch', async () => {
    const sim = await startCargoScannerSimulator({ mode: 'poll', port: 0, scenario: 'alarm', seed: 5 });
    try {
      expect(await (await fetch(`${sim.url}/scans?since=0`)).json()).toEqual({ scans: [], next: '0' });
      await sim.produce();
      await sim.produce('operator-override');
      const page = await (await fetch(`${sim.url}/scans?since=0&limit=10`)).json() as { scans: Array<{ sequence: number; report: { images?: Array<{ uri: string; sha256: string; bytes: number }> } }>; next: string };
      expect(page.scans.map((s) => s.sequence)).toEqual([1, 2, 3]);
      expect(page.next).toBe('3');
      const img = page.scans[0]?.report.images?.[0];
      const bytes = Buffer.from(await (await fetch(img?.uri as string)).arrayBuffer());
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(img?.sha256);
      expect(bytes.length).toBe(img?.bytes);
      expect(decodeReportDocument(Buffer.from(JSON.stringify(page.scans[0]?.report))).ok).toBe(true);
      const since = await (await fetch(`${sim.url}/scans?since_id=2`)).json() as { scans: unknown[] };
      expect(since.scans).toHaveLength(1);
      expect((await fetch(`${sim.url}/images/${'0'.repeat(64)}.png`)).status).toBe(404);
      expect(await (await fetch(`${sim.url}/status`)).json()).toEqual({ state: 'ready' });
    } finally {
      await sim.close();
    }
  });

  it('posts results as multipart the gateway route accepts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-cargo-webhook-'));
    const frames: DocumentFrame[] = [];
    const app = Fastify({ logger: false });
    let sim: Awaited<ReturnType<typeof startCargoScannerSimulator>> | undefined;
    try {
      for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
      installProblemHandlers(app);
      await app.register(scannerUploadRoutes, {
        prefix: '/v1',
        targets: new Map([['lane1', { deviceId: 'x', push: async (f: DocumentFrame) => { frames.push(f); return { status: 'accepted' as const, eventIds: ['e'] }; } }]]),
        artifacts: createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger() }),
        authenticated: false,
      });
      const address = await app.listen({ host: '127.0.0.1', port: 0 });
      sim = await startCargoScannerSimulator({ mode: 'webhook', webhookUrl: `${address}/v1/scanners/lane1/results`, scenario: 'demo', seed: 5 });
      for (let i = 0; i < 5; i += 1) await sim.produce();
      expect(sim.deliveries().map((d) => d.status)).toEqual([201, 201, 201, 201, 201, 201]);
      const decoded = frames.map((f) => decodeReportDocument(f.data, { allowEnvelope: true }));
      expect(decoded.every((d) => d.ok)).toBe(true);
      const alarm = decoded[1];
      expect(alarm?.ok && alarm.value.stored.map((s) => s.id)).toEqual(['top']);
      sim.corrupt(true);
      await sim.produce('alarm');
      expect(sim.deliveries().at(-1)?.status).toBe(422);
    } finally {
      await sim?.close();
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs from the command line until stopped, and refuses bad options', async () => {
    const out: string[] = [];
    const ac = new AbortController();
    const run = runCargoScannerCommand(['--port', '0', '--scenario', 'clear', '--interval', '100000'], { stdout: { write: (s) => out.push(s) }, stderr: { write: () => undefined }, signal: ac.signal, logger: silentLogger() });
    for (let i = 0; i < 200 && out.length === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(JSON.parse(out[0] as string)).toMatchObject({ simulator: 'cargo-scanner', mode: 'poll', scenario: 'clear' });
    ac.abort();
    await expect(run).resolves.toBe(0);
    const err: string[] = [];
    await expect(runCargoScannerCommand(['--scenario', 'nope'], { stderr: { write: (s) => err.push(s) }, stdout: { write: () => undefined } })).resolves.toBe(2);
    expect(err.join('')).toContain('unknown scenario');
    await expect(runCargoScannerCommand(['--webhook', 'ftp://x', '--port', '1'], { stderr: { write: () => undefined }, stdout: { write: () => undefined } })).resolves.toBe(2);
  });
});
