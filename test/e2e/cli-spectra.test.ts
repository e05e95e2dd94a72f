/**
 * `borderlink inspect` on JCAMP-DX files and `borderlink identify`, as an integrator runs them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../helpers/daemon.js';

const fx = (p: string) => path.join(ROOT, 'test', 'fixtures', 'jcamp', p);

describe('inspect and identify on spectra', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bl-cli-spectra-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inspect prints what the gateway reads from a JCAMP-DX file', async () => {
    const r = await runCli(['inspect', fx('raman/tannic_acid.jdx')]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; blocks: Array<Record<string, unknown>> };
    expect(out.ok).toBe(true);
    expect(out.blocks[0]).toMatchObject({ npoints: 1949, dataType: 'RAMAN SPECTRUM' });
    for (const k of ['title', 'dataType', 'xUnits', 'yUnits', 'firstX', 'lastX', 'minY', 'maxY']) expect(out.blocks[0]).toHaveProperty(k);
    expect(out.blocks[0]).not.toHaveProperty('y');
    const full = JSON.parse((await runCli(['inspect', fx('compression/jcamp-difdup.dx'), '--full'])).stdout) as { blocks: Array<{ y: number[]; npoints: number }> };
    expect(full.blocks[0]?.y).toHaveLength(full.blocks[0]?.npoints ?? -1);
  });

  it('inspect exits 1 with the reason for a broken file', async () => {
    const bad = path.join(dir, 'broken.jdx');
    writeFileSync(bad, '##TITLE=broken\n##JCAMP-DX=4.24\n##XYDATA=(X++(Y..Y))\n1 2 3\n');
    const r = await runCli(['inspect', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BL_ERR_JCAMP_/);
  });

  it('identify ranks a reference spectrum first, with name, CAS and score', async () => {
    const r = await runCli(['identify', fx('reference-ir/dichlorodifluoromethane.jdx'), '--top', '3']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { verdict: string; hits: Array<{ rank: number; name: string; cas: string; category: string; score: { value: number; method: string; max: number } }> };
    expect(out.verdict).toBe('match');
    expect(out.hits).toHaveLength(3);
    expect(out.hits[0]).toMatchObject({ rank: 1, name: 'Dichlorodifluoromethane (CFC-12)', cas: '75-71-8', category: 'environmental', score: { method: 'hqi-correlation', max: 100 } });
    expect(out.hits[0]?.score.value).toBeGreaterThan(99);
  });

  it('identify exits 1 for a file that does not decode and 2 for a broken library', async () => {
    const bad = path.join(dir, 'garbage.jdx');
    writeFileSync(bad, 'not a spectrum');
    expect((await runCli(['identify', bad])).code).toBe(1);
    writeFileSync(path.join(dir, 'library.yaml'), 'name: x\n');
    const r = await runCli(['identify', fx('reference-ir/water.jdx'), '--library', dir]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/BL_ERR_LIBRARY_INVALID/);
  });
});
