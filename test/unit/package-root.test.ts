import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBorderlinkError } from '../../src/errors.js';
import { packageRoot } from '../../src/package-root.js';

describe('packageRoot', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'borderlink-root-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const pkg = (at: string, name: string): void => {
    mkdirSync(at, { recursive: true });
    writeFileSync(join(at, 'package.json'), JSON.stringify({ name }));
  };
  const moduleAt = (...parts: string[]): string => {
    const file = join(dir, ...parts);
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '');
    return pathToFileURL(file).href;
  };

  it('finds this repository from src/ by default', () => {
    expect(packageRoot()).toBe(join(import.meta.dirname, '..', '..'));
  });

  it('walks up from src/ and from dist/src/', () => {
    pkg(dir, 'borderlink-gateway');
    expect(packageRoot(moduleAt('src', 'package-root.ts'))).toBe(dir);
    expect(packageRoot(moduleAt('dist', 'src', 'package-root.js'))).toBe(dir);
    expect(packageRoot(join(dir, 'dist', 'src', 'package-root.js'))).toBe(dir);
  });

  it('climbs past a build copy of package.json in dist/', () => {
    pkg(dir, 'borderlink-gateway');
    pkg(join(dir, 'dist'), 'borderlink-gateway');
    expect(packageRoot(moduleAt('dist', 'src', 'package-root.js'))).toBe(dir);
  });

  it('stops at its own package when installed inside another one', () => {
    pkg(dir, 'some-app');
    const installed = join(dir, 'node_modules', 'borderlink-gateway');
    pkg(installed, 'borderlink-gateway');
    expect(packageRoot(moduleAt('node_modules', 'borderlink-gateway', 'dist', 'src', 'x.js'))).toBe(installed);
  });

  it('throws a coded error when there is no package.json above', () => {
    try {
      packageRoot(pathToFileURL('/no-such-dir/src/x.js').href);
      expect.fail('expected a throw');
    } catch (e) {
      expect(isBorderlinkError(e) ? e.code : e).toBe('BL_ERR_PACKAGE_ROOT_NOT_FOUND');
    }
  });
});
