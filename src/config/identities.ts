/**
 * The identities section and the REST hardening keys of http (tls, rateLimit, timeouts): their
 * checks and defaults, kept apart from load-config.ts so that file only calls in here.
 *
 * Files (keyFile, jwksFile, http.tls.*) are relative to the configuration file, like
 * identification.library. Secrets are read here; the JWKS and TLS files are read when the REST
 * server starts (src/security), so a rotated certificate is picked up by a restart.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BorderlinkError } from '../errors.js';
import type { JwtAlgorithm } from '../security/authenticator.js';
import type { HttpSection, IdentitiesSection, Role } from './types.js';

type Obj = Record<string, unknown>;

/** Same minimum as http.apiKeys: a short key can be guessed. */
export const MIN_API_KEY_LENGTH = 16;

function readKeyFile(file: string, name: string): string {
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch (e) {
    // the key's value is never part of the message; the path is configuration, not a secret
    throw new BorderlinkError('BL_ERR_CONFIG_SECRET_FILE', `cannot read the key of identities.apiKeys "${name}" from ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (key.length < MIN_API_KEY_LENGTH) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `identities.apiKeys "${name}": the key in ${file} is shorter than ${MIN_API_KEY_LENGTH} characters`);
  }
  return key;
}

/** SSE heartbeat interval of the REST server: an idle timeout at or below it would cut event streams. */
const SSE_HEARTBEAT_MS = 15_000;

/** What a schema cannot say: key xor keyFile, unique names, known agencies, a timeout that spares streams. */
export function checkRestSecurity(v: Obj, locate: (pointer: string) => string): string[] {
  const problems: string[] = [];
  const http = (v.http ?? {}) as Obj;
  const idle = http.connectionTimeoutMs;
  if (typeof idle === 'number' && idle > 0 && idle <= SSE_HEARTBEAT_MS) {
    problems.push(`http.connectionTimeoutMs${locate('/http/connectionTimeoutMs')}: ${idle} ms would cut event streams between heartbeats (every ${SSE_HEARTBEAT_MS} ms); use more than ${SSE_HEARTBEAT_MS}, or 0`);
  }
  const idn = (v.identities ?? {}) as Obj;
  const keys = (idn.apiKeys as Obj[] | undefined) ?? [];
  const agencyIds = new Set(((v.agencies as Obj[] | undefined) ?? []).map((a) => a.id as string));
  const names = new Set<string>();
  keys.forEach((k, i) => {
    const where = `identities.apiKeys[${i}]${locate(`/identities/apiKeys/${i}`)}`;
    if ((k.key === undefined) === (k.keyFile === undefined)) problems.push(`${where}: give exactly one of key and keyFile`);
    const name = k.name as string;
    if (names.has(name)) problems.push(`${where}: name "${name}" is used more than once`);
    names.add(name);
    if (typeof k.agency === 'string' && !agencyIds.has(k.agency)) {
      problems.push(`${where}: agency "${k.agency}" is not configured under agencies (known: ${[...agencyIds].join(', ') || 'none'})`);
    }
  });
  return problems;
}

/** Whether any REST credential is configured (legacy keys, scoped keys, JWT): the API is then not open. */
export function hasRestCredentials(v: Obj): boolean {
  const http = (v.http ?? {}) as Obj;
  const idn = (v.identities ?? {}) as Obj;
  return ((http.apiKeys as unknown[] | undefined)?.length ?? 0) > 0
    || typeof http.apiKeysFile === 'string'
    || ((idn.apiKeys as unknown[] | undefined)?.length ?? 0) > 0
    || idn.jwt !== undefined;
}

export function normaliseIdentities(v: Obj, configDir: string): IdentitiesSection {
  const idn = (v.identities ?? {}) as Obj;
  const apiKeys = ((idn.apiKeys as Obj[] | undefined) ?? []).map((k) => {
    const name = k.name as string;
    return {
      name,
      key: typeof k.keyFile === 'string' ? readKeyFile(path.resolve(configDir, k.keyFile), name) : (k.key as string),
      ...(typeof k.agency === 'string' ? { agency: k.agency } : {}),
      roles: [...(k.roles as Role[])],
    };
  });
  const j = idn.jwt as Obj | undefined;
  return {
    apiKeys,
    ...(j !== undefined
      ? {
          jwt: {
            issuer: j.issuer as string,
            audience: j.audience as string,
            jwksFile: path.resolve(configDir, j.jwksFile as string),
            agencyClaim: (j.agencyClaim as string | undefined) ?? 'agency',
            rolesClaim: (j.rolesClaim as string | undefined) ?? 'roles',
            clockToleranceS: (j.clockToleranceS as number | undefined) ?? 30,
            algorithms: [...((j.algorithms as JwtAlgorithm[] | undefined) ?? ['RS256', 'ES256'])],
          },
        }
      : {}),
  };
}

/** http.tls, http.rateLimit and the timeouts, defaults applied, files absolute. */
export function normaliseHttpHardening(h: Obj, configDir: string): Pick<HttpSection, 'tls' | 'rateLimit' | 'requestTimeoutMs' | 'connectionTimeoutMs'> {
  const rl = (h.rateLimit ?? {}) as Obj;
  const tls = h.tls as Obj | undefined;
  return {
    requestTimeoutMs: (h.requestTimeoutMs as number | undefined) ?? 30_000,
    connectionTimeoutMs: (h.connectionTimeoutMs as number | undefined) ?? 60_000,
    rateLimit: { max: (rl.max as number | undefined) ?? 1200, timeWindowMs: (rl.timeWindowMs as number | undefined) ?? 60_000 },
    ...(tls !== undefined
      ? {
          tls: {
            certFile: path.resolve(configDir, tls.certFile as string),
            keyFile: path.resolve(configDir, tls.keyFile as string),
            ...(typeof tls.caFile === 'string' ? { caFile: path.resolve(configDir, tls.caFile) } : {}),
          },
        }
      : {}),
  };
}
