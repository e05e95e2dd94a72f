/**
 * Reads a profile.yaml: parse, check against the profile schema, then check what the schema
 * cannot (references, kinds, keys that do not fit together). Every problem is reported at once,
 * each with its path and YAML line, in one BL_ERR_PROFILE_INVALID.
 */
import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { BorderlinkError } from '../../errors.js';
import { profileProblems } from './compile-profile.js';
import { profileInvalid } from './profile-problems.js';
import { createProfileShapeCheck, type ProfileShapeCheck } from './profile-shape.js';
import type { Profile, ProfileProblem } from './profile-types.js';

/** Maps a JSON Pointer to the 1-based line of the YAML node it names (or its nearest parent). */
function lineLocator(doc: ReturnType<typeof parseDocument>, lc: LineCounter): (ptr: string) => number | undefined {
  return (ptr) => {
    let node: YamlNode | null | undefined = doc.contents as YamlNode | null;
    let found = node;
    for (const raw of ptr.split('/').slice(1)) {
      const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      if (isMap(node)) {
        const pair: { key: unknown; value: unknown } | undefined = node.items.find((it) => isScalar(it.key) && String(it.key.value) === part);
        node = (pair?.value as YamlNode | null | undefined) ?? (pair?.key as YamlNode | undefined);
      } else if (isSeq(node)) {
        node = node.items[Number(part)] as YamlNode | undefined;
      } else node = undefined;
      if (node === undefined || node === null) break;
      found = node;
    }
    const offset = found?.range?.[0];
    return offset === undefined ? undefined : lc.linePos(offset).line;
  };
}

/**
 * Parses and validates profile text.
 * @param source how to name the profile in messages (usually its path)
 * @param shapeCheck a compiled schema check, to reuse across profiles
 */
export function parseProfile(text: string, source: string, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): Profile {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, merge: true, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const problems: ProfileProblem[] = doc.errors.map((e) => {
      const line = lc.linePos(e.pos[0]).line;
      return { path: '', message: `YAML line ${line}: ${e.message.split('\n')[0] ?? e.code}` };
    });
    throw profileInvalid(source, problems);
  }
  const locate = lineLocator(doc, lc);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 });
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_PROFILE_INVALID', `profile ${source} is invalid: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
  const shape = shapeCheck(value);
  if (shape.length > 0) throw profileInvalid(source, shape, locate);
  const profile = value as Profile;
  const semantic = profileProblems(profile);
  if (semantic.length > 0) throw profileInvalid(source, semantic, locate);
  return profile;
}

/** Reads and validates a profile file; throws BL_ERR_PROFILE_INVALID listing every problem. */
export async function loadProfile(file: string, shapeCheck: ProfileShapeCheck = createProfileShapeCheck()): Promise<Profile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new BorderlinkError('BL_ERR_PROFILE_INVALID', `profile ${file} cannot be read`, { cause });
  }
  return parseProfile(text, file, shapeCheck);
}
