/**
 * Builds dist/ once before the suite: end-to-end tests run the real daemon (node dist/src/main.js),
 * exactly as `npm start` and the Dockerfile do. A failed build does not stop unit tests; the
 * end-to-end tests read the build log (dist/.build-error) and fail with it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const marker = path.join(root, 'dist', '.build-error');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  mkdirSync(path.dirname(marker), { recursive: true });
  if (r.status !== 0) writeFileSync(marker, `${r.stdout}${r.stderr}`);
  else rmSync(marker, { force: true });
}
