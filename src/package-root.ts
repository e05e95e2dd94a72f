import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BorderlinkError } from './errors.js';

/**
 * The package's root directory (the one holding package.json, schemas/, config/), found by
 * walking up from a module. Works from src/ (vitest, tsx) and from dist/src/ after `tsc`, so
 * files shipped beside the code are found without knowing how deep the caller sits.
 *
 * A build may leave a copy of package.json in dist/ (resolveJsonModule with rootDir "."); a copy
 * carries the same name, so the walk keeps climbing while the parent is the same package.
 *
 * @param from file URL or path of a file inside the package; defaults to this module.
 */
export function packageRoot(from: string = import.meta.url): string {
  const start = dirname(from.startsWith('file:') ? fileURLToPath(from) : resolve(from));
  let dir = start;
  let name = packageName(dir);
  while (name === undefined) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new BorderlinkError('BL_ERR_PACKAGE_ROOT_NOT_FOUND', `no package.json above ${start}`);
    }
    dir = parent;
    name = packageName(dir);
  }
  for (;;) {
    const parent = dirname(dir);
    if (parent === dir || name === null || packageName(parent) !== name) return dir;
    dir = parent;
  }
}

/**
 * undefined: no package.json here; null: a package.json without a usable name (never climbed
 * past); otherwise the package name.
 */
function packageName(dir: string): string | null | undefined {
  let text: string;
  try {
    text = readFileSync(resolve(dir, 'package.json'), 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && typeof parsed.name === 'string') {
      return parsed.name;
    }
  } catch {
    // an unparsable package.json still marks a package root
  }
  return null;
}
