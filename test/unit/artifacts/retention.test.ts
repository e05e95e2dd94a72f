import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { artifactFile, createArtifactStore } from '../../../src/artifacts/artifact-store.js';
import { artifactRefsOf, startArtifactRetention, unpublishedArtifactRefs } from '../../../src/artifacts/retention.js';
import { silentLogger } from '../../../src/log.js';
import type { OutboxRow } from '../../../src/outbox/types.js';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';

const DAY = 86_400_000;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('artifact retention', () => {
  let root = '';
  let dir = '';
  let now = 0;
  const clock = { now: () => now };
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-retention-'));
    dir = path.join(root, 'artifacts');
    now = Date.now() - 30 * DAY;
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  /** stores n artifacts of `size` bytes, one per day */
  async function fill(n: number, size = 100): Promise<string[]> {
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    const out: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const data = Buffer.alloc(size, i + 1);
      await store.put(data, 'image/png');
      out.push(sha(data));
      now += DAY;
    }
    return out;
  }
  const present = (h: string): boolean => fs.existsSync(artifactFile(dir, h));

  it('removes what is past maxAgeDays, bytes and sidecar, and keeps the rest', async () => {
    const [a, b, c] = await fill(3);
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    // now: a is 3 days old, b 2, c 1
    const r = await store.sweep({ maxAgeDays: 1.5 });
    expect(r).toMatchObject({ scanned: 3, removedByAge: 2, removedBySize: 0, removedBytes: 200, totalBytes: 100, totalCount: 1 });
    expect([a, b, c].map((h) => present(h as string))).toEqual([false, false, true]);
    expect(fs.existsSync(`${artifactFile(dir, a as string)}.json`)).toBe(false);
  });

  it('keeps the total under maxTotalBytes, oldest first, never a protected or a young artifact', async () => {
    const [a, b, c, d] = await fill(4);
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    const r = await store.sweep({ maxTotalBytes: 250 }, () => new Set([a as string]));
    // a is protected (an unpublished event refers to it); b and c go, d is enough to stay under
    expect(r).toMatchObject({ removedBySize: 2, protectedKept: 1, totalBytes: 200 });
    expect([a, b, c, d].map((h) => present(h as string))).toEqual([true, false, false, true]);
    // within the grace period nothing goes, whatever the cap
    const young = await store.sweep({ maxTotalBytes: 1, graceMs: 2 * DAY }, () => new Set([a as string]));
    expect(young.removedBySize).toBe(0);
    expect(present(d as string)).toBe(true);
  });

  it('treats an artifact stored again as young', async () => {
    const [a, b] = await fill(2);
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    await store.put(Buffer.alloc(100, 1), 'image/png'); // a again, now
    now += DAY;
    const r = await store.sweep({ maxAgeDays: 1.5 });
    expect(r.removedByAge).toBe(1);
    expect([present(a as string), present(b as string)]).toEqual([true, false]);
  });

  it('clears temp files and lone sidecars a crash left behind', async () => {
    const [a] = await fill(1);
    const sub = path.dirname(artifactFile(dir, a as string));
    const tmp = path.join(sub, `.${a as string}.0123456789ab.tmp`);
    const lone = path.join(sub, `${'f'.repeat(64)}.json`);
    fs.writeFileSync(tmp, 'half');
    fs.writeFileSync(lone, '{}');
    const old = new Date(now - DAY);
    fs.utimesSync(tmp, old, old);
    fs.utimesSync(lone, old, old);
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    const r = await store.sweep({});
    expect(r).toMatchObject({ leftoversRemoved: 2, removedByAge: 0, totalCount: 1 });
    expect(fs.readdirSync(sub).sort()).toEqual([a, `${a as string}.json`]);
  });

  it('has nothing to do on an empty or missing folder', async () => {
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    await expect(store.sweep({ maxAgeDays: 1, maxTotalBytes: 1 })).resolves.toMatchObject({ scanned: 0, totalBytes: 0 });
  });

  it('reads the artifacts of unpublished events from the outbox, page by page', () => {
    const event = (i: number): DetectionEvent => ({
      artifacts: [{ kind: 'image', mediaType: 'image/png', uri: '/x', sha256: String(i).repeat(64).slice(0, 64), bytes: 1 }],
      findings: [{ kind: 'threat-object', region: { frame: 'image', artifactRef: 'e'.repeat(64) } }],
    }) as unknown as DetectionEvent;
    const rows: OutboxRow[] = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, event: event(i + 1), json: '', createdAtMs: 0 }));
    const outbox = { lease: (after: number, limit: number) => rows.filter((r) => r.id > after).slice(0, limit) };
    const refs = unpublishedArtifactRefs(outbox, 2);
    expect(refs.size).toBe(6);
    expect(refs.has('e'.repeat(64))).toBe(true);
    expect(artifactRefsOf(event(1))).toEqual(['1'.repeat(64), 'e'.repeat(64)]);
  });

  it('runs periodically with metrics', async () => {
    await fill(3);
    const registry = new Registry();
    const store = createArtifactStore({ dir, maxBytes: 1 << 20, logger: silentLogger(), clock });
    const retention = startArtifactRetention({ store, policy: { maxAgeDays: 1.5 }, intervalMs: 3_600_000, logger: silentLogger(), registry });
    try {
      const r = await retention.runOnce();
      expect(r?.removedByAge).toBe(2);
      const text = await registry.metrics();
      expect(text).toContain('borderlink_artifacts_removed_total{reason="age"} 2');
      expect(text).toContain('borderlink_artifacts_stored_bytes 100');
      expect(text).toContain('borderlink_artifact_sweeps_total{result="ok"} 1');
    } finally {
      await retention.stop();
    }
  });
});
