/**
 * `borderlink mosquitto-acl [--config FILE] [--out FILE]`: the Mosquitto acl_file for an external
 * broker, from the configuration's agencies and broker accounts: the gateway's account
 * (mqtt.username) may write borderlink/#, each agency account in mqtt.agencyUsers may read only
 * borderlink/v1/agency/{agency}/#, an account without agency reads borderlink/#. Point Mosquitto's
 * `acl_file` at the output. Exit 0 written, 2 usage/config error.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { defaultConfigPath } from '../config/config-path.js';
import { loadConfig } from '../config/load-config.js';
import { describeError } from '../errors.js';
import { compileSharing } from './policy-types.js';
import { mosquittoAcl } from './mosquitto-acl.js';

export const ACL_HELP = `Usage: borderlink mosquitto-acl [--config FILE] [--out FILE]

Writes the Mosquitto acl_file that confines each agency's broker accounts (mqtt.agencyUsers) to
its redacted tree borderlink/v1/agency/{agency}/#, and lets only the gateway (mqtt.username)
publish under borderlink/. To standard output unless --out is given.

Options:
  -c, --config FILE   the configuration (default $BORDERLINK_CONFIG or config/default.yaml)
  -o, --out FILE      write the file here (mode 0640)
  -h, --help          this text`;

export interface AclIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export function mosquittoAclCommand(args: string[], io: AclIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { config: { type: 'string', short: 'c' }, out: { type: 'string', short: 'o' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    io.err(`error: ${describeError(e).message}\n\n${ACL_HELP}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(ACL_HELP);
    return 0;
  }
  let text: string;
  try {
    const config = loadConfig(parsed.values.config ?? defaultConfigPath());
    if (config.mqtt.username === undefined) {
      io.err('error: mqtt.username is not set: the ACL needs the gateway\'s broker account (an external broker with users)');
      return 2;
    }
    const compiled = compileSharing({ agencies: config.agencies, sharing: config.sharing });
    if (!compiled.ok) {
      io.err(`error: ${compiled.error.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
      return 2;
    }
    const acl = mosquittoAcl(compiled.value, config.mqtt.agencyUsers, config.mqtt.username);
    if (!acl.ok) {
      io.err(`error: ${acl.error.map((p) => `${p.path}: ${p.message}`).join('\n')}`);
      return 2;
    }
    text = acl.value;
  } catch (e) {
    io.err(`error: ${describeError(e).message}`);
    return 2;
  }
  if (parsed.values.out === undefined) {
    io.out(text);
  } else {
    writeFileSync(parsed.values.out, text, { mode: 0o640 });
    io.out(`wrote ${parsed.values.out}`);
  }
  return 0;
}
