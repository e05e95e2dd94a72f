/**
 * `borderlink audit verify [--file PATH | --config FILE]`: checks an audit log's hash chain.
 * Exit 0 "ok: N lines, chain intact"; 1 "broken at line K: <reason>"; 2 usage, config or read error.
 */
import { parseArgs } from 'node:util';
import { defaultConfigPath } from '../config/config-path.js';
import { loadConfig } from '../config/load-config.js';
import { describeError, isBorderlinkError } from '../errors.js';
import { auditLogPath } from './config-audit.js';
import { verifyAuditLog } from './verify.js';

export const AUDIT_HELP = `Usage: borderlink audit verify [--file PATH | --config FILE]

Reads the audit log line by line and checks its hash chain: every line is a canonical JSON entry
whose hash matches its content, whose seq follows the line before and whose prev is that line's
hash. Prints "ok: N lines, chain intact" and exits 0, or "broken at line K: <reason>" for the
FIRST broken line and exits 1. An altered line is reported as itself, a deleted line as the line
after it, a file that ends mid-line as its last line. Exit 2 on a usage, configuration or read error.

Options:
  -f, --file PATH     the audit log to check
  -c, --config FILE   take the log's path from this configuration (audit.file, default
                      {gateway.dataDir}/audit/audit.log); without --file or --config:
                      $BORDERLINK_CONFIG or config/default.yaml
  -h, --help          this text`;

export interface AuditIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

function usage(io: AuditIo, message: string): number {
  io.err(`error: ${message}\n\n${AUDIT_HELP}`);
  return 2;
}

export async function auditCommand(args: string[], io: AuditIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { file: { type: 'string', short: 'f' }, config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usage(io, describeError(e).message);
  }
  if (parsed.values.help) {
    io.out(AUDIT_HELP);
    return 0;
  }
  const [sub, ...extra] = parsed.positionals;
  if (sub !== 'verify' || extra.length > 0) return usage(io, sub === undefined ? 'audit needs a subcommand: verify' : `unknown audit subcommand "${[sub, ...extra].join(' ')}"`);
  if (parsed.values.file !== undefined && parsed.values.config !== undefined) return usage(io, 'give --file or --config, not both');
  let file = parsed.values.file;
  if (file === undefined) {
    const configFile = parsed.values.config ?? defaultConfigPath();
    try {
      file = auditLogPath(loadConfig(configFile));
    } catch (e) {
      io.err(isBorderlinkError(e) ? e.message : `error: ${describeError(e).message}`);
      return 2;
    }
  }
  let r;
  try {
    r = await verifyAuditLog(file);
  } catch (e) {
    io.err(`error: ${describeError(e).message}`);
    return 2;
  }
  if (r.ok) {
    io.out(`ok: ${r.lines} lines, chain intact`);
    return 0;
  }
  io.err(`broken at line ${r.line}: ${r.reason}`);
  return 1;
}
