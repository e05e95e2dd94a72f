/**
 * Checks a schema cannot express: unique ids, references between sections, adapters that exist,
 * and the secure-by-default rule (nothing listens beyond loopback without credentials).
 */
import { isIP } from 'node:net';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { checkOpcUaDevice } from './opcua-checks.js';

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
  const hasKeys = ((http.apiKeys as unknown[] | undefined)?.length ?? 0) > 0 || typeof http.apiKeysFile === 'string';
  if (http.enabled !== false && !isLoopback(httpHost) && !hasKeys) {
    problems.push(
      `http.host${ctx.locate('/http/host')}: REST would listen on ${httpHost}, beyond loopback, with no credentials. ` +
        'Add http.apiKeys (or http.apiKeysFile / BORDERLINK_HTTP_API_KEYS_FILE), or bind to 127.0.0.1.',
    );
  }
  const mqtt = (v.mqtt ?? {}) as Obj;
  const emb = (mqtt.embedded ?? {}) as Obj;
  const embHost = (emb.host as string | undefined) ?? '127.0.0.1';
  if (mqtt.url === undefined && !isLoopback(embHost) && ((emb.users as unknown[] | undefined)?.length ?? 0) === 0) {
    problems.push(
      `mqtt.embedded.host${ctx.locate('/mqtt/embedded/host')}: the embedded broker would listen on ${embHost}, beyond loopback, with no users. ` +
        'Add mqtt.embedded.users (username and passwordFile), or bind to 127.0.0.1.',
    );
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
