import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openAuditLog, type AuditEntry, type AuditLog } from '../../../src/audit/audit-log.js';
import { GENESIS_PREV, checkLine, hashInput, type AuditRecord } from '../../../src/audit/record.js';
import { verifyAuditLog } from '../../../src/audit/verify.js';
import type { Clock } from '../../../src/clock.js';
import { silentLogger } from '../../../src/log.js';
import { rejection } from '../../helpers/rejection.js';

const clock: Clock = { now: () => Date.UTC(2026, 10, 23, 10, 0, 0, 123) };
const logger = silentLogger();

function access(n: number, extra: Partial<AuditEntry> = {}): AuditEntry {
  return {
    kind: 'access',
    actor: { name: `client-${n}`, agency: 'customs', via: 'api-key' },
    action: 'GET /v1/events',
    outcome: n % 2 === 0 ? 'allow' : 'deny',
    ...(n % 2 === 0 ? {} : { reason: 'agency may not read site BGSOF' }),
    detail: { n, query: { site: 'BGSOF' } },
    ...extra,
  };
}

function records(file: string): AuditRecord[] {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((l) => {
    const r = checkLine(l);
    if (!r.ok) throw new Error(r.reason);
    return r.record;
  });
}

describe('audit log', () => {
  let dir = '';
  let file = '';
  const opened: AuditLog[] = [];
  const openLog = async (): Promise<AuditLog> => {
    const log = await openAuditLog({ file, logger, clock });
    opened.push(log);
    return log;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-audit-'));
    file = path.join(dir, 'audit', 'audit.log');
  });
  afterEach(async () => {
    for (const l of opened.splice(0)) await l.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes one canonical JSON line per entry, hash-chained from 64 zeros', async () => {
    const log = await openLog();
    for (let i = 0; i < 3; i++) log.append(access(i));
    await log.close();
    const text = fs.readFileSync(file, 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe('');
    const rs = records(file);
    expect(rs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rs[0]?.prev).toBe(GENESIS_PREV);
    expect(rs[1]?.prev).toBe(rs[0]?.hash);
    expect(rs[2]?.prev).toBe(rs[1]?.hash);
    for (const r of rs) {
      const { hash, ...rest } = r;
      expect(createHash('sha256').update(hashInput(rest)).digest('hex')).toBe(hash);
    }
    // the documented layout: fixed member order, the hash input is the line without its hash member
    expect(lines[0]).toMatch(/^\{"seq":1,"at":"2026-11-23T10:00:00\.123Z","kind":"access","actor":\{"agency":"customs","name":"client-0","via":"api-key"\},"action":"GET \/v1\/events","outcome":"allow","detail":\{"n":0,"query":\{"site":"BGSOF"\}\},"prev":"0{64}","hash":"[0-9a-f]{64}"\}$/);
    expect(lines[1]).toContain('"outcome":"deny","reason":"agency may not read site BGSOF"');
    expect(hashInput(rs[0]!)).toBe(lines[0]!.replace(/,"hash":"[0-9a-f]{64}"\}$/, '}'));
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 3 });
    expect(log.stats).toMatchObject({ appended: 3, written: 3, queued: 0, writeErrors: 0, dropped: 0, rejected: 0 });
  });

  it('creates the file owner-only', async () => {
    const log = await openLog();
    log.append(access(0));
    await log.flush();
    expect(fs.statSync(file).mode & 0o077).toBe(0);
  });

  it('appends of one tick are written in order; flush makes them readable', async () => {
    const log = await openLog();
    for (let i = 0; i < 1000; i++) log.append(access(i));
    expect(log.lastSeq).toBe(1000);
    await log.flush();
    expect(records(file).map((r) => r.seq)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 1000 });
  });

  it('continues the chain across restarts, also when the log is larger than the tail it reads', async () => {
    let log = await openLog();
    for (let i = 0; i < 2; i++) log.append(access(i));
    await log.close();
    log = await openLog();
    expect(log.lastSeq).toBe(2);
    log.append(access(2));
    await log.close();
    let rs = records(file);
    expect(rs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rs[2]?.prev).toBe(rs[1]?.hash);

    log = await openLog();
    const pad = 'x'.repeat(400);
    for (let i = 3; i < 399; i++) log.append(access(i, { detail: { pad } }));
    await log.close();
    expect(fs.statSync(file).size).toBeGreaterThan(3 * 64 * 1024);
    log = await openLog();
    expect(log.lastSeq).toBe(399);
    log.append({ kind: 'stop', actor: { name: 'borderlink' }, action: 'gateway.stop', outcome: 'ok' });
    await log.close();
    rs = records(file);
    expect(rs).toHaveLength(400);
    expect(rs[399]?.prev).toBe(rs[398]?.hash);
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 400 });
  });

  it('a torn last line (crash mid-write) is reported by verify, then cut off and recorded as the first new entry', async () => {
    let log = await openLog();
    for (let i = 0; i < 3; i++) log.append(access(i));
    await log.close();
    const full = fs.readFileSync(file);
    const torn = full.subarray(0, full.length - 20);
    fs.writeFileSync(file, torn);
    const before = await verifyAuditLog(file);
    expect(before).toMatchObject({ ok: false, line: 3 });
    expect(before.ok ? '' : before.reason).toMatch(/incomplete last line/);

    log = await openLog();
    expect(log.lastSeq).toBe(3);
    log.append(access(9));
    await log.close();
    const rs = records(file);
    expect(rs).toHaveLength(4);
    const recover = rs[2]!;
    const fragment = torn.subarray(torn.lastIndexOf(0x0a, torn.length - 1) + 1);
    expect(recover).toMatchObject({ seq: 3, kind: 'start', action: 'audit.recover', outcome: 'ok', prev: rs[1]?.hash });
    expect(recover.detail).toEqual({ afterSeq: 2, bytes: fragment.length, sha256: createHash('sha256').update(fragment).digest('hex'), fragment: fragment.toString('utf8') });
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 4 });
  });

  it('a file holding only a torn first line starts the chain afresh, recording the fragment', async () => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{"seq":1,"at":"2026-');
    const log = await openLog();
    await log.close();
    const rs = records(file);
    expect(rs).toHaveLength(1);
    expect(rs[0]).toMatchObject({ seq: 1, prev: GENESIS_PREV, action: 'audit.recover', detail: { afterSeq: 0, bytes: 20 } });
  });

  it('refuses to continue a log whose last complete line is not a valid entry', async () => {
    const log = await openLog();
    for (let i = 0; i < 3; i++) log.append(access(i));
    await log.close();
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.replace(/client-2/, 'client-X'));
    const e = await rejection(openAuditLog({ file, logger, clock }));
    expect(e.code).toBe('BL_ERR_AUDIT_OPEN');
    expect(e.message).toContain('hash does not match');

    const other = path.join(dir, 'notes.txt');
    fs.writeFileSync(other, 'hello\nworld\n');
    expect((await rejection(openAuditLog({ file: other, logger, clock }))).message).toContain('not a valid audit entry');
    expect(fs.readFileSync(other, 'utf8')).toBe('hello\nworld\n');
  });

  it('refuses a file it cannot open', async () => {
    fs.mkdirSync(file, { recursive: true }); // a directory where the file should be
    expect((await rejection(openAuditLog({ file, logger, clock }))).code).toBe('BL_ERR_AUDIT_OPEN');
  });

  it('never lets a secret in: members named like secrets are dropped from detail at any depth', async () => {
    const log = await openLog();
    log.append({
      kind: 'auth',
      actor: { name: 'customs-control-room', agency: 'customs', via: 'api-key' },
      action: 'POST /v1/events/e1/decision',
      outcome: 'deny',
      detail: {
        user: 'alice',
        password: 'S3CRET-pw-1',
        Authorization: 'Bearer S3CRET-bearer-2',
        nested: { apiKey: 'S3CRET-key-3', list: [{ token: 'S3CRET-tok-4', keep: 1 }, { client_secret: 'S3CRET-5' }], 'x-api-key': 'S3CRET-6' },
        headers: { authorization: 'S3CRET-7', 'user-agent': 'curl' },
        privateKeyPem: 'S3CRET-8',
        keyFile: '/etc/S3CRET-9',
        refreshToken: 'S3CRET-10',
        monkey: 'banana',
      },
    });
    await log.close();
    const text = fs.readFileSync(file, 'utf8');
    expect(text).not.toContain('S3CRET');
    expect(records(file)[0]?.detail).toEqual({ user: 'alice', nested: { list: [{ keep: 1 }, {}] }, headers: { 'user-agent': 'curl' }, monkey: 'banana' });
  });

  it('never throws into the caller: bad entries are refused, odd details made safe, appends after close dropped', async () => {
    const log = await openLog();
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => log.append({ ...access(0), kind: 'nonsense' as never })).not.toThrow();
    expect(() => log.append({ ...access(0), outcome: 'maybe' as never })).not.toThrow();
    expect(() => log.append({ ...access(0), actor: null as never })).not.toThrow();
    log.append({ ...access(1), detail: cyclic });
    log.append({ ...access(2), detail: { big: 'y'.repeat(10_000), when: new Date(0), gone: undefined, nan: Number.NaN } });
    log.append({ ...access(3), detail: { when: new Date(0), gone: undefined, nan: Number.NaN } });
    log.append({ ...access(4), action: 'a'.repeat(5000) });
    await log.close();
    expect(() => log.append(access(5))).not.toThrow();
    expect(log.stats).toMatchObject({ appended: 4, written: 4, rejected: 3, dropped: 1 });
    const rs = records(file);
    expect(rs[0]?.detail).toEqual({ unserialisable: true });
    expect(rs[1]?.detail).toMatchObject({ truncated: true });
    expect(rs[2]?.detail).toEqual({ when: '1970-01-01T00:00:00.000Z', nan: null });
    expect(rs[3]?.action).toHaveLength(512);
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 4 });
  });

  it.runIf(fs.existsSync('/dev/full'))('counts write errors and keeps the lines queued instead of throwing (disk full)', async () => {
    const log = await openAuditLog({ file: '/dev/full', logger, clock, retryMs: 60_000 });
    log.append(access(0));
    log.append(access(1));
    await log.flush();
    expect(log.stats.writeErrors).toBeGreaterThanOrEqual(1);
    expect(log.stats.queued).toBe(2);
    expect(log.stats.written).toBe(0);
    await log.close();
    expect(log.stats).toMatchObject({ queued: 0, dropped: 2 });
  });

  it('drops entries beyond maxQueuedLines without breaking the chain', async () => {
    const log = await openAuditLog({ file, logger, clock, maxQueuedLines: 5 });
    opened.push(log);
    for (let i = 0; i < 8; i++) log.append(access(i));
    await log.flush();
    expect(log.stats).toMatchObject({ appended: 5, dropped: 3 });
    log.append(access(9));
    await log.flush();
    expect(await verifyAuditLog(file)).toEqual({ ok: true, lines: 6 });
  });
});
