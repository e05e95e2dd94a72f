/**
 * Cargo X-ray scanner over HTTP. The contract drives the adapter through the watched-folder
 * connector (a scanner's report export, the same codec as the upload and poll paths): the kit's
 * "device" is the cargo-scanner simulator's scan factory, writing each report as a file the way
 * an export does (write elsewhere, then rename into incoming/). The multipart upload route and
 * the poll path have their own tests (test/unit/http/scanner-upload.test.ts,
 * test/e2e/scanner-upload.test.ts, test/unit/dicos/poll-images.test.ts). Documents have no link
 * to break, so the link-fault tests do not apply.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdapterContractKit } from '../adapter-contract.js';
import { createScanFactory, type SimReport } from '../../../simulators/cargo-scanner/scans.js';

/** The report as a scanner exports it: its images referenced where the scanner serves them. */
function exported(r: SimReport): string {
  const images = r.images.map((img) => ({ id: img.id, uri: `http://scanner.invalid/images/${img.sha256}.png`, sha256: img.sha256, bytes: img.data.length, mediaType: img.mediaType, kind: 'image' }));
  return JSON.stringify(images.length > 0 ? { ...r.report, images } : r.report);
}

export const kit: AdapterContractKit = {
  adapterId: 'cargo-scanner-http',
  goldenThroughConnector: 'folder',
  corruptValueCode: 'BL_ERR_DICOS_REPORT_INVALID',
  async startSimulator() {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'bl-cargo-kit-'));
    mkdirSync(path.join(folder, 'incoming'), { recursive: true });
    const scans = createScanFactory({ seed: 17 });
    let n = 0;
    const drop = (text: string): void => {
      n += 1;
      const tmp = path.join(folder, 'incoming', `.scan-${n}.part`);
      writeFileSync(tmp, text);
      renameSync(tmp, path.join(folder, 'incoming', `scan-${n}.json`));
    };
    return {
      address: { folder },
      async produceAlarm() {
        for (const r of scans.next('alarm', Date.now())) drop(exported(r));
      },
      corruptValues: (on: boolean) => {
        if (!on) return;
        const [r] = scans.next('alarm', Date.now());
        if (r) drop(JSON.stringify({ ...r.report, threatObjects: [{ id: 'x', category: 'ANOMALY', probability: 87 }] }));
      },
      close: async () => rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }),
    };
  },
};
