import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DocumentPlan } from '../../../src/adapter/types.js';
import { systemClock } from '../../../src/clock.js';
import { createFolderConnector, type FolderConnectorOptions, type FolderErrorRecord } from '../../../src/connectors/folder.js';
import type { Connector } from '../../../src/connectors/types.js';
import { silentLogger } from '../../../src/log.js';
import { createFakeDocumentSink, sha256, type FakeDocumentSink } from './document-sink-fake.js';

const plan: DocumentPlan = {
  kind: 'document',
  mediaTypes: ['application/xml', 'text/xml', 'application/n42+xml'],
  extensions: ['.n42', '.xml'],
  maxBytes: 10_000,
  artifactMediaType: 'application/xml',
};

const doc = (n: number | string): Buffer => Buffer.from(`<?xml version="1.0"?><RadInstrumentData id="${n}"/>`);
const waitFor = <T>(fn: () => T): Promise<T> => vi.waitFor(fn, { timeout: 15_000, interval: 5 });
const HOUR_AGO = (): Date => new Date(Date.now() - 3_600_000);

describe('folder connector', () => {
  let root = '';
  let dir = '';
  let staging = '';
  let running: Connector[] = [];

  const sub = (...p: string[]): string => path.join(dir, ...p);
  const list = (d: 'incoming' | 'processed' | 'failed'): string[] => (fs.existsSync(sub(d)) ? fs.readdirSync(sub(d)).sort() : []);
  /** the documented way to drop a file: write elsewhere, then rename into incoming/ */
  const drop = (name: string, data: Buffer, opts: { old?: boolean } = {}): void => {
    const tmp = path.join(staging, name);
    fs.writeFileSync(tmp, data);
    if (opts.old !== false) fs.utimesSync(tmp, HOUR_AGO(), HOUR_AGO());
    fs.renameSync(tmp, sub('incoming', name));
  };
  const start = async (sink: FakeDocumentSink, more: Partial<FolderConnectorOptions> = {}): Promise<Connector> => {
    const c = createFolderConnector({
      deviceId: 'drop-1', dir, plan, sink, logger: silentLogger(), clock: systemClock,
      scanIntervalMs: 20, stableMs: 0, backoff: { baseMs: 1, capMs: 5 }, ...more,
    });
    running.push(c);
    await c.start();
    return c;
  };
  const online = (sink: FakeDocumentSink): Promise<void> => waitFor(() => {
    expect(sink.statuses.at(-1)?.state).toBe('online');
  });
  const errorRecord = (name: string): FolderErrorRecord => JSON.parse(fs.readFileSync(sub('failed', `${name}.error.json`), 'utf8')) as FolderErrorRecord;

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-folder-'));
    dir = path.join(root, 'drop');
    staging = path.join(root, 'staging');
    fs.mkdirSync(staging);
  });
  afterEach(async () => {
    await Promise.all(running.map((c) => c.stop()));
    running = [];
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('creates its layout, pushes a document once as a folder frame and moves it to processed/', async () => {
    const sink = createFakeDocumentSink();
    await start(sink);
    await online(sink);
    expect(list('incoming')).toEqual([]);
    expect(fs.statSync(sub('processed')).isDirectory()).toBe(true);
    expect(fs.statSync(sub('failed')).isDirectory()).toBe(true);

    drop('a.n42', doc('a'));
    drop('b.XML', doc('b'));
    await waitFor(() => expect(list('processed')).toEqual(['a.n42', 'b.XML']));
    expect(list('incoming')).toEqual([]);
    expect(sink.pushes).toHaveLength(2);
    const [a, b] = sink.pushes;
    expect(a).toMatchObject({ transport: 'folder', name: 'a.n42', mediaType: 'application/n42+xml' });
    expect(a!.data).toEqual(doc('a'));
    expect(typeof a!.receivedAt).toBe('number');
    expect(b).toMatchObject({ name: 'b.XML', mediaType: 'application/xml' });
    expect(fs.readFileSync(sub('processed', 'a.n42'))).toEqual(doc('a'));
    expect(sink.statuses[0]).toMatchObject({ state: 'online' });
  });

  it('picks a new file up through fs.watch, without waiting for the next scan', async () => {
    const sink = createFakeDocumentSink();
    // the periodic scan runs once at start, then not for an hour: only a watch event can wake it
    await start(sink, { scanIntervalMs: 3_600_000 });
    await online(sink);
    drop('watched.n42', doc('watched'));
    await waitFor(() => expect(list('processed')).toEqual(['watched.n42']));
  });

  it('moves a quarantined document to failed/ with its reason, and a duplicate to processed/', async () => {
    const sink = createFakeDocumentSink();
    await start(sink);
    await online(sink);
    drop('bad.n42', Buffer.from('BAD, not XML'));
    drop('first.n42', doc(1));
    drop('second.n42', doc(1));
    await waitFor(() => expect(list('incoming')).toEqual([]));
    expect(list('failed')).toEqual(['bad.n42', 'bad.n42.error.json']);
    const record = errorRecord('bad.n42');
    expect(record).toEqual({ code: 'BL_ERR_N42_NOT_N42', message: 'root is not RadInstrumentData', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), name: 'bad.n42' });
    expect(list('processed')).toEqual(['first.n42', 'second.n42']);
    expect(sink.pushes.map((f) => f.name)).toEqual(['bad.n42', 'first.n42', 'second.n42']);
    expect(sink.committed.size).toBe(2);
  });

  it('keeps a document the outbox could not write in incoming/ and retries it with backoff until it is committed', async () => {
    const sink = createFakeDocumentSink();
    const seenInIncoming: boolean[] = [];
    sink.decide = (frame, attempt) => {
      seenInIncoming.push(fs.existsSync(sub('incoming', frame.name)));
      if (frame.name === 'flaky.n42' && attempt <= 3) return { status: 'fail' };
      if (frame.name === 'artifact.n42' && attempt <= 2) return { status: 'quarantine', code: 'BL_ERR_ARTIFACT_WRITE', message: 'ENOSPC' };
      return { status: 'accept' };
    };
    await start(sink);
    await online(sink);
    drop('artifact.n42', doc('artifact'));
    drop('flaky.n42', doc('flaky'));
    await waitFor(() => expect(list('processed')).toEqual(['artifact.n42', 'flaky.n42']));
    expect(sink.pushCount('flaky.n42')).toBe(4);
    expect(sink.pushCount('artifact.n42')).toBe(3);
    expect(seenInIncoming.every(Boolean)).toBe(true);
    expect(list('failed')).toEqual([]);
  });

  it('ignores dotfiles, *.tmp, *.part, directories and files still being written', async () => {
    const sink = createFakeDocumentSink();
    fs.mkdirSync(sub('incoming'), { recursive: true });
    drop('.hidden.n42', doc('h'));
    drop('x.n42.tmp', doc('x'));
    drop('y.n42.PART', doc('y'));
    fs.mkdirSync(sub('incoming', 'adir.n42'));
    drop('a-fresh.n42', doc('fresh'), { old: false });
    drop('b-old.n42', doc('old'));
    await start(sink, { stableMs: 60_000 });
    // one pass took b-old.n42 (stable for an hour) after looking at a-fresh.n42 (written just now)
    await waitFor(() => expect(list('processed')).toEqual(['b-old.n42']));
    expect(sink.pushes.map((f) => f.name)).toEqual(['b-old.n42']);
    expect(list('incoming')).toEqual(['.hidden.n42', 'a-fresh.n42', 'adir.n42', 'x.n42.tmp', 'y.n42.PART']);

    // the writer's rename into the final name is what hands a file over
    fs.renameSync(sub('incoming', 'x.n42.tmp'), sub('incoming', 'x.n42'));
    await waitFor(() => expect(list('processed')).toEqual(['b-old.n42', 'x.n42']));
    expect(list('failed')).toEqual([]);
  });

  it('refuses a wrong extension, an oversized file and a symlink to failed/ unread, with a bounded head in quarantine', async () => {
    const sink = createFakeDocumentSink();
    const secret = path.join(root, 'secret.n42');
    fs.writeFileSync(secret, 'SECRET');
    fs.mkdirSync(sub('incoming'), { recursive: true });
    drop('big.n42', Buffer.alloc(50_000, 0x41));
    drop('notes.txt', Buffer.from('hello'));
    drop('noext', Buffer.from('hello'));
    fs.symlinkSync(secret, sub('incoming', 'link.n42'));
    await start(sink);
    // the head goes to quarantine right after the move
    await waitFor(() => expect(sink.rejects).toHaveLength(4));
    expect(list('incoming')).toEqual([]);
    expect(sink.pushes).toEqual([]);
    expect(errorRecord('big.n42')).toMatchObject({ code: 'BL_ERR_INGEST_TOO_LARGE', message: '50000 bytes, more than the limit of 10000' });
    expect(errorRecord('notes.txt')).toMatchObject({ code: 'BL_ERR_INGEST_MEDIA_TYPE', message: 'extension .txt is not one of .n42, .xml' });
    expect(errorRecord('noext')).toMatchObject({ code: 'BL_ERR_INGEST_MEDIA_TYPE' });
    expect(errorRecord('link.n42')).toMatchObject({ code: 'BL_ERR_FOLDER_NOT_A_FILE' });
    expect(fs.lstatSync(sub('failed', 'link.n42')).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(secret, 'utf8')).toBe('SECRET');
    expect(fs.statSync(sub('failed', 'big.n42')).size).toBe(50_000);
    expect(sink.rejects.map((r) => r.code).sort()).toEqual(['BL_ERR_FOLDER_NOT_A_FILE', 'BL_ERR_INGEST_MEDIA_TYPE', 'BL_ERR_INGEST_MEDIA_TYPE', 'BL_ERR_INGEST_TOO_LARGE']);
    const big = sink.rejects.find((r) => r.code === 'BL_ERR_INGEST_TOO_LARGE')!;
    expect(big.raw.length).toBe(4096);
    expect(big.message).toContain('big.n42');
    expect(sink.rejects.find((r) => r.code === 'BL_ERR_FOLDER_NOT_A_FILE')!.raw.length).toBe(0);
  });

  it('gives a name already taken in processed/ or failed/ a suffix, never overwriting', async () => {
    const sink = createFakeDocumentSink();
    for (const d of ['incoming', 'processed', 'failed']) fs.mkdirSync(sub(d), { recursive: true });
    fs.writeFileSync(sub('processed', 'a.n42'), 'earlier a');
    fs.writeFileSync(sub('processed', 'a~1.n42'), 'earlier a~1');
    fs.writeFileSync(sub('failed', 'b.n42'), 'earlier b');
    fs.writeFileSync(sub('failed', 'c.n42.error.json'), '{}');
    drop('a.n42', doc('a'));
    drop('b.n42', Buffer.from('BAD b'));
    drop('c.n42', Buffer.from('BAD c'));
    await start(sink);
    await waitFor(() => expect(list('incoming')).toEqual([]));
    expect(list('processed')).toEqual(['a.n42', 'a~1.n42', 'a~2.n42']);
    expect(fs.readFileSync(sub('processed', 'a.n42'), 'utf8')).toBe('earlier a');
    expect(fs.readFileSync(sub('processed', 'a~2.n42'))).toEqual(doc('a'));
    expect(list('failed')).toEqual(['b.n42', 'b~1.n42', 'b~1.n42.error.json', 'c.n42.error.json', 'c~1.n42', 'c~1.n42.error.json']);
    expect(fs.readFileSync(sub('failed', 'b.n42'), 'utf8')).toBe('earlier b');
    expect(errorRecord('b~1.n42')).toMatchObject({ name: 'b.n42', code: 'BL_ERR_N42_NOT_N42' });
  });

  it('retries a move that failed without pushing the document again, and re-creates a removed processed/', async () => {
    const sink = createFakeDocumentSink();
    await start(sink);
    await online(sink);
    fs.rmSync(sub('processed'), { recursive: true });
    fs.writeFileSync(sub('processed'), 'a file where processed/ should be');
    drop('a.n42', doc('a'));
    await waitFor(() => expect(sink.pushes).toHaveLength(1));
    // let several scans find it committed but not movable
    await new Promise((r) => setTimeout(r, 150));
    expect(list('incoming')).toEqual(['a.n42']);
    fs.rmSync(sub('processed'));
    await waitFor(() => expect(list('processed')).toEqual(['a.n42']));
    expect(sink.pushCount('a.n42')).toBe(1);
  });

  /** 200 files: valid, quarantined by the adapter, wrong extension, too large, duplicates of another */
  function batch(): { name: string; data: Buffer; expect: 'processed' | 'failed'; code?: string }[] {
    return Array.from({ length: 200 }, (_, i) => {
      const base = `doc-${String(i).padStart(3, '0')}`;
      if (i % 10 === 3) return { name: `${base}.n42`, data: Buffer.from(`BAD ${i}`), expect: 'failed', code: 'BL_ERR_N42_NOT_N42' };
      if (i % 10 === 5) return { name: `${base}.txt`, data: doc(i), expect: 'failed', code: 'BL_ERR_INGEST_MEDIA_TYPE' };
      if (i % 25 === 7) return { name: `${base}.n42`, data: Buffer.alloc(plan.maxBytes + 1, 0x20), expect: 'failed', code: 'BL_ERR_INGEST_TOO_LARGE' };
      if (i % 20 === 9) return { name: `${base}.xml`, data: doc(0), expect: 'processed' };
      return { name: `${base}.n42`, data: doc(i), expect: 'processed' };
    });
  }

  function expectEachOnce(files: ReturnType<typeof batch>, sink: FakeDocumentSink): void {
    expect(list('incoming')).toEqual([]);
    const processed = list('processed');
    const failed = list('failed').filter((f) => !f.endsWith('.error.json'));
    for (const f of files) {
      const where = [processed.includes(f.name) ? 'processed' : '', failed.includes(f.name) ? 'failed' : ''].filter(Boolean);
      expect(where, f.name).toEqual([f.expect]);
      if (f.expect === 'failed') expect(errorRecord(f.name).code, f.name).toBe(f.code);
      expect(fs.readFileSync(sub(f.expect, f.name)), f.name).toEqual(f.data);
    }
    // no suffixes: no file was moved twice; nothing else appeared
    expect(processed.length + failed.length).toBe(files.length);
    expect(list('failed').filter((f) => f.endsWith('.error.json'))).toHaveLength(failed.length);
    // every usable document committed exactly once (the duplicates share doc(0)'s key)
    const usable = files.filter((f) => f.code !== 'BL_ERR_INGEST_MEDIA_TYPE' && f.code !== 'BL_ERR_INGEST_TOO_LARGE');
    expect(new Set([...sink.committed.keys()])).toEqual(new Set(usable.map((f) => sha256(f.data))));
  }

  it('takes a 200-file drop, invalid files included: each ends in processed/ or failed/ exactly once', async () => {
    const sink = createFakeDocumentSink();
    await start(sink);
    await online(sink);
    const files = batch();
    // dropped out of name order, while the connector runs
    for (const f of [...files].reverse()) drop(f.name, f.data);
    await waitFor(() => expect(list('incoming')).toEqual([]));
    expectEachOnce(files, sink);
    for (const f of files) expect(sink.pushCount(f.name), f.name).toBe(f.code === 'BL_ERR_INGEST_MEDIA_TYPE' || f.code === 'BL_ERR_INGEST_TOO_LARGE' ? 0 : 1);
    await waitFor(() => expect(sink.rejects).toHaveLength(files.filter((f) => f.code?.startsWith('BL_ERR_INGEST_')).length));
  });

  it('survives a restart in the middle: a new connector on the same folder finishes, each file exactly once', async () => {
    const committed = new Map<string, { name: string; status: 'accepted' | 'quarantined' }>();
    const first = createFakeDocumentSink(committed);
    const files = batch();
    fs.mkdirSync(sub('incoming'), { recursive: true });
    for (const f of files) drop(f.name, f.data);
    let halfway: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => {
      halfway = resolve;
    });
    first.gate = () => {
      if (first.pushes.length === 80) halfway();
      return Promise.resolve();
    };
    const c1 = await start(first);
    await reached;
    await c1.stop();
    const left = list('incoming').length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(files.length);

    const second = createFakeDocumentSink(committed);
    await start(second);
    await waitFor(() => expect(list('incoming')).toEqual([]));
    expectEachOnce(files, second);
    // a clean stop finishes the file in progress: nothing is read twice
    for (const f of files) expect(first.pushCount(f.name) + second.pushCount(f.name), f.name).toBeLessThanOrEqual(1);
  });

  it('reads a file again after a crash between its commit and its move, and moves it as a duplicate', async () => {
    const committed = new Map<string, { name: string; status: 'accepted' | 'quarantined' }>();
    const crashing = createFakeDocumentSink(committed);
    crashing.decide = (frame) => (frame.name === 'b.n42' ? { status: 'commit-and-hang' } : { status: 'accept' });
    fs.mkdirSync(sub('incoming'), { recursive: true });
    for (const n of ['a', 'b', 'c']) drop(`${n}.n42`, doc(n));
    const c1 = await start(crashing, { stopTimeoutMs: 20 });
    await waitFor(() => expect(committed.has(sha256(doc('b')))).toBe(true));
    await c1.stop(); // gives up waiting: the "process" dies with b.n42 committed, not moved
    expect(list('incoming')).toEqual(['b.n42', 'c.n42']);
    expect(list('processed')).toEqual(['a.n42']);

    const restarted = createFakeDocumentSink(committed);
    const outcomes: string[] = [];
    const push = restarted.push.bind(restarted);
    restarted.push = async (frame) => {
      const o = await push(frame);
      outcomes.push(`${frame.name}:${o.status}`);
      return o;
    };
    await start(restarted);
    await waitFor(() => expect(list('processed')).toEqual(['a.n42', 'b.n42', 'c.n42']));
    expect(outcomes).toEqual(['b.n42:duplicate', 'c.n42:accepted']);
    expect(committed.size).toBe(3);
  });

  it('reports offline while the folder is gone and online when it is back, without re-creating it', async () => {
    const sink = createFakeDocumentSink();
    await start(sink);
    await online(sink);
    fs.renameSync(dir, `${dir}-unmounted`);
    await waitFor(() => expect(sink.statuses.at(-1)).toMatchObject({ state: 'offline', code: 'BL_ERR_FOLDER_UNREADABLE' }));
    expect(sink.statuses.at(-1)?.detail).toContain('incoming/');
    expect(fs.existsSync(dir)).toBe(false);
    fs.renameSync(`${dir}-unmounted`, dir);
    await online(sink);
    drop('after.n42', doc('after'));
    await waitFor(() => expect(list('processed')).toEqual(['after.n42']));
    expect(sink.statuses.map((s) => s.state)).toEqual(['online', 'offline', 'online']);
  });

  it('waits in stop() for the document in progress to be committed and moved, then reads no more', async () => {
    const sink = createFakeDocumentSink();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let pushing: () => void = () => undefined;
    const inPush = new Promise<void>((resolve) => {
      pushing = resolve;
    });
    sink.gate = (frame) => {
      if (frame.name !== 'b-slow.n42') return Promise.resolve();
      pushing();
      return held;
    };
    fs.mkdirSync(sub('incoming'), { recursive: true });
    drop('a-first.n42', doc('first'));
    drop('b-slow.n42', doc('slow'));
    drop('c-after.n42', doc('after'));
    const c = await start(sink);
    await inPush;
    let stopped = false;
    const stopping = c.stop().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(sink.pushes.map((f) => f.name)).toEqual(['a-first.n42', 'b-slow.n42']);
    expect(list('processed')).toEqual(['a-first.n42', 'b-slow.n42']);
    expect(list('incoming')).toEqual(['c-after.n42']);
  });

  it('refuses a plan without extensions, a bad maxBytes or interval at construction', () => {
    const sink = createFakeDocumentSink();
    const base = { deviceId: 'd', dir, sink, logger: silentLogger(), clock: systemClock };
    expect(() => createFolderConnector({ ...base, plan: { ...plan, extensions: [] } })).toThrow(expect.objectContaining({ code: 'BL_ERR_CONFIG_INVALID' }));
    expect(() => createFolderConnector({ ...base, plan: { ...plan, maxBytes: 0 } })).toThrow(expect.objectContaining({ code: 'BL_ERR_CONFIG_INVALID' }));
    expect(() => createFolderConnector({ ...base, plan, scanIntervalMs: 0 })).toThrow(expect.objectContaining({ code: 'BL_ERR_CONFIG_INVALID' }));
    expect(() => createFolderConnector({ ...base, plan, stableMs: -1 })).toThrow(expect.objectContaining({ code: 'BL_ERR_CONFIG_INVALID' }));
  });
});
