/**
 * Loads the one YAML configuration file: parse, overlay BORDERLINK_* environment variables,
 * validate against schemas/config/config.schema.json (every problem at once, each with its path
 * and line), check what a schema cannot (references, duplicates, insecure binds), resolve
 * secrets from files, freeze. Only this folder reads process.env.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Node as YamlNode, type Pair } from 'yaml';
import { BorderlinkError } from '../errors.js';
import { displayPath } from '../json-pointer.js';
import { packageRoot } from '../package-root.js';
import { applyEnvOverlay } from './env-overlay.js';
import { normaliseHttpHardening, normaliseIdentities } from './identities.js';
import { checkSemantics } from './semantic-checks.js';
import type { AgencyConfig, Classification, GatewayConfig, OpcUaConnection, OpcUaIdentity, Role, SharingSection, SimulatorConfig } from './types.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /** adapter ids and their options schemas, to check devices against what is installed */
  adapters?: ReadonlyMap<string, { optionsSchema: object }>;
}

type Locate = (jsonPath: string) => string;

function configSchema(): object {
  const file = path.join(packageRoot(), 'schemas', 'config', 'config.schema.json');
  return JSON.parse(readFileSync(file, 'utf8')) as object;
}

function lineLocator(doc: ReturnType<typeof parseDocument>, lc: LineCounter): Locate {
  return (pointer: string) => {
    let node: YamlNode | null | undefined = doc.contents as YamlNode | null;
    for (const part of pointer.split('/').slice(1)) {
      if (isMap(node)) {
        const pair: Pair<unknown, unknown> | undefined = node.items.find((it) => isScalar(it.key) && String(it.key.value) === part);
        node = (pair?.value as YamlNode | undefined) ?? (pair?.key as YamlNode | undefined);
      } else if (isSeq(node)) {
        node = node.items[Number(part)] as YamlNode | undefined;
      } else break;
    }
    const offset = node?.range?.[0];
    if (offset === undefined) return '';
    const { line } = lc.linePos(offset);
    return ` (line ${line})`;
  };
}

function describeAjvError(e: ErrorObject, locate: Locate): string | undefined {
  const where = displayPath(e.instancePath);
  const line = locate(e.instancePath);
  switch (e.keyword) {
    case 'additionalProperties': {
      const prop = (e.params as { additionalProperty: string }).additionalProperty;
      const p = `${e.instancePath}/${prop}`;
      return `${displayPath(p)}${locate(p)}: unknown key "${prop}"`;
    }
    case 'required':
      return `${where}${line}: missing required key "${(e.params as { missingProperty: string }).missingProperty}"`;
    case 'enum':
      return `${where}${line}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'oneOf':
      if (e.instancePath.endsWith('/connection')) {
        return `${where}${line}: give exactly one of: host and port, simulator, serial, folder, ingestPath, url, opcua (with endpointUrl)`;
      }
      return `${where}${line}: ${e.message ?? 'is invalid'}`;
    case 'not':
    case 'if':
      return undefined; // explained by the oneOf message
    default:
      return `${where}${line}: ${e.message ?? 'is invalid'}`;
  }
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}

/** Parses and validates configuration text. Throws a config-kind BorderlinkError listing every problem. */
export function parseConfig(text: string, file: string, opts: LoadConfigOptions = {}): GatewayConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => `line ${e.linePos?.[0]?.line ?? '?'}: ${e.message.split('\n')[0]}`);
    throw new BorderlinkError('BL_ERR_CONFIG_UNREADABLE', `${file} is not valid YAML:\n  - ${problems.join('\n  - ')}`, { detail: { problems } });
  }
  const raw: unknown = doc.toJS() ?? {};
  const env = opts.env ?? process.env;
  const overlay = applyEnvOverlay(raw, env);
  const inFile = lineLocator(doc, lc);
  // a value set by an environment variable is reported as coming from it, not from a line
  const locate: Locate = (pointer) => {
    const from = overlay.sources.get(pointer);
    return from ? ` (from ${from})` : inFile(pointer);
  };

  const problems: string[] = [...overlay.problems];
  const ajv = new Ajv2020({ allErrors: true, useDefaults: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  const validate = ajv.compile(configSchema());
  if (!validate(overlay.value)) {
    for (const e of validate.errors ?? []) {
      const msg = describeAjvError(e, locate);
      if (msg && !problems.includes(msg)) problems.push(msg);
    }
  }
  if (problems.length === 0) {
    problems.push(...checkSemantics(overlay.value as Record<string, unknown>, { locate, file, adapters: opts.adapters }));
  }
  if (problems.length > 0) {
    throw new BorderlinkError(
      'BL_ERR_CONFIG_INVALID',
      `${file}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  - ${problems.join('\n  - ')}`,
      { detail: { problems } },
    );
  }
  const config = normalise(overlay.value as Record<string, unknown>, file);
  return deepFreeze(config);
}

export function loadConfig(file: string, opts: LoadConfigOptions = {}): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (e as Error).message;
    throw new BorderlinkError('BL_ERR_CONFIG_UNREADABLE', `cannot read config ${file}: ${reason}`);
  }
  return parseConfig(text, file, opts);
}

function readSecretFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    // the secret's value is never part of the message; the path is configuration, not a secret
    throw new BorderlinkError('BL_ERR_CONFIG_SECRET_FILE', `cannot read ${what} from ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/**
 * OPC UA settings with their defaults: for a device with connection.opcua, or one that names an
 * OPC UA simulator (which needs a PKI too). Secure by default: SignAndEncrypt, Basic256Sha256,
 * unknown server certificates refused.
 */
function opcuaConnection(c: Record<string, unknown>, deviceId: string, dataDir: string, opcuaSimulators: ReadonlySet<string>): OpcUaConnection | undefined {
  type Obj = Record<string, unknown>;
  const o = c.opcua as Obj | undefined;
  if (o === undefined && !(typeof c.simulator === 'string' && opcuaSimulators.has(c.simulator))) return undefined;
  const sec = (o?.security ?? {}) as Obj;
  const idn = (o?.identity ?? {}) as Obj;
  let identity: OpcUaIdentity = { type: 'anonymous' };
  if (idn.type === 'username') {
    identity = {
      type: 'username',
      username: idn.username as string,
      password: typeof idn.passwordFile === 'string' ? readSecretFile(idn.passwordFile, `OPC UA password of device ${deviceId}`) : (idn.password as string),
    };
  } else if (idn.type === 'certificate') {
    identity = { type: 'certificate', certFile: idn.certFile as string, keyFile: idn.keyFile as string };
  }
  return {
    ...(typeof o?.endpointUrl === 'string' ? { endpointUrl: o.endpointUrl } : {}),
    security: {
      policy: (sec.policy as OpcUaConnection['security']['policy'] | undefined) ?? 'Basic256Sha256',
      mode: (sec.mode as OpcUaConnection['security']['mode'] | undefined) ?? 'SignAndEncrypt',
      allowInsecure: (sec.allowInsecure as boolean | undefined) ?? false,
    },
    identity,
    trustUnknownServer: (o?.trustUnknownServer as boolean | undefined) ?? false,
    pkiDir: path.resolve(dataDir, typeof o?.pkiDir === 'string' ? o.pkiDir : path.join('pki', 'opcua')),
    ...(typeof o?.applicationUri === 'string' ? { applicationUri: o.applicationUri } : {}),
    ...(typeof o?.connectTimeoutMs === 'number' ? { connectTimeoutMs: o.connectTimeoutMs } : {}),
  };
}

function normalise(v: Record<string, unknown>, file: string): GatewayConfig {
  type Obj = Record<string, unknown>;
  const g = v.gateway as Obj;
  const m = (v.mqtt ?? {}) as Obj;
  const h = (v.http ?? {}) as Obj;
  const o = (v.outbox ?? {}) as Obj;
  const idn = (v.identification ?? {}) as Obj;
  const emb = (m.embedded ?? {}) as Obj;
  const tls = m.tls as Obj | undefined;
  const apiKeys = [...((h.apiKeys as string[] | undefined) ?? [])];
  if (typeof h.apiKeysFile === 'string') {
    apiKeys.push(...readSecretFile(h.apiKeysFile, 'http.apiKeysFile').split('\n').map((s) => s.trim()).filter((s) => s.length > 0 && !s.startsWith('#')));
  }
  const password = typeof m.passwordFile === 'string' ? readSecretFile(m.passwordFile, 'mqtt.passwordFile') : (m.password as string | undefined);
  const users = ((emb.users as Obj[] | undefined) ?? []).map((u) => {
    const pw = typeof u.passwordFile === 'string' ? readSecretFile(u.passwordFile, `password of embedded user ${String(u.username)}`) : (u.password as string | undefined);
    return {
      username: u.username as string,
      ...(pw !== undefined ? { password: pw } : {}),
      ...(typeof u.agency === 'string' ? { agency: u.agency } : {}),
      roles: [...((u.roles as Role[] | undefined) ?? ['viewer'])],
    };
  });
  const embTls = emb.tls as Obj | undefined;
  const au = (v.audit ?? {}) as Obj;
  const sh = (v.sharing ?? {}) as Obj;
  // relative folders (watched folders, simulator drop folders) live under the data dir
  const dataDir = path.resolve(g.dataDir as string);
  const opcuaSimulators = new Set(((v.simulators as Obj[] | undefined) ?? []).filter((s) => s.kind === 'xray-opcua').map((s) => s.id as string));
  return {
    baseDir: path.dirname(path.resolve(file)),
    gateway: {
      id: g.id as string,
      siteId: g.siteId as string,
      dataDir,
      logLevel: g.logLevel as GatewayConfig['gateway']['logLevel'],
      shutdownTimeoutMs: g.shutdownTimeoutMs as number,
    },
    mqtt: {
      url: m.url as string | undefined,
      username: m.username as string | undefined,
      password,
      clientId: m.clientId as string | undefined,
      protocolVersion: m.protocolVersion as 4 | 5 | undefined,
      payloadFormat: (m.payloadFormat as 'json' | 'protobuf' | undefined) ?? 'json',
      inflightWindow: (m.inflightWindow as number | undefined) ?? 1000,
      keepaliveSeconds: (m.keepaliveSeconds as number | undefined) ?? 30,
      tls: tls
        ? {
            caFile: tls.caFile as string | undefined,
            certFile: tls.certFile as string | undefined,
            keyFile: tls.keyFile as string | undefined,
            rejectUnauthorized: (tls.rejectUnauthorized as boolean | undefined) ?? true,
          }
        : undefined,
      agencyUsers: ((m.agencyUsers as { username: string; agency?: string }[] | undefined) ?? []).map((u) => ({ ...u })),
      embedded: {
        host: (emb.host as string | undefined) ?? '127.0.0.1',
        port: (emb.port as number | undefined) ?? 1883,
        users,
        ...(embTls
          ? {
              tls: {
                host: (embTls.host as string | undefined) ?? ((emb.host as string | undefined) ?? '127.0.0.1'),
                port: (embTls.port as number | undefined) ?? 8883,
                // relative to the configuration file
                certFile: path.resolve(path.dirname(path.resolve(file)), embTls.certFile as string),
                keyFile: path.resolve(path.dirname(path.resolve(file)), embTls.keyFile as string),
                ...(typeof embTls.caFile === 'string' ? { caFile: path.resolve(path.dirname(path.resolve(file)), embTls.caFile) } : {}),
                requireClientCert: (embTls.requireClientCert as boolean | undefined) ?? false,
              },
            }
          : {}),
      },
    },
    http: {
      enabled: (h.enabled as boolean | undefined) ?? true,
      host: (h.host as string | undefined) ?? '127.0.0.1',
      port: (h.port as number | undefined) ?? 8080,
      apiKeys,
      maxPageSize: (h.maxPageSize as number | undefined) ?? 500,
      bodyLimitBytes: (h.bodyLimitBytes as number | undefined) ?? 10 * 1024 * 1024,
      scannerUpload: (() => {
        const su = (h.scannerUpload ?? {}) as Obj;
        return {
          maxImageBytes: (su.maxImageBytes as number | undefined) ?? 20 * 1024 * 1024,
          maxImages: (su.maxImages as number | undefined) ?? 8,
          maxResultBytes: (su.maxResultBytes as number | undefined) ?? 1024 * 1024,
        };
      })(),
      ...normaliseHttpHardening(h, path.dirname(path.resolve(file))),
    },
    outbox: {
      batchMaxEvents: (o.batchMaxEvents as number | undefined) ?? 500,
      retentionHours: (o.retentionHours as number | undefined) ?? 168,
      retainMaxEvents: (o.retainMaxEvents as number | undefined) ?? 0,
      maxBytes: (o.maxBytes as number | undefined) ?? 1024 ** 3,
      warnAtFraction: (o.warnAtFraction as number | undefined) ?? 0.8,
      quarantineMaxBytes: (o.quarantineMaxBytes as number | undefined) ?? 64 * 1024 ** 2,
      quarantineRetentionHours: (o.quarantineRetentionHours as number | undefined) ?? 720,
    },
    artifacts: (() => {
      const a = (v.artifacts ?? {}) as Obj;
      const r = (a.retention ?? {}) as Obj;
      return {
        maxBytes: (a.maxBytes as number | undefined) ?? 64 * 1024 * 1024,
        retention: {
          maxAgeDays: (r.maxAgeDays as number | undefined) ?? 0,
          maxTotalBytes: (r.maxTotalBytes as number | undefined) ?? 0,
          intervalMinutes: (r.intervalMinutes as number | undefined) ?? 60,
        },
      };
    })(),
    identification: {
      enabled: (idn.enabled as boolean | undefined) ?? true,
      ...(typeof idn.library === 'string' ? { library: path.resolve(path.dirname(path.resolve(file)), idn.library) } : {}),
      top: (idn.top as number | undefined) ?? 5,
    },
    simulators: ((v.simulators as Obj[] | undefined) ?? []).map((s) => ({
      id: s.id as string,
      kind: s.kind as SimulatorConfig['kind'],
      intervalMs: s.intervalMs as number | undefined,
      units: s.units as number[] | undefined,
      folder: typeof s.folder === 'string' ? path.resolve(dataDir, s.folder) : s.kind === 'xray-opcua' ? path.join(dataDir, 'simulators', s.id as string) : undefined,
      host: s.host as string,
      port: s.port as number,
      scenario: s.scenario as string,
      seed: s.seed as number | undefined,
      unitId: s.unitId as number,
      ...(s.mode === 'webhook' || s.mode === 'poll' ? { mode: s.mode } : {}),
      ...(typeof s.webhookUrl === 'string' ? { webhookUrl: s.webhookUrl } : {}),
    })),
    agencies: ((v.agencies as Obj[] | undefined) ?? []).map((a) => ({
      id: a.id as string,
      ...(typeof a.name === 'string' ? { name: a.name } : {}),
      receive: { ...((a.receive as AgencyConfig['receive'] | undefined) ?? {}) },
      redact: [...((a.redact as string[] | undefined) ?? [])],
    })),
    sharing: {
      defaultClassification: (sh.defaultClassification as Classification | undefined) ?? 'internal',
      rules: [...((sh.rules as SharingSection['rules'] | undefined) ?? [])],
    },
    audit: {
      enabled: (au.enabled as boolean | undefined) ?? true,
      file: typeof au.file === 'string' ? path.resolve(dataDir, au.file) : path.join(dataDir, 'audit', 'audit.log'),
      accessReads: (au.accessReads as 'all' | 'denied' | undefined) ?? 'all',
    },
    identities: normaliseIdentities(v, path.dirname(path.resolve(file))),
    devices: ((v.devices as Obj[] | undefined) ?? []).map((d) => {
      const c = d.connection as Obj;
      return {
        id: d.id as string,
        adapter: d.adapter as string,
        deviceClass: d.deviceClass as GatewayConfig['devices'][number]['deviceClass'],
        technique: d.technique as string | undefined,
        enabled: (d.enabled as boolean | undefined) ?? true,
        laneId: d.laneId as string | undefined,
        vendor: d.vendor as string | undefined,
        model: d.model as string | undefined,
        serial: d.serial as string | undefined,
        firmware: d.firmware as string | undefined,
        pollIntervalMs: d.pollIntervalMs as number | undefined,
        timeoutMs: d.timeoutMs as number | undefined,
        options: (d.options as Record<string, unknown> | undefined) ?? {},
        connection: {
          host: c.host as string | undefined,
          port: c.port as number | undefined,
          simulator: c.simulator as string | undefined,
          unitId: (c.unitId as number | undefined) ?? 1,
          serial: c.serial
            ? (() => {
                const sp = c.serial as Obj;
                return {
                  path: sp.path as string,
                  baudRate: (sp.baudRate as number | undefined) ?? 9600,
                  dataBits: (sp.dataBits as 7 | 8 | undefined) ?? 8,
                  parity: (sp.parity as 'none' | 'even' | 'odd' | undefined) ?? 'none',
                  stopBits: (sp.stopBits as 1 | 2 | undefined) ?? 1,
                };
              })()
            : undefined,
          folder: typeof c.folder === 'string' ? path.resolve(dataDir, c.folder) : undefined,
          ingestPath: c.ingestPath as string | undefined,
          opcua: opcuaConnection(c, d.id as string, dataDir, opcuaSimulators),
          url: c.url as string | undefined,
          pageSize: c.pageSize as number | undefined,
          bearerToken: typeof c.bearerTokenFile === 'string' ? readSecretFile(c.bearerTokenFile, `bearer token of device ${String(d.id)}`).trim() : (c.bearerToken as string | undefined),
          webhookSecret: typeof c.webhookSecretFile === 'string' ? readSecretFile(c.webhookSecretFile, `webhook secret of device ${String(d.id)}`).trim() : (c.webhookSecret as string | undefined),
          replayWindowS: c.replayWindowS as number | undefined,
        },
      };
    }),
  };
}
