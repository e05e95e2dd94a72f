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

import { displayPath } from '../../json-pointer.js';

export { displayPath, pointer } from '../../json-pointer.js';

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
