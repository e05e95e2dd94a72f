#!/usr/bin/env node
/** Process entry: run the CLI, map the outcome to an exit code. */
import { describeError } from './errors.js';
import { exitCodeFor, runCli } from './cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Let pino flush; anything still holding the loop open after a clean stop is a bug,
    // so give it a moment and then leave.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (e: unknown) => {
    process.stderr.write(`error: ${describeError(e).message}\n`);
    process.exit(exitCodeFor(e));
  },
);
