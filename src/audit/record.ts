/**
 * The audit log's line format, shared by the writer (audit-log.ts) and the verifier (verify.ts).
 * Pure functions only: no I/O.
 *
 * One line = one entry, UTF-8, terminated by "\n" (0x0A). The line is exactly
 *
 *   {"seq":S,"at":A,"kind":K,"actor":C(actor),"action":X,"outcome":O[,"reason":R][,"detail":C(detail)],"prev":P,"hash":H}
 *
 * - top-level members in exactly that order; `reason` and `detail` only when present;
 * - strings, numbers, true/false/null written as JSON.stringify writes them (no whitespace anywhere);
 * - C(v), the canonical form of a nested value: objects with their keys sorted by UTF-16 code
 *   units (Array.prototype.sort's default order), arrays in their order, scalars as above;
 * - S is an integer >= 1, the line number when the chain is intact (the first line has seq 1);
 * - A is RFC 3339 UTC with milliseconds (Date.prototype.toISOString);
 * - P is the `hash` of the previous line, 64 zeros on the first line (GENESIS_PREV);
 * - H = lowercase hex sha256 over the UTF-8 bytes of the same line with `,"hash":"H"` left out,
 *   i.e. of `{"seq":...,"prev":P}` (hashInput below).
 *
 * Because the bytes of a line must equal the serialisation of the value they parse to, a line
 * cannot be changed without changing its value (a changed `\u001f`/`\u001F` escape or `1e21` /
 * `1E21` exponent is refused as "not canonical"), and its value cannot change without its hash.
 * So any byte altered in line k is reported at line k.
 */
import { createHash } from 'node:crypto';
import type { JsonValue } from '../schema/detection-event.js';

export const AUDIT_KINDS = ['access', 'config', 'decision', 'auth', 'start', 'stop'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export const AUDIT_OUTCOMES = ['allow', 'deny', 'ok'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export type JsonObject = { [key: string]: JsonValue };

/** Who acted: an identity name (never a credential), its agency, how it authenticated. */
export interface AuditActor {
  name: string;
  agency?: string;
  /** 'api-key' | 'jwt' | 'mqtt-password' | 'mqtt-cert' | 'cli' | 'gateway' ... */
  via?: string;
}

/** One line of the log, as parsed. */
export interface AuditRecord {
  seq: number;
  /** RFC 3339 UTC, milliseconds */
  at: string;
  kind: AuditKind;
  actor: AuditActor;
  action: string;
  outcome: AuditOutcome;
  reason?: string;
  detail?: JsonObject;
  /** hash of the previous line; GENESIS_PREV on the first */
  prev: string;
  hash: string;
}

export const GENESIS_PREV = '0'.repeat(64);

const SHA256_HEX = /^[0-9a-f]{64}$/;
const RFC3339_MS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TOP_LEVEL = new Set(['seq', 'at', 'kind', 'actor', 'action', 'outcome', 'reason', 'detail', 'prev', 'hash']);
const ACTOR_KEYS = new Set(['name', 'agency', 'via']);

/** The canonical JSON of a plain JSON value: no whitespace, object keys sorted at every depth. */
export function canonicalJson(v: JsonValue): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k] as JsonValue)}`).join(',')}}`;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function actorJson(a: AuditActor): JsonObject {
  return { name: a.name, ...(a.agency !== undefined ? { agency: a.agency } : {}), ...(a.via !== undefined ? { via: a.via } : {}) };
}

/** `{"seq":...,"prev":"..."` without the closing brace: the common prefix of hash input and line. */
function body(r: Omit<AuditRecord, 'hash'>): string {
  let s = `{"seq":${JSON.stringify(r.seq)},"at":${JSON.stringify(r.at)},"kind":${JSON.stringify(r.kind)}`;
  s += `,"actor":${canonicalJson(actorJson(r.actor))},"action":${JSON.stringify(r.action)},"outcome":${JSON.stringify(r.outcome)}`;
  if (r.reason !== undefined) s += `,"reason":${JSON.stringify(r.reason)}`;
  if (r.detail !== undefined) s += `,"detail":${canonicalJson(r.detail)}`;
  return `${s},"prev":${JSON.stringify(r.prev)}`;
}

/** The text the hash is taken over: the line without its `hash` member. */
export function hashInput(r: Omit<AuditRecord, 'hash'>): string {
  return `${body(r)}}`;
}

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  return sha256Hex(hashInput(r));
}

/** The line for a record (without the terminating "\n"). */
export function serialiseRecord(r: AuditRecord): string {
  return `${body(r)},"hash":${JSON.stringify(r.hash)}}`;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as UTF-8 text, or undefined when they are not valid UTF-8 (a BOM is kept, and so refused by JSON.parse). */
export function decodeUtf8Strict(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks one line's text on its own (not its link to the line before): JSON, the members and
 * their types, the canonical bytes, the hash. Returns the record or the reason it is refused.
 */
export function checkLine(text: string): { ok: true; record: AuditRecord } | { ok: false; reason: string } {
  if (text.length === 0) return { ok: false, reason: 'empty line' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON (${(e as Error).message})` };
  }
  if (!isPlainObject(v)) return { ok: false, reason: 'not a JSON object' };
  for (const k of Object.keys(v)) if (!TOP_LEVEL.has(k)) return { ok: false, reason: `unexpected member "${k}"` };
  const { seq, at, kind, actor, action, outcome, reason, detail, prev, hash } = v;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return { ok: false, reason: 'seq is not a positive integer' };
  if (typeof at !== 'string' || !RFC3339_MS_UTC.test(at) || Number.isNaN(Date.parse(at))) return { ok: false, reason: 'at is not an RFC 3339 UTC time with milliseconds' };
  if (typeof kind !== 'string' || !(AUDIT_KINDS as readonly string[]).includes(kind)) return { ok: false, reason: 'kind is not one of ' + AUDIT_KINDS.join(', ') };
  if (!isPlainObject(actor) || typeof actor.name !== 'string') return { ok: false, reason: 'actor is not an object with a name' };
  for (const k of Object.keys(actor)) if (!ACTOR_KEYS.has(k) || typeof actor[k] !== 'string') return { ok: false, reason: `actor.${k} is not expected or not a string` };
  if (typeof action !== 'string') return { ok: false, reason: 'action is not a string' };
  if (typeof outcome !== 'string' || !(AUDIT_OUTCOMES as readonly string[]).includes(outcome)) return { ok: false, reason: 'outcome is not one of ' + AUDIT_OUTCOMES.join(', ') };
  if (reason !== undefined && typeof reason !== 'string') return { ok: false, reason: 'reason is not a string' };
  if (detail !== undefined && !isPlainObject(detail)) return { ok: false, reason: 'detail is not an object' };
  if (typeof prev !== 'string' || !SHA256_HEX.test(prev)) return { ok: false, reason: 'prev is not 64 lowercase hex digits' };
  if (typeof hash !== 'string' || !SHA256_HEX.test(hash)) return { ok: false, reason: 'hash is not 64 lowercase hex digits' };
  const record: AuditRecord = {
    seq,
    at,
    kind: kind as AuditKind,
    actor: actor as unknown as AuditActor,
    action,
    outcome: outcome as AuditOutcome,
    ...(reason !== undefined ? { reason } : {}),
    ...(detail !== undefined ? { detail: detail as JsonObject } : {}),
    prev,
    hash,
  };
  if (recordHash(record) !== hash) return { ok: false, reason: 'hash does not match the line content (the line was altered)' };
  if (serialiseRecord(record) !== text) return { ok: false, reason: 'the line is not in canonical form (bytes altered without changing the value)' };
  return { ok: true, record };
}
