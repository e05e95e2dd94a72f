/**
 * Configuration changes in the audit log: each time the gateway loads its configuration it
 * appends a 'config' entry with the configuration's hash and whether it differs from the one the
 * log saw last. The hash is taken with secrets removed (secrets.ts), so neither a secret nor a
 * hash of one enters the log; the price is that a secret rotated alone is not a "change".
 */
import path from 'node:path';
import type { AuditActor, AuditLog } from './audit-log.js';
import { canonicalJson, sha256Hex } from './record.js';
import { stripSecrets, toPlainJson } from './secrets.js';

/**
 * sha256 (hex) of the canonical JSON (record.ts: keys sorted, no whitespace) of the configuration
 * as JSON.stringify sees it, with every member named like a secret removed at any depth.
 */
export function configHash(config: unknown): string {
  const plain = toPlainJson(config);
  return sha256Hex(canonicalJson(plain === undefined ? null : stripSecrets(plain)));
}

export interface AuditConfigOptions {
  /** the configuration file, recorded in the entry */
  file?: string;
  /** compare with this hash instead of the log's last 'config' entry */
  previousHash?: string;
  /** who loaded it (default: the gateway itself) */
  actor?: AuditActor;
}

/**
 * Appends kind 'config', action 'config.load', detail {configHash, changed, file?, previousHash?}.
 * `changed` is true when no earlier config entry is known (the first load) or the hashes differ.
 */
export function auditConfig(log: AuditLog, config: unknown, opts: AuditConfigOptions = {}): { configHash: string; changed: boolean } {
  const hash = configHash(config);
  const previous = opts.previousHash ?? log.lastConfigHash;
  const changed = previous !== hash;
  log.append({
    kind: 'config',
    actor: opts.actor ?? { name: 'borderlink', via: 'gateway' },
    action: 'config.load',
    outcome: 'ok',
    detail: {
      configHash: hash,
      changed,
      ...(opts.file !== undefined ? { file: path.resolve(opts.file) } : {}),
      ...(previous !== undefined ? { previousHash: previous } : {}),
    },
  });
  return { configHash: hash, changed };
}

/**
 * Where a configuration keeps its audit log: audit.file (the loader makes it absolute), else
 * {gateway.dataDir}/audit/audit.log.
 */
export function auditLogPath(config: { gateway: { dataDir: string }; audit?: { file?: string } }): string {
  return config.audit?.file ?? path.join(config.gateway.dataDir, 'audit', 'audit.log');
}
