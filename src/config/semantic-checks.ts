/**
 * Checks a schema cannot express: unique ids, references between sections, adapters that exist,
 * and the secure-by-default rule (nothing listens beyond loopback without credentials).
 */
import { isIP } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { checkRestSecurity, hasRestCredentials } from './identities.js';
import { checkOpcUaDevice } from './opcua-checks.js';
import { compileSharing } from '../sharing/policy-types.js';

type Obj = Record<string, unknown>;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

export function checkSemantics(
  v: Obj,
  ctx: { locate: (pointer: string) => string; file: string; adapters?: ReadonlyMap<string, { optionsSchema: object }> },
): string[] {
  const problems: string[] = [];
  const devices = (v.devices as Obj[] | undefined) ?? [];
  const sims = (v.simulators as Obj[] | undefined) ?? [];
  for (const id of duplicates(devices.map((d) => d.id as string))) problems.push(`devices: id "${id}" is used more than once`);
  for (const id of duplicates(sims.map((s) => s.id as string))) problems.push(`simulators: id "${id}" is used more than once`);
  const simIds = new Set(sims.map((s) => s.id as string));
  const opcuaSimIds = new Set(sims.filter((s) => s.kind === 'xray-opcua').map((s) => s.id as string));
  devices.forEach((d, i) => {
    problems.push(...checkOpcUaDevice(d, i, ctx.locate, opcuaSimIds));
    const c = d.connection as Obj;
    if (typeof c.simulator === 'string' && !simIds.has(c.simulator)) {
      problems.push(`devices[${i}].connection.simulator${ctx.locate(`/devices/${i}/connection/simulator`)}: no simulator with id "${c.simulator}" (known: ${[...simIds].join(', ') || 'none'})`);
    }
    if (ctx.adapters) {
      const a = ctx.adapters.get(d.adapter as string);
      if (!a) {
        problems.push(`devices[${i}].adapter${ctx.locate(`/devices/${i}/adapter`)}: no adapter "${String(d.adapter)}" is installed (installed: ${[...ctx.adapters.keys()].sort().join(', ')})`);
      } else {
        const ajv = new Ajv2020({ allErrors: true, strict: false });
        const validate = ajv.compile(a.optionsSchema);
        if (!validate(d.options ?? {})) {
          for (const e of validate.errors ?? []) problems.push(`devices[${i}].options${e.instancePath.replace(/\//g, '.')}: ${e.message ?? 'is invalid'}`);
        }
      }
    }
  });

  const http = (v.http ?? {}) as Obj;
  const httpHost = (http.host as string | undefined) ?? '127.0.0.1';
  if (http.enabled !== false && !isLoopback(httpHost) && !hasRestCredentials(v)) {
    problems.push(
      `http.host${ctx.locate('/http/host')}: REST would listen on ${httpHost}, beyond loopback, with no credentials. ` +
        'Add http.apiKeys (or http.apiKeysFile / BORDERLINK_HTTP_API_KEYS_FILE), identities.apiKeys or identities.jwt, or bind to 127.0.0.1.',
    );
  }
  problems.push(...checkRestSecurity(v, ctx.locate));
  const mqtt = (v.mqtt ?? {}) as Obj;
  const emb = (mqtt.embedded ?? {}) as Obj;
  const embHost = (emb.host as string | undefined) ?? '127.0.0.1';
  if (mqtt.url === undefined && !isLoopback(embHost) && ((emb.users as unknown[] | undefined)?.length ?? 0) === 0) {
    problems.push(
      `mqtt.embedded.host${ctx.locate('/mqtt/embedded/host')}: the embedded broker would listen on ${embHost}, beyond loopback, with no users. ` +
        'Add mqtt.embedded.users (username and passwordFile), or bind to 127.0.0.1.',
    );
  }
  if (v.agencies !== undefined || v.sharing !== undefined) {
    const compiled = compileSharing({ agencies: v.agencies ?? [], sharing: v.sharing ?? {} });
    if (!compiled.ok) {
      for (const p of compiled.error) problems.push(`${p.path.slice(1).replace(/\//g, '.') || '(root)'}${ctx.locate(p.path)}: ${p.message}`);
    }
  }
  const agencyIds = new Set(((v.agencies as Obj[] | undefined) ?? []).map((a) => a.id as string));
  const embTls = emb.tls as Obj | undefined;
  ((emb.users as Obj[] | undefined) ?? []).forEach((u, i) => {
    const where = `mqtt.embedded.users[${i}]${ctx.locate(`/mqtt/embedded/users/${i}`)}`;
    if (typeof u.agency === 'string' && !agencyIds.has(u.agency)) {
      problems.push(`${where}: agency "${u.agency}" is not configured under agencies (known: ${[...agencyIds].join(', ') || 'none'})`);
    }
    if (u.password === undefined && u.passwordFile === undefined && !(embTls?.caFile !== undefined && embTls.requireClientCert === true)) {
      problems.push(`${where}: user "${String(u.username)}" has no password; without one it can only log in by client certificate, which needs mqtt.embedded.tls with caFile and requireClientCert: true`);
    }
  });
  if (embTls !== undefined && embTls.requireClientCert === true && embTls.caFile === undefined) {
    problems.push('mqtt.embedded.tls: requireClientCert needs caFile (the CA that signs client certificates)');
  }
  if (mqtt.tls !== undefined && mqtt.url === undefined) {
    problems.push('mqtt.tls: TLS settings apply to an external broker; set mqtt.url (mqtts://...) or remove mqtt.tls');
  }
  const tls = (mqtt.tls ?? {}) as Obj;
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) {
    problems.push('mqtt.tls: certFile and keyFile go together (client certificate and its private key)');
  }
  return problems;
}
