/**
 * Finds the installed adapters: one folder per adapter under adapters/, named after its id,
 * holding either a declarative profile.yaml (compiled here) or a code adapter (adapter.js, or
 * adapter.ts where the runtime can import TypeScript or a compiled copy exists in dist/).
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BorderlinkError, isBorderlinkError } from '../errors.js';
import { DEVICE_CLASSES } from '../schema/detection-event.js';
import { compileProfile } from './declarative/compile-profile.js';
import { loadProfile } from './declarative/load-profile.js';
import { createProfileShapeCheck, type ProfileShapeCheck } from './declarative/profile-shape.js';
import type { AnyAdapter } from './types.js';

const PROFILE_FILE = 'profile.yaml';
const CODE_FILES = ['adapter.js', 'adapter.ts'] as const;

/**
 * Loads every adapter under `dir` (sorted by id). Refuses, with one error listing every problem:
 * a folder whose adapter id differs from its name, duplicate ids, a folder with no adapter or
 * with both a profile and code, an invalid profile, a module whose default export is not an adapter.
 */
export async function loadAdapters(dir: string): Promise<Map<string, AnyAdapter>> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `adapters folder ${dir} cannot be read`, { cause });
  }
  let shapeCheck: ProfileShapeCheck | undefined;
  const adapters = new Map<string, AnyAdapter>();
  const failures: BorderlinkError[] = [];
  for (const name of entries) {
    const folder = path.join(dir, name);
    try {
      const adapter = await loadOne(folder, () => (shapeCheck ??= createProfileShapeCheck()));
      if (adapter.id !== name) {
        throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `adapter in folder ${folder} has id "${adapter.id}": the folder must be named after the id`, { detail: { folder, id: adapter.id } });
      }
      if (adapters.has(adapter.id)) {
        throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `adapter id "${adapter.id}" is defined twice`, { detail: { folder, id: adapter.id } });
      }
      adapters.set(adapter.id, adapter);
    } catch (e) {
      failures.push(isBorderlinkError(e) ? e : new BorderlinkError('BL_ERR_ADAPTER_INVALID', `adapter in ${folder} failed to load`, { cause: e }));
    }
  }
  const [first, ...others] = failures;
  if (first === undefined) return adapters;
  if (others.length === 0) throw first;
  throw new BorderlinkError(first.code, `${failures.length} adapters failed to load:\n${failures.map((f) => `- ${f.message}`).join('\n')}`, {
    cause: first,
    detail: { failures: failures.map((f) => ({ code: f.code, message: f.message })) },
  });
}

async function loadOne(folder: string, shapeCheck: () => ProfileShapeCheck): Promise<AnyAdapter> {
  const hasProfile = existsSync(path.join(folder, PROFILE_FILE));
  const code = CODE_FILES.filter((f) => existsSync(path.join(folder, f)));
  if (hasProfile && code.length > 0) {
    throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `${folder} holds both ${PROFILE_FILE} and ${code.join(', ')}: keep one`, { detail: { folder } });
  }
  if (hasProfile) {
    const check = shapeCheck();
    return compileProfile(await loadProfile(path.join(folder, PROFILE_FILE), check), check);
  }
  if (code.includes('adapter.js')) return importAdapter(path.join(folder, 'adapter.js'));
  if (code.includes('adapter.ts')) {
    const compiled = compiledCounterpart(folder);
    return importAdapter(compiled ?? path.join(folder, 'adapter.ts'));
  }
  throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `${folder} holds no ${PROFILE_FILE}, adapter.js or adapter.ts`, { detail: { folder } });
}

/**
 * adapters/<id>/adapter.ts of this package, compiled by `tsc` to dist/adapters/<id>/adapter.js,
 * when this module itself runs from dist/. undefined otherwise (vitest and tsx import .ts directly).
 */
function compiledCounterpart(folder: string): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url)); // <root>/dist/src/adapter when compiled
  const distRoot = path.resolve(here, '..', '..');
  if (path.basename(distRoot) !== 'dist') return undefined;
  const sourceAdapters = path.join(path.dirname(distRoot), 'adapters');
  if (path.resolve(path.dirname(folder)) !== sourceAdapters) return undefined;
  const candidate = path.join(distRoot, 'adapters', path.basename(folder), 'adapter.js');
  return existsSync(candidate) ? candidate : undefined;
}

async function importAdapter(file: string): Promise<AnyAdapter> {
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (cause) {
    const hint = file.endsWith('.ts') ? ' (TypeScript adapters must be compiled first: npm run build)' : '';
    throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `adapter module ${file} cannot be imported${hint}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, detail: { file } });
  }
  const problems = adapterShapeProblems(mod.default);
  if (problems.length > 0) {
    throw new BorderlinkError('BL_ERR_ADAPTER_INVALID', `adapter module ${file} does not export a valid adapter as default: ${problems.join('; ')}`, { detail: { file, problems } });
  }
  return mod.default as AnyAdapter;
}

/** A structural check of a module's default export; the types cannot be checked at runtime. */
function adapterShapeProblems(a: unknown): string[] {
  if (typeof a !== 'object' || a === null) return ['the default export is not an object (use defineAdapter)'];
  const r = a as { [k: string]: unknown };
  const problems: string[] = [];
  for (const k of ['id', 'version', 'transport'] as const) if (typeof r[k] !== 'string' || r[k] === '') problems.push(`${k} must be a non-empty string`);
  if (typeof r.deviceClass !== 'string' || !(DEVICE_CLASSES as readonly string[]).includes(r.deviceClass)) problems.push(`deviceClass must be one of ${DEVICE_CLASSES.join(', ')}`);
  if (typeof r.optionsSchema !== 'object' || r.optionsSchema === null) problems.push('optionsSchema must be an object');
  if (typeof r.acquisition !== 'object' || r.acquisition === null) problems.push('acquisition must be an object');
  for (const k of ['initialState', 'decode', 'normalise'] as const) if (typeof r[k] !== 'function') problems.push(`${k} must be a function`);
  return problems;
}
