/**
 * BORDERLINK_* environment variables override deployment keys (ports, addresses, broker URL,
 * data dir, ids). They are applied before validation, so a bad value is reported like a bad key.
 */
type Kind = 'string' | 'port';

const OVERLAY: ReadonlyArray<{ env: string; path: readonly string[]; kind: Kind }> = [
  { env: 'BORDERLINK_GATEWAY_ID', path: ['gateway', 'id'], kind: 'string' },
  { env: 'BORDERLINK_SITE_ID', path: ['gateway', 'siteId'], kind: 'string' },
  { env: 'BORDERLINK_DATA_DIR', path: ['gateway', 'dataDir'], kind: 'string' },
  { env: 'BORDERLINK_LOG_LEVEL', path: ['gateway', 'logLevel'], kind: 'string' },
  { env: 'BORDERLINK_MQTT_URL', path: ['mqtt', 'url'], kind: 'string' },
  { env: 'BORDERLINK_MQTT_USERNAME', path: ['mqtt', 'username'], kind: 'string' },
  { env: 'BORDERLINK_MQTT_PASSWORD_FILE', path: ['mqtt', 'passwordFile'], kind: 'string' },
  { env: 'BORDERLINK_MQTT_EMBEDDED_HOST', path: ['mqtt', 'embedded', 'host'], kind: 'string' },
  { env: 'BORDERLINK_MQTT_EMBEDDED_PORT', path: ['mqtt', 'embedded', 'port'], kind: 'port' },
  { env: 'BORDERLINK_HTTP_HOST', path: ['http', 'host'], kind: 'string' },
  { env: 'BORDERLINK_HTTP_PORT', path: ['http', 'port'], kind: 'port' },
  { env: 'BORDERLINK_HTTP_API_KEYS_FILE', path: ['http', 'apiKeysFile'], kind: 'string' },
];

export const ENV_VARIABLES: readonly string[] = OVERLAY.map((o) => o.env);

export interface OverlayResult {
  value: unknown;
  problems: string[];
  /** JSON pointer of each overridden key -> the variable that set it */
  sources: Map<string, string>;
}

export function applyEnvOverlay(raw: unknown, env: NodeJS.ProcessEnv): OverlayResult {
  const problems: string[] = [];
  const sources = new Map<string, string>();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { value: raw, problems: ['(top level): the configuration must be a YAML mapping'], sources };
  }
  const value = structuredClone(raw) as Record<string, unknown>;
  for (const o of OVERLAY) {
    const text = env[o.env];
    if (text === undefined || text === '') continue;
    let v: string | number = text;
    if (o.kind === 'port') {
      if (!/^\d+$/.test(text) || Number(text) > 65535) {
        problems.push(`${o.env}: "${text}" is not a port number (0-65535)`);
        continue;
      }
      v = Number(text);
    }
    let node = value;
    for (const key of o.path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined || next === null) node[key] = {};
      else if (typeof next !== 'object' || Array.isArray(next)) {
        problems.push(`${o.env}: cannot set ${o.path.join('.')} because ${key} is not a mapping`);
        node = {};
        break;
      }
      node = node[key] as Record<string, unknown>;
    }
    node[o.path[o.path.length - 1] as string] = v;
    sources.set(`/${o.path.join('/')}`, o.env);
  }
  return { value, problems, sources };
}
