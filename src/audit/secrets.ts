/**
 * Keeps secrets out of the audit log (and out of the config hash): every member whose key is
 * named like a secret is dropped, at any depth, inside objects and arrays. Over-stripping is the
 * safe side: `keyFile` or `publicKey` go too, since a name cannot tell a path from a key.
 */
import type { JsonValue } from '../schema/detection-event.js';

/** substrings that mark a key as secret wherever they appear (case-insensitive) */
const SECRET_PARTS = ['password', 'passwd', 'passphrase', 'secret', 'token', 'authorization', 'apikey', 'privatekey', 'credential', 'cookie'];
/** words (camelCase, snake_case, kebab-case parts) that mark a key as secret */
const SECRET_WORDS = new Set(['key', 'keys', 'pwd']);

/**
 * True when a member named `name` may hold a secret: it contains password, passwd, passphrase,
 * secret, token, authorization, apikey, privatekey, credential or cookie (any case), or one of
 * its words is key, keys or pwd (`apiKey`, `x-api-key`, `key_id`, `keyFile`, `apiKeys`).
 */
export function isSecretKey(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_PARTS.some((p) => lower.includes(p))) return true;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/);
  return words.some((w) => SECRET_WORDS.has(w));
}

/** A copy of a plain JSON value without any member whose key is named like a secret. */
export function stripSecrets(v: JsonValue): JsonValue {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(stripSecrets);
  const out: { [key: string]: JsonValue } = {};
  for (const [k, x] of Object.entries(v)) {
    if (!isSecretKey(k)) out[k] = stripSecrets(x);
  }
  return out;
}

/**
 * Any value as plain JSON, as JSON.stringify sees it (toJSON applied, undefined and functions
 * dropped, NaN and infinities null). Undefined when it cannot be serialised (a cycle, a BigInt).
 */
export function toPlainJson(v: unknown): JsonValue | undefined {
  try {
    const text = JSON.stringify(v);
    return text === undefined ? undefined : (JSON.parse(text) as JsonValue);
  } catch {
    return undefined;
  }
}
