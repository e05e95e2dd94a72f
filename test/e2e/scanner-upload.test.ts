/**
 * A cargo X-ray scanner uploading its results to the real daemon (dist/src/main.js) as
 * multipart/form-data: every scenario of the simulator becomes the right events, images are kept
 * once as artifacts and served back, a retried upload is a duplicate, and refused uploads leave
 * nothing behind in the artifact folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../src/schema/detection-event.js';
import { startCargoScannerSimulator, webhookForm, type CargoScannerSimulator } from '../../simulators/cargo-scanner/cargo-scanner-simulator.js';
import { renderScanImage } from '../../simulators/cargo-scanner/png.js';
import { allEventsOf, startGatewayDaemon, tempDir, waitFor, writeConfig, type StartedDaemon, type TempDir } from '../helpers/e2e-fixtures.js';

const DEVICE = 'xray-lane3';
const MAX_IMAGE = 256 * 1024;

/** every file under dir, relative, sorted */
function listing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return (readdirSync(dir, { recursive: true }) as string[]).map(String).filter((f) => statSync(path.join(dir, f)).isFile()).sort();
}

describe('scanner result uploads through the daemon', () => {
  let dir: TempDir;
  let gw: StartedDaemon;
  let sim: CargoScannerSimulator;
  let url = '';
  let artifactsDir = '';

  beforeAll(async () => {
    dir = tempDir('bl-e2e-scanner-');
    const dataDir = path.join(dir.path, 'data');
    artifactsDir = path.join(dataDir, 'artifacts');
    const file = writeConfig(dir.path, {
      gateway: { id: 'bl-scanner-gw', siteId: 'BGSOF', dataDir, logLevel: 'info', shutdownTimeoutMs: 4000 },
      mqtt: { embedded: { host: '127.0.0.1', port: 0 } },
      http: { host: '127.0.0.1', port: 0, scannerUpload: { maxImageBytes: MAX_IMAGE, maxImages: 3, maxResultBytes: 64 * 1024 } },
      artifacts: { retention: { maxAgeDays: 30, intervalMinutes: 60 } },
      devices: [{ id: DEVICE, adapter: 'cargo-scanner-http', laneId: '3', connection: { ingestPath: 'lane3' } }],
    });
    gw = await startGatewayDaemon(file);
    url = `${gw.rest}/v1/scanners/lane3/results`;
    sim = await startCargoScannerSimulator({ mode: 'webhook', webhookUrl: url, scenario: 'demo', seed: 21 });
  }, 60_000);

  afterAll(async () => {
    await sim?.close();
    if (gw) {
      const { code } = await gw.daemon.stop('SIGTERM');
      expect(code).toBe(0);
    }
    dir?.remove();
  });

  const post = (form: FormData): Promise<Response> => fetch(url, { method: 'POST', body: form });

  it('turns every scenario into the right events, with images kept as artifacts', async () => {
    for (const kind of ['clear', 'alarm', 'aborted', 'operator-override'] as const) await sim.produce(kind);
    expect(sim.deliveries().map((d) => d.status)).toEqual([201, 201, 201, 201, 201]);
    const events = await waitFor(async () => {
      const all = (await allEventsOf(gw.rest, DEVICE)).filter((e) => e.raw?.format !== 'link-status');
      return all.length >= 5 ? all : undefined;
    }, 'five events');
    expect(events.map((e) => [e.eventType, e.outcome?.state, e.outcome?.decisionBy])).toEqual([
      ['result', 'clear', 'machine'],
      ['result', 'alarm', 'machine'],
      ['result', 'aborted', 'machine'],
      ['result', 'alarm', 'machine'],
      ['operator-decision', 'clear', 'operator'],
    ]);
    const alarm = events[1] as DetectionEvent;
    expect(alarm.source.device.class).toBe('xray-scanner');
    expect(alarm.outcome?.categories).toEqual(['contraband', 'anomaly']);
    const image = alarm.artifacts?.find((a) => a.kind === 'image');
    expect(image).toBeDefined();
    expect(alarm.findings?.every((f) => f.region?.artifactRef === image?.sha256)).toBe(true);
    const res = await fetch(`${gw.rest}${image?.uri as string}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(image?.sha256);
    expect(events[4]?.subject?.inspectionId).toBe(events[3]?.subject?.inspectionId);
    expect(events[4]?.source.operatorId).toMatch(/^op-/);
  });

  it('keeps an image sent twice once, and answers a retried upload as a duplicate', async () => {
    const png = renderScanImage(320, 120, [{ base: [10, 10], extent: [30, 20] }], 111);
    const sha = createHash('sha256').update(png).digest('hex');
    const report = (scanId: string): object => ({
      scanId, scanTime: '2026-11-23T10:00:00Z', alarmDecision: 'ALARM',
      threatObjects: [{ id: '1', category: 'EXPLOSIVE', assessment: 'THREAT', probability: 0.7, image: 'top', base: [10, 10], extent: [30, 20] }],
    });
    const img = (name: string) => [{ id: 'top', filename: name, mediaType: 'image/png', data: png, sha256: sha }];
    const first = await post(webhookForm(report('DUP-1') as never, img('a.png')));
    expect(first.status).toBe(201);
    const after1 = listing(artifactsDir);
    const second = await post(webhookForm(report('DUP-2') as never, img('b.png')));
    expect(second.status).toBe(201);
    const after2 = listing(artifactsDir);
    expect(after2.filter((f) => f.endsWith(sha))).toEqual([path.join(sha.slice(0, 2), sha)]);
    // the second upload added its raw report envelope and its sidecar, not the image again
    expect(after2.length - after1.length).toBe(2);
    const retry = await post(webhookForm(report('DUP-2') as never, img('b.png')));
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ duplicate: true });
    expect(listing(artifactsDir)).toEqual(after2);
    const events = (await allEventsOf(gw.rest, DEVICE)).filter((e) => e.subject?.inspectionId?.startsWith('DUP-'));
    expect(events.map((e) => e.findings?.[0]?.region?.artifactRef)).toEqual([sha, sha]);
  });

  it('refuses wrong uploads with a coded problem and leaves nothing behind', async () => {
    const before = listing(artifactsDir);
    const good = JSON.stringify({ scanId: 'BAD-1', scanTime: '2026-11-23T10:00:00Z', alarmDecision: 'CLEAR' });
    const cases: Array<[string, () => Promise<Response>, number, string]> = [
      ['an image over the limit', () => {
        const f = new FormData();
        f.append('result', good);
        f.append('top', new Blob([Buffer.alloc(MAX_IMAGE + 1, 3)], { type: 'image/png' }), 'big.png');
        return post(f);
      }, 413, 'BL_ERR_INGEST_TOO_LARGE'],
      ['malformed multipart', () => fetch(url, { method: 'POST', body: '--b\r\nContent-Disposition: form-data; name="result"\r\n\r\n{', headers: { 'content-type': 'multipart/form-data; boundary=b' } }), 400, 'BL_ERR_SCANNER_UPLOAD_INVALID'],
      ['no result part', () => {
        const f = new FormData();
        f.append('top', new Blob([Buffer.from('png?')], { type: 'image/png' }), 'x.png');
        return post(f);
      }, 400, 'BL_ERR_SCANNER_UPLOAD_INVALID'],
      ['a result that is not valid', () => {
        const f = new FormData();
        f.append('result', '{"scanId": "BAD-2", "alarmDecision": "PERHAPS"}');
        f.append('top', new Blob([Buffer.from('an image that must not be kept')], { type: 'image/png' }), 'x.png');
        return post(f);
      }, 422, 'BL_ERR_DICOS_REPORT_INVALID'],
      ['not multipart', () => fetch(url, { method: 'POST', body: good, headers: { 'content-type': 'application/json' } }), 415, 'BL_ERR_INGEST_MEDIA_TYPE'],
    ];
    for (const [what, send, status, code] of cases) {
      let res: Response;
      try {
        res = await send();
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
      expect(res.status, what).toBe(status);
      expect(res.headers.get('content-type'), what).toContain('application/problem+json');
      expect(((await res.json()) as { code: string }).code, what).toBe(code);
      expect(listing(artifactsDir), what).toEqual(before);
    }
    expect(before.filter((f) => path.basename(f).startsWith('.'))).toEqual([]);
  });
});
