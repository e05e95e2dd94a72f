/**
 * Collecting and reporting profile problems: every problem is gathered first, then thrown as one
 * BL_ERR_PROFILE_INVALID whose message lists each with its path (and YAML line when known).
 */
import { BorderlinkError } from '../../errors.js';
import type { ProfileProblem } from './profile-types.js';

export interface ProblemList {
  add(path: string, message: string): void;
  readonly items: readonly ProfileProblem[];
}

export function problemList(): ProblemList {
  const items: ProfileProblem[] = [];
  return { add: (path, message) => void items.push({ path, message }), items };
}

/** JSON Pointer from segments: pointer('emit', 2, 'when') -> "/emit/2/when". */
export function pointer(...segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** "/emit/2/when/changed" -> "emit[2].when.changed" (what people read in a message). */
export function displayPath(ptr: string): string {
  if (ptr === '') return '(top level)';
  return ptr
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc === '' ? part : `${acc}.${part}`), '');
}

/** A problem as reported: path in both spellings, the YAML line where known. */
export interface ReportedProblem extends ProfileProblem {
  line?: number;
}

/**
 * The error for an invalid profile.
 * @param locate maps a JSON Pointer to its 1-based YAML line, when the profile came from a file
 */
export function profileInvalid(
  source: string,
  problems: readonly ProfileProblem[],
  locate?: (ptr: string) => number | undefined,
): BorderlinkError {
  const reported: ReportedProblem[] = problems.map((p) => {
    const line = locate?.(p.path);
    return line === undefined ? { ...p } : { ...p, line };
  });
  const lines = reported.map((p) => `  - ${displayPath(p.path)}${p.line === undefined ? '' : ` (line ${p.line})`}: ${p.message}`);
  const count = reported.length === 1 ? '1 problem' : `${reported.length} problems`;
  return new BorderlinkError('BL_ERR_PROFILE_INVALID', `profile ${source} is invalid (${count}):\n${lines.join('\n')}`, {
    detail: { source, problems: reported },
  });
}
