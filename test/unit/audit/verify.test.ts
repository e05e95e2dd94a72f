import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAuditLog } from '../../../src/audit/audit-log.js';
import { verifyAuditChunks, verifyAuditLog, type VerifyResult } from '../../../src/audit/verify.js';
import { BorderlinkError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/log.js';

let dir = '';
let good = Buffer.alloc(0);
/** byte offset where each line starts, and one past the end */
let starts: number[] = [];

async function* once(b: Buffer): AsyncIterable<Buffer> {
  yield b;
}
const verifyBytes = (b: Buffer): Promise<VerifyResult> => verifyAuditChunks(once(b));

function lineOf(b: Buffer, k: number): string {
  return b.toString('utf8').split('\n')[k - 1] ?? '';
}

function withLine(b: Buffer, k: number, edit: (line: string) => string): Buffer {
  const lines = b.toString('utf8').split('\n');
  lines[k - 1] = edit(lines[k - 1] ?? '');
  return Buffer.from(lines.join('\n'));
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-audit-verify-'));
  const file = path.join(dir, 'audit.log');
  let t = Date.UTC(2026, 0, 1);
  const log = await openAuditLog({ file, logger: silentLogger(), clock: { now: () => (t += 1234) } });
  log.append({ kind: 'start', actor: { name: 'borderlink', via: 'gateway' }, action: 'gateway.start', outcome: 'ok', detail: { version: '0.1.0' } });
  log.append({ kind: 'config', actor: { name: 'borderlink' }, action: 'config.load', outcome: 'ok', detail: { configHash: 'a'.repeat(64), changed: true } });
  log.append({ kind: 'access', actor: { name: 'customs-cr', agency: 'customs', via: 'api-key' }, action: 'GET /v1/events?site=BGSOF', outcome: 'allow', detail: { count: 25, big: 1e21, tiny: 1.5e-7 } });
  log.append({ kind: 'access', actor: { name: 'police', agency: 'border-police', via: 'jwt' }, action: 'GET /v1/artifacts/ab12', outcome: 'deny', reason: 'artifacts redacted for agency border-police' });
  log.append({ kind: 'auth', actor: { name: 'unknown', via: 'mqtt-cert' }, action: 'mqtt.connect', outcome: 'deny', reason: 'client certificate from an unknown CA', detail: { cn: 'Zoë \u001f Ünïcödé ✓ 🚧', ctl: '\t\n\r' } });
  log.append({ kind: 'decision', actor: { name: 'officer-7', agency: 'customs', via: 'jwt' }, action: 'POST /v1/events/0190/decision', outcome: 'ok', detail: { verdict: 'cleared', note: 'say "hi" \\ back' } });
  log.append({ kind: 'access', actor: { name: 'police', agency: 'border-police', via: 'mqtt-password' }, action: 'mqtt.subscribe borderlink/v1/agency/border-police/#', outcome: 'allow', detail: { list: [1, 2, { z: null, a: false }] } });
  log.append({ kind: 'stop', actor: { name: 'borderlink' }, action: 'gateway.stop', outcome: 'ok' });
  await log.close();
  good = fs.readFileSync(file);
  starts = [0];
  for (let i = 0; i < good.length; i++) if (good[i] === 0x0a) starts.push(i + 1);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('audit verify', () => {
  it('passes an untouched log and an empty one', async () => {
    expect(await verifyAuditLog(path.join(dir, 'audit.log'))).toEqual({ ok: true, lines: 8 });
    fs.writeFileSync(path.join(dir, 'empty.log'), '');
    expect(await verifyAuditLog(path.join(dir, 'empty.log'))).toEqual({ ok: true, lines: 0 });
  });

  it('reports an altered line as itself', async () => {
    const r = await verifyBytes(withLine(good, 4, (l) => l.replace('"deny"', '"allow"')));
    expect(r).toEqual({ ok: false, line: 4, reason: expect.stringMatching(/hash does not match/) as unknown as string, lines: 4 });
    expect(await verifyBytes(withLine(good, 3, (l) => l.replace('"count":25', '"count":26')))).toMatchObject({ ok: false, line: 3 });
    expect(await verifyBytes(withLine(good, 1, (l) => l.replace(/"hash":"./, '"hash":"f')))).toMatchObject({ ok: false, line: 1 });
    expect(await verifyBytes(withLine(good, 2, (l) => l.replace('"seq":2', '"seq":9')))).toMatchObject({ ok: false, line: 2 });
  });

  it('refuses bytes changed without changing the value (escapes, exponents, spacing, BOM)', async () => {
    expect(lineOf(good, 5)).toContain('\\u001f');
    const cases = [
      withLine(good, 5, (l) => l.replace('\\u001f', '\\u001F')),
      withLine(good, 3, (l) => l.replace('1e+21', '1E+21')),
      withLine(good, 6, (l) => l.replace('"outcome":"ok"', '"outcome": "ok"')),
      withLine(good, 7, (l) => `\uFEFF${l}`),
    ];
    const lines = [5, 3, 6, 7];
    for (const [i, b] of cases.entries()) {
      expect(await verifyBytes(b), `case ${i}`).toMatchObject({ ok: false, line: lines[i] });
    }
    expect(await verifyBytes(cases[0]!)).toMatchObject({ reason: expect.stringMatching(/canonical/) as unknown as string });
  });

  it('reports a deleted line at the line that follows it, swapped lines at the first', async () => {
    const lines = good.toString('utf8').split('\n');
    const deleted = Buffer.from([...lines.slice(0, 3), ...lines.slice(4)].join('\n'));
    const r = await verifyBytes(deleted);
    expect(r).toMatchObject({ ok: false, line: 4 });
    expect(r.ok ? '' : r.reason).toMatch(/seq 5 where 4 was expected/);
    expect(await verifyBytes(Buffer.from(lines.slice(1).join('\n')))).toMatchObject({ ok: false, line: 1 });
    const swapped = [...lines];
    [swapped[5], swapped[6]] = [swapped[6]!, swapped[5]!];
    expect(await verifyBytes(Buffer.from(swapped.join('\n')))).toMatchObject({ ok: false, line: 6 });
  });

  it('reports a truncated last line, however much of it is gone', async () => {
    for (const cut of [1, 2, 30, starts[8]! - starts[7]! - 1]) {
      const r = await verifyBytes(good.subarray(0, good.length - cut));
      expect(r, `cut ${cut}`).toMatchObject({ ok: false, line: 8, lines: 8 });
      expect(r.ok ? '' : r.reason).toMatch(/incomplete last line/);
    }
  });

  it('reads the same in chunks of any size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: good.length }), { maxLength: 12 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        let from = 0;
        const parts: Buffer[] = [];
        for (const p of points) {
          parts.push(good.subarray(from, p));
          from = p;
        }
        parts.push(good.subarray(from));
        async function* gen(): AsyncIterable<Buffer> {
          yield* parts;
        }
        expect(await verifyAuditChunks(gen())).toEqual({ ok: true, lines: 8 });
      }),
      { numRuns: 100 },
    );
  });

  it('property: one random byte altered in line k is reported at line k (never later)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 7 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 255 }), async (k, where, delta) => {
        // any byte of line k+1 (1-based), its terminating "\n" included
        const from = starts[k]!;
        const to = starts[k + 1]!;
        const at = from + Math.floor(where * (to - from));
        const bad = Buffer.from(good);
        bad[at] = (bad[at]! + delta) % 256;
        const r = await verifyBytes(bad);
        expect(r.ok).toBe(false);
        if (!r.ok) {
          expect(r.line).toBeLessThanOrEqual(k + 1);
          // stronger than required: exactly that line
          expect(r.line).toBe(k + 1);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('rejects a file it cannot read with BL_ERR_AUDIT_READ', async () => {
    for (const f of [path.join(dir, 'missing.log'), dir]) {
      try {
        await verifyAuditLog(f);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(BorderlinkError);
        expect((e as BorderlinkError).code).toBe('BL_ERR_AUDIT_READ');
      }
    }
  });
});
