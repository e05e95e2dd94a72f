/**
 * Error codes are append-only and documented: every code in src/errors.ts has a row in
 * docs/errors.md and vice versa, and no code is used in src/ that is not declared.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { ROOT } from '../helpers/daemon.js';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('coded errors', () => {
  const declared = Object.keys(ERROR_CODES);
  const doc = readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
  const documented = [...doc.matchAll(/^\|\s*`(BL_ERR_[A-Z0-9_]+)`/gm)].map((m) => m[1]);

  it('docs/errors.md lists every declared code, in declaration order', () => {
    expect(documented).toEqual(declared);
  });

  it('every code follows BL_ERR_<AREA>_<WHAT>', () => {
    for (const c of declared) expect(c).toMatch(/^BL_ERR_[A-Z0-9]+(_[A-Z0-9]+)*$/);
  });

  it('src/, adapters/ and simulators/ use only declared codes', () => {
    const used = new Set<string>();
    for (const dir of ['src', 'adapters', 'simulators']) {
      for (const f of walk(path.join(ROOT, dir))) {
        for (const m of readFileSync(f, 'utf8').matchAll(/\bBL_ERR_[A-Z0-9_]+\b/g)) used.add(m[0]);
      }
    }
    const unknown = [...used].filter((c) => !(c in ERROR_CODES));
    expect(unknown).toEqual([]);
  });
});
