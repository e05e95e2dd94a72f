/**
 * ANSI N42.42 documents arrive as files: the kit's "device" is a writer that drops documents into
 * the watched folder the way a vendor's export does (write elsewhere, then rename into incoming/).
 * Documents have no link to break, so the link-fault tests do not apply.
 */
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AdapterContractKit } from '../adapter-contract.js';

const FIXTURES = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'fixtures', 'n42');

export const kit: AdapterContractKit = {
  adapterId: 'n42-document',
  goldenThroughConnector: 'folder',
  corruptValueCode: 'BL_ERR_N42_NOT_N42',
  async startSimulator() {
    const folder = mkdtempSync(path.join(os.tmpdir(), 'bl-n42-kit-'));
    mkdirSync(path.join(folder, 'incoming'), { recursive: true });
    let n = 0;
    const drop = (fixture: string, rewrite?: (xml: string) => string): void => {
      n += 1;
      let text = readFileSync(path.join(FIXTURES, fixture), 'utf8');
      if (rewrite) text = rewrite(text);
      const tmp = path.join(folder, 'incoming', `.drop-${n}.part`);
      writeFileSync(tmp, text);
      renameSync(tmp, path.join(folder, 'incoming', `drop-${n}${path.extname(fixture)}`));
    };
    return {
      address: { folder },
      async produceAlarm() {
        drop('portal-2012-dual-alarm.n42');
      },
      corruptValues: (on: boolean) => {
        if (on) drop('not-n42.xml');
      },
      // the connector may still be moving a file out of incoming/: retry a busy directory
      close: async () => rmSync(folder, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 }),
    };
  },
};
