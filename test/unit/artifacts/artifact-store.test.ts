import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactFile, createArtifactStore } from '../../../src/artifacts/artifact-store.js';
import type { Clock } from '../../../src/clock.js';
import { artifactPath } from '../../../src/http/routes/artifacts.js';
import { silentLogger } from '../../../src/log.js';
import { rejection } from '../../helpers/rejection.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const clock: Clock = { now: () => Date.UTC(2026, 10, 23, 10, 0, 0, 0) };

/** every file under dir, relative, sorted */
function tree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

describe('artifact store', () => {
  let root = '';
  let dir = '';
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-artifacts-'));
    dir = path.join(root, 'artifacts');
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('stores bytes under their sha256 in the layout the REST route serves, with a sidecar', async () => {
    const store = createArtifactStore({ dir, maxBytes: 1024, logger: silentLogger(), clock });
    const data = Buffer.from('<?xml version="1.0"?><RadInstrumentData/>');
    const h = sha(data);
    expect(store.has(h)).toBe(false);
    const ref = await store.put(data, 'application/xml');
    expect(ref).toEqual({ sha256: h, bytes: data.length, mediaType: 'application/xml', uri: `/v1/artifacts/${h}` });
    expect(artifactFile(dir, h)).toBe(artifactPath(dir, h));
    expect(fs.readFileSync(artifactPath(dir, h)!)).toEqual(data);
    expect(JSON.parse(fs.readFileSync(`${artifactPath(dir, h)!}.json`, 'utf8'))).toEqual({
      mediaType: 'application/xml', bytes: data.length, storedAt: '2026-11-23T10:00:00.000Z',
    });
    expect(tree(dir)).toEqual([path.join(h.slice(0, 2), h), path.join(h.slice(0, 2), `${h}.json`)]);
    expect(store.has(h)).toBe(true);
    expect(store.has(h.toUpperCase())).toBe(true);
    expect(store.has('../etc/passwd')).toBe(false);
  });

  it('stores the same bytes once: a second put rewrites nothing and keeps the first media type', async () => {
    const store = createArtifactStore({ dir, maxBytes: 1024, logger: silentLogger(), clock });
    const data = Buffer.from([0, 1, 2, 3, 255]);
    const first = await store.put(data, 'application/octet-stream');
    const file = artifactFile(dir, first.sha256);
    const before = fs.statSync(file);
    const sidecarBefore = fs.statSync(`${file}.json`);
    const again = await store.put(Buffer.from(data), 'application/xml');
    expect(again).toEqual(first);
    const after = fs.statSync(file);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(fs.statSync(`${file}.json`).ino).toBe(sidecarBefore.ino);
    // concurrent puts of the same bytes share one write
    const refs = await Promise.all(Array.from({ length: 10 }, () => store.put(Buffer.from('same'), 'text/plain')));
    expect(new Set(refs.map((r) => r.sha256)).size).toBe(1);
    expect(tree(dir)).toHaveLength(4);
  });

  it('refuses bytes past maxBytes with BL_ERR_ARTIFACT_TOO_LARGE and leaves nothing behind', async () => {
    const store = createArtifactStore({ dir, maxBytes: 8, logger: silentLogger(), clock });
    await expect(store.put(Buffer.alloc(8, 1), 'application/octet-stream')).resolves.toMatchObject({ bytes: 8 });
    const err = await rejection(store.put(Buffer.alloc(9, 2), 'application/octet-stream'));
    expect(err.code).toBe('BL_ERR_ARTIFACT_TOO_LARGE');
    expect(err.kind).toBe('input');
    expect(store.has(sha(Buffer.alloc(9, 2)))).toBe(false);
    expect(tree(dir)).toHaveLength(2);
  });

  it('leaves no temp files, and restores a missing sidecar without rewriting the bytes', async () => {
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    const many = Array.from({ length: 50 }, (_, i) => Buffer.from(`document ${i}`));
    await Promise.all(many.map((b) => store.put(b, 'text/plain')));
    const files = tree(dir);
    expect(files).toHaveLength(100);
    expect(files.filter((f) => path.basename(f).startsWith('.'))).toEqual([]);

    const data = many[0]!;
    const file = artifactFile(dir, sha(data));
    fs.rmSync(`${file}.json`);
    const ino = fs.statSync(file).ino;
    await store.put(data, 'text/plain');
    expect(fs.statSync(file).ino).toBe(ino);
    expect(JSON.parse(fs.readFileSync(`${file}.json`, 'utf8'))).toMatchObject({ mediaType: 'text/plain' });
  });

  it('replaces a stored file whose size does not match its name (damaged), atomically', async () => {
    const store = createArtifactStore({ dir, maxBytes: 1024, logger: silentLogger(), clock });
    const data = Buffer.from('the real content');
    const ref = await store.put(data, 'text/plain');
    const file = artifactFile(dir, ref.sha256);
    fs.writeFileSync(file, 'trunc');
    await store.put(data, 'text/plain');
    expect(fs.readFileSync(file)).toEqual(data);
  });

  it('reports a write failure as BL_ERR_ARTIFACT_WRITE (transient) with no final file', async () => {
    fs.writeFileSync(dir, 'a plain file where the directory should be');
    const store = createArtifactStore({ dir, maxBytes: 1024, logger: silentLogger(), clock });
    const err = await rejection(store.put(Buffer.from('x'), 'text/plain'));
    expect(err.code).toBe('BL_ERR_ARTIFACT_WRITE');
    expect(err.kind).toBe('transient');
    expect(store.has(sha(Buffer.from('x')))).toBe(false);
  });

  it('refuses a maxBytes that is not a positive integer', () => {
    for (const maxBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => createArtifactStore({ dir, maxBytes, logger: silentLogger() })).toThrow(expect.objectContaining({ code: 'BL_ERR_CONFIG_INVALID' }));
    }
  });
});
