/** Runs `borderlink simulate ...` in-process with captured stdout/stderr, for the simulator command tests. */
import { runSimulatorCommand } from '../../simulators/cli.js';
import { silentLogger } from '../../src/log.js';

export interface Captured {
  write(s: string): boolean;
  text(): string;
}

/** A stdout/stderr stand-in that keeps what is written. */
export function capture(): Captured {
  let buf = '';
  return {
    write(s: string) {
      buf += s;
      return true;
    },
    text: () => buf,
  };
}

/** One command to its exit (for commands that fail or print help without starting anything). */
export async function runSimulate(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out = capture();
  const err = capture();
  const code = await runSimulatorCommand(argv, { stdout: out, stderr: err, logger: silentLogger() });
  return { code, out: out.text(), err: err.text() };
}
