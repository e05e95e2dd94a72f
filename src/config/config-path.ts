import path from 'node:path';
import { packageRoot } from '../package-root.js';

/** $BORDERLINK_CONFIG, else the embedded demo configuration shipped with the package. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.BORDERLINK_CONFIG && env.BORDERLINK_CONFIG !== '' ? env.BORDERLINK_CONFIG : path.join(packageRoot(), 'config', 'default.yaml');
}
