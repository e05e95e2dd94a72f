/**
 * The command line: start, validate-config, simulate, version. Exit codes: 0 done, 1 runtime
 * failure, 2 usage or config error. Config errors print every problem, never a stack trace.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadAdapters } from './adapter/registry.js';
import { systemClock } from './clock.js';
import { defaultConfigPath } from './config/config-path.js';
import { loadConfig } from './config/load-config.js';
import { BorderlinkError, describeError, isBorderlinkError } from './errors.js';
import { createGateway } from './gateway.js';
import { createLogger } from './log.js';
import { packageRoot } from './package-root.js';
import { GATEWAY_VERSION } from './version.js';
import { inspectFile } from './inspect.js';
import { inspectJcampFile, looksLikeJcamp } from './jcamp-inspect.js';
import { identifyCommand } from './identify-command.js';
import { auditCommand } from './audit/audit-command.js';
import { mosquittoAclCommand } from './sharing/acl-command.js';
import { readFileSync, statSync } from 'node:fs';
import { runSimulatorCommand } from '../simulators/cli.js';

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: CliIo = {
  out: (s) => process.stdout.write(s.endsWith('\n') ? s : `${s}\n`),
  err: (s) => process.stderr.write(s.endsWith('\n') ? s : `${s}\n`),
};

const HELP = `borderlink ${GATEWAY_VERSION}: vendor-neutral gateway for border detection equipment

Usage: borderlink <command> [options]

Commands:
  start [--config FILE]        run the gateway (default config: config/default.yaml,
                               the embedded demo; BORDERLINK_CONFIG also names a file)
  validate-config FILE         check a configuration file and list every problem
  simulate <kind> [options]    run a device simulator alone
  inspect FILE [--adapter ID]  print the events the gateway makes of a file (N42 document,
                               line-protocol capture), or what it reads from a JCAMP-DX
                               spectrum, without publishing anything
  identify FILE [--library D]  rank a spectrum (JCAMP-DX) against the reference library
  audit verify [--file PATH]   check the audit log's hash chain; names the first broken line
  mosquitto-acl [--out FILE]   the Mosquitto acl_file confining each agency to its topic tree
  version                      print the version

Run 'borderlink <command> --help' for a command's options.
Exit codes: 0 done, 1 runtime failure, 2 usage or configuration error.`;

const START_HELP = `Usage: borderlink start [--config FILE]

Runs the gateway until SIGINT or SIGTERM, then stops devices, drains the pipeline, waits for
in-flight publishes and closes the outbox last.

Options:
  -c, --config FILE   configuration file (default: $BORDERLINK_CONFIG or config/default.yaml)
  -h, --help          this text

Environment overrides (deployment keys): BORDERLINK_HTTP_HOST, BORDERLINK_HTTP_PORT,
BORDERLINK_MQTT_URL, BORDERLINK_MQTT_EMBEDDED_HOST, BORDERLINK_MQTT_EMBEDDED_PORT,
BORDERLINK_DATA_DIR, BORDERLINK_LOG_LEVEL, BORDERLINK_GATEWAY_ID, BORDERLINK_SITE_ID, ...`;

const VALIDATE_HELP = `Usage: borderlink validate-config FILE

Checks FILE against the configuration schema and the installed adapters. Prints "ok" and
exits 0, or prints every problem (its path and line in the file) and exits 2.`;

const INSPECT_HELP = `Usage: borderlink inspect FILE [--adapter ID] [--device ID] [--site SITE] [--full]

Decodes FILE with an adapter (picked from the content when --adapter is not given: XML is read as
ANSI N42.42, tagged CSV lines as the portal line protocol) and prints, as JSON, the events the
gateway would publish, plus every input it would quarantine, with its code. Nothing is stored or
published. Exit code 0 when everything decodes, 1 with the reasons when something does not.

A JCAMP-DX file (first line a ## label) is read as a spectrum instead: per block the title, data
type, x and y units, number of points, first and last x, min and max y, private labels and the
reader's warnings; --full adds the y values.

Options:
  -a, --adapter ID   adapter id (see adapters/)
  -f, --full         JCAMP-DX: print every y value
  -d, --device ID    device id stamped on the events (default: inspect)
  -s, --site SITE    site id stamped on the events (default: XXXXX)
  -h, --help         this text`;

async function inspectCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { adapter: { type: 'string', short: 'a' }, device: { type: 'string', short: 'd' }, site: { type: 'string', short: 's' }, full: { type: 'boolean', short: 'f' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (e) {
    return usage(io, describeError(e).message, INSPECT_HELP);
  }
  if (parsed.values.help) {
    io.out(INSPECT_HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1) return usage(io, 'inspect takes exactly one FILE', INSPECT_HELP);
  if (!parsed.values.adapter && isJcampFile(file)) {
    try {
      const r = inspectJcampFile(file, { full: parsed.values.full === true });
      io.out(JSON.stringify(r, null, 2));
      if (!r.ok) {
        io.err(`error: ${r.code}: ${r.message}`);
        return 1;
      }
      return 0;
    } catch (e) {
      io.err(`error: ${describeError(e).message}`);
      return 1;
    }
  }
  const adapters = await loadAdaptersOrReport(io);
  if (!adapters) return 2;
  try {
    const r = inspectFile({ file, adapterId: parsed.values.adapter, deviceId: parsed.values.device, siteId: parsed.values.site }, adapters);
    io.out(JSON.stringify(r, null, 2));
    if (r.failures.length > 0 || r.frames === 0) {
      const first = r.failures[0];
      io.err(first ? `error: ${r.failures.length} input(s) would be quarantined; first: ${first.code}: ${first.message}` : 'error: the file holds no frame');
      return 1;
    }
    return 0;
  } catch (e) {
    io.err(`error: ${describeError(e).message}`);
    return 1;
  }
}

/** A readable file whose content starts with a JCAMP-DX label; unreadable files go the N42/stream way and get its error. */
function isJcampFile(file: string): boolean {
  try {
    if (statSync(file).size > 64 * 1024 * 1024) return false;
    return looksLikeJcamp(readFileSync(file));
  } catch {
    return false;
  }
}

function usage(io: CliIo, message: string, help: string): number {
  io.err(`error: ${message}\n\n${help}`);
  return 2;
}

async function loadAdaptersOrReport(io: CliIo): Promise<Awaited<ReturnType<typeof loadAdapters>> | undefined> {
  try {
    return await loadAdapters(path.join(packageRoot(), 'adapters'));
  } catch (e) {
    io.err(`error: ${describeError(e).message}`);
    return undefined;
  }
}

async function validateCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    return usage(io, describeError(e).message, VALIDATE_HELP);
  }
  if (parsed.values.help) {
    io.out(VALIDATE_HELP);
    return 0;
  }
  const file = parsed.positionals[0];
  if (!file || parsed.positionals.length > 1) return usage(io, 'validate-config takes exactly one FILE', VALIDATE_HELP);
  const adapters = await loadAdaptersOrReport(io);
  if (!adapters) return 2;
  try {
    loadConfig(file, { adapters });
    io.out(`ok: ${file} is a valid configuration`);
    return 0;
  } catch (e) {
    io.err(isBorderlinkError(e) ? e.message : `error: ${describeError(e).message}`);
    return 2;
  }
}

async function startCommand(args: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: false, options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    return usage(io, describeError(e).message, START_HELP);
  }
  if (parsed.values.help) {
    io.out(START_HELP);
    return 0;
  }
  const file = parsed.values.config ?? defaultConfigPath();
  const adapters = await loadAdaptersOrReport(io);
  if (!adapters) return 2;
  let config;
  try {
    config = loadConfig(file, { adapters });
  } catch (e) {
    io.err(isBorderlinkError(e) ? e.message : `error: ${describeError(e).message}`);
    return 2;
  }
  const logger = createLogger({ level: config.gateway.logLevel });
  const gateway = await createGateway({ config, logger, clock: systemClock, adapters });
  let stopping: Promise<void> | undefined;
  const stop = (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    logger.info({ signal }, 'signal received');
    const hard = setTimeout(() => {
      logger.error({ timeoutMs: config.gateway.shutdownTimeoutMs }, 'shutdown timed out: exiting');
      process.exit(1);
    }, config.gateway.shutdownTimeoutMs + 1000);
    hard.unref();
    stopping = gateway.stop().finally(() => clearTimeout(hard));
    return stopping;
  };
  const finished = new Promise<number>((resolve) => {
    // `on`, not `once`: libraries that use signal-exit (loaded with OPC UA) re-raise a signal when
    // theirs are the only listeners left, which would kill the process mid-shutdown
    process.on('SIGINT', () => void stop('SIGINT').then(() => resolve(0), () => resolve(1)));
    process.on('SIGTERM', () => void stop('SIGTERM').then(() => resolve(0), () => resolve(1)));
  });
  try {
    await gateway.start();
  } catch (e) {
    const d = describeError(e);
    logger.fatal({ err: d }, 'gateway failed to start');
    io.err(`error: ${d.message}`);
    await gateway.stop().catch(() => undefined);
    return isBorderlinkError(e) && (e.kind === 'config' || e.kind === 'usage') ? 2 : 1;
  }
  return finished;
}

export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      io.out(HELP);
      return command === undefined ? 2 : 0;
    case 'version':
    case '--version':
    case '-v':
      io.out(GATEWAY_VERSION);
      return 0;
    case 'start':
      return startCommand(rest, io);
    case 'validate-config':
      return validateCommand(rest, io);
    case 'simulate':
      return runSimulatorCommand(rest);
    case 'inspect':
      return inspectCommand(rest, io);
    case 'identify':
      return identifyCommand(rest, io);
    case 'audit':
      return auditCommand(rest, io);
    case 'mosquitto-acl':
      return mosquittoAclCommand(rest, io);
    default:
      return usage(io, `unknown command "${command}"`, HELP);
  }
}

export function exitCodeFor(e: unknown): number {
  return e instanceof BorderlinkError && (e.kind === 'config' || e.kind === 'usage') ? 2 : 1;
}
