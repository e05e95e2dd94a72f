/**
 * REST authentication: who sent a request, from its headers. Framework-free, so the same rules can
 * be tested without a server and reused by another listener.
 *
 * Credentials arrive as `x-api-key: <value>` or `Authorization: Bearer <value>` (x-api-key wins).
 * A value shaped like a JWT (three base64url parts, the first a JSON header naming an `alg`) is
 * verified as a token and never compared as an API key; anything else is an API key.
 *
 * API keys: both sides are hashed to a fixed length and every configured key is compared, so
 * neither a key's length nor which key matched shows in the timing. Scoped keys
 * (identities.apiKeys) carry a name, an agency and roles; legacy keys (http.apiKeys) are the
 * operating authority with role admin.
 *
 * JWT (identities.jwt), verified with jose against the public keys of a JWKS file read once at
 * start. Decisions:
 *   - only the configured asymmetric algorithms; `none` and HMAC are never accepted (a JWKS file
 *     holds public keys: an HMAC secret there would be readable by whoever reads the file);
 *   - `iss` and `aud` must match; `exp` and `sub` are required (a token without expiry would be a
 *     password that never changes; `sub` names the identity in the audit log); `exp` and `nbf`
 *     are checked with clockToleranceS;
 *   - roles come from rolesClaim (an array, or a space-separated string as in OAuth `scope`);
 *     names the gateway does not know are ignored; none left: 403;
 *   - agency comes from agencyClaim. Absent: only a token with role admin is accepted, as the
 *     operating authority (all events, nothing redacted), like a legacy key; any other token
 *     without agency is refused with 403 rather than silently widened or narrowed. Present but
 *     not configured on this gateway: 403. Not a non-empty string: 401 invalid_token.
 *
 *   no credentials                     401, challenge without error (RFC 6750 section 3)
 *   wrong key, bad or expired token    401, error="invalid_token"
 *   valid token, agency/roles unusable 403, error="insufficient_scope"
 *
 * Failures carry a short `reason` for the audit log; neither it nor `detail` ever holds a
 * presented secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { systemClock, type Clock } from '../clock.js';
import { BorderlinkError, type ErrorCode } from '../errors.js';
import { ANONYMOUS_ADMIN, isRole, legacyKeyIdentity, type Identity, type Role } from './identity.js';

export const REALM = 'borderlink';

/** Asymmetric JWS algorithms a JWKS file can hold keys for. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/** A scoped API key (identities.apiKeys), its secret already read. */
export interface ApiKeySpec {
  name: string;
  key: string;
  /** undefined: the operating authority */
  agency?: string;
  roles: readonly Role[];
}

export interface JwtSpec {
  issuer: string;
  audience: string;
  /** absolute path of the JWKS file (public keys) */
  jwksFile: string;
  /** claim naming the agency (default in config: "agency") */
  agencyClaim: string;
  /** claim listing the roles (default in config: "roles") */
  rolesClaim: string;
  clockToleranceS: number;
  algorithms: readonly JwtAlgorithm[];
}

export interface AuthenticatorOptions {
  apiKeys: readonly ApiKeySpec[];
  /** unscoped keys: admin, operating authority */
  legacyKeys: readonly string[];
  jwt?: JwtSpec;
  /** ids of the configured agencies; an identity naming another is refused */
  knownAgencies: ReadonlySet<string>;
  /** for token time checks (default: the system clock) */
  clock?: Clock;
}

export interface AuthFailure {
  ok: false;
  status: 401 | 403;
  code: ErrorCode;
  /** for the client: says what to fix, never echoes a secret */
  detail: string;
  /** the WWW-Authenticate value */
  challenge: string;
  /** short, stable, for the audit log (e.g. "missing-credentials", "jwt-expired") */
  reason: string;
}

export type AuthResult = { ok: true; identity: Identity } | AuthFailure;

export interface Authenticator {
  /** false when no credentials of any kind are configured: every request is the anonymous admin */
  readonly enabled: boolean;
  /** whether bearer tokens (JWT) are accepted, for the API description */
  readonly acceptsJwt: boolean;
  authenticate(headers: IncomingHttpHeaders): Promise<AuthResult>;
}

/** What a request presents. */
export type Presented = { kind: 'none' } | { kind: 'api-key'; key: string } | { kind: 'jwt'; token: string };

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Whether a value is a JWS compact serialisation (three base64url parts whose first decodes to
 * a JSON object naming an `alg`). The header check keeps a dotted API key from being taken for a
 * token; an empty signature part (alg none) still counts, so such a token is refused as a token.
 */
export function isJwtShaped(value: string): boolean {
  if (!JWT_SHAPE.test(value)) return false;
  const header = value.slice(0, value.indexOf('.'));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && typeof (parsed as { alg?: unknown }).alg === 'string';
  } catch {
    return false;
  }
}

/** The credential a request presents: x-api-key first, then Authorization: Bearer. Other schemes count as none. */
export function presentedCredential(headers: IncomingHttpHeaders): Presented {
  let value: string | undefined;
  const apiKey = headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey !== '') value = apiKey;
  else {
    const authorization = headers.authorization;
    if (typeof authorization === 'string') {
      const m = /^Bearer[ ]+([^\s]+)[ ]*$/i.exec(authorization);
      if (m?.[1] !== undefined) value = m[1];
    }
  }
  if (value === undefined) return { kind: 'none' };
  return isJwtShaped(value) ? { kind: 'jwt', token: value } : { kind: 'api-key', key: value };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The index of the configured key a presented key equals, or -1; every key is compared every time. */
export function createKeyIndex(keys: readonly string[]): (presented: string) => number {
  const digests = keys.map(digest);
  return (presented) => {
    const candidate = digest(presented);
    let found = -1;
    for (let i = 0; i < digests.length; i += 1) {
      // no early exit: the time taken does not depend on which key matched
      const equal = timingSafeEqual(candidate, digests[i] as Buffer);
      found = equal ? i : found;
    }
    return found;
  };
}

const challengeOf = (error?: 'invalid_token' | 'insufficient_scope', description?: string): string => {
  let c = `Bearer realm="${REALM}"`;
  if (error !== undefined) c += `, error="${error}"`;
  // descriptions are our own constant texts: no quotes or backslashes to escape
  if (description !== undefined) c += `, error_description="${description}"`;
  return c;
};

function unauthorized(detail: string, reason: string, describe = true): AuthFailure {
  return { ok: false, status: 401, code: 'BL_ERR_HTTP_UNAUTHORIZED', detail, challenge: challengeOf('invalid_token', describe ? detail.replace(/"/g, "'") : undefined), reason };
}

function forbidden(detail: string, reason: string): AuthFailure {
  return { ok: false, status: 403, code: 'BL_ERR_HTTP_FORBIDDEN', detail, challenge: challengeOf('insufficient_scope'), reason };
}

const MISSING: AuthFailure = {
  ok: false,
  status: 401,
  code: 'BL_ERR_HTTP_UNAUTHORIZED',
  detail: 'Send an API key in the x-api-key header or a key or token as Authorization: Bearer <value>.',
  challenge: challengeOf(),
  reason: 'missing-credentials',
};

function configError(message: string): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message);
}

/** Reads and checks the JWKS file: JSON, a keys array, public keys only. */
function loadJwks(file: string): JSONWebKeySet {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new BorderlinkError('BL_ERR_CONFIG_JWKS', `identities.jwt.jwksFile ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BorderlinkError('BL_ERR_CONFIG_JWKS', `identities.jwt.jwksFile ${file} is not JSON`);
  }
  const keys = (parsed as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => k !== null && typeof k === 'object' && typeof (k as { kty?: unknown }).kty === 'string')) {
    throw new BorderlinkError('BL_ERR_CONFIG_JWKS', `identities.jwt.jwksFile ${file} is not a JWK Set with at least one key ({"keys": [...]})`);
  }
  for (const k of keys as Record<string, unknown>[]) {
    // a private or symmetric key here would be a leaked secret, and is never needed to verify
    if (k.kty === 'oct' || 'd' in k) {
      throw new BorderlinkError('BL_ERR_CONFIG_JWKS', `identities.jwt.jwksFile ${file} holds a private or symmetric key${typeof k.kid === 'string' ? ` (kid ${k.kid})` : ''}; it must hold public keys only`);
    }
  }
  return parsed as JSONWebKeySet;
}

/** The client-facing reason a token was refused, from jose's error code. */
function tokenFailure(e: unknown): AuthFailure {
  const code = (e as { code?: unknown } | null)?.code;
  const claim = (e as { claim?: unknown } | null)?.claim;
  const reason = (e as { reason?: unknown } | null)?.reason;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return unauthorized('The token has expired.', 'jwt-expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (reason === 'missing') return unauthorized(`The token has no "${String(claim)}" claim.`, `jwt-missing-${String(claim)}`);
      if (claim === 'nbf') return unauthorized('The token is not valid yet.', 'jwt-not-yet-valid');
      if (claim === 'iss') return unauthorized('The token was not issued by the configured issuer.', 'jwt-wrong-issuer');
      if (claim === 'aud') return unauthorized('The token is not meant for this gateway (audience).', 'jwt-wrong-audience');
      return unauthorized('A claim of the token is not valid.', `jwt-bad-${String(claim)}`);
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return unauthorized('The token is signed with an algorithm this gateway does not accept.', 'jwt-algorithm');
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return unauthorized('No configured key matches the token (kid and alg).', 'jwt-unknown-key');
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return unauthorized('Several configured keys match the token; it must name its key (kid).', 'jwt-ambiguous-key');
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return unauthorized('The token signature is not valid.', 'jwt-bad-signature');
    default:
      return unauthorized('The token is malformed.', 'jwt-malformed');
  }
}

/** Roles from a claim: an array of names or a space-separated string; unknown names dropped. */
export function rolesFromClaim(value: unknown): Role[] {
  const names = Array.isArray(value) ? value : typeof value === 'string' ? value.split(' ') : [];
  const roles: Role[] = [];
  for (const n of names) if (isRole(n) && !roles.includes(n)) roles.push(n);
  return roles;
}

export function createAuthenticator(opts: AuthenticatorOptions): Authenticator {
  const clock = opts.clock ?? systemClock;
  const scoped = opts.apiKeys;
  const allKeys = [...scoped.map((k) => k.key), ...opts.legacyKeys];

  // configuration mistakes are refused at start, never discovered by a client
  const seenNames = new Set<string>();
  for (const k of scoped) {
    if (k.name === '') throw configError('identities.apiKeys: every key needs a name');
    if (seenNames.has(k.name)) throw configError(`identities.apiKeys: name "${k.name}" is used more than once`);
    seenNames.add(k.name);
    if (k.roles.length === 0 || !k.roles.every(isRole)) throw configError(`identities.apiKeys "${k.name}": roles must list at least one of viewer, operator, integrator, admin`);
    if (k.agency !== undefined && !opts.knownAgencies.has(k.agency)) {
      throw configError(`identities.apiKeys "${k.name}": agency "${k.agency}" is not configured (known: ${[...opts.knownAgencies].join(', ') || 'none'})`);
    }
  }
  const distinct = new Set(allKeys.map((k) => digest(k).toString('hex')));
  if (distinct.size !== allKeys.length) throw configError('API keys: the same key is configured twice (identities.apiKeys, http.apiKeys); each key must name one identity');
  if (allKeys.some((k) => k === '')) throw configError('API keys: a key is empty');
  if (allKeys.some(isJwtShaped)) throw configError('API keys: a key looks like a JWT (three base64url parts) and would be taken for a token; choose another key');

  const keyIndex = createKeyIndex(allKeys);
  const identities: Identity[] = [
    ...scoped.map((k): Identity => Object.freeze({
      name: k.name,
      ...(k.agency !== undefined ? { agency: k.agency } : {}),
      roles: Object.freeze([...k.roles]),
      via: 'api-key' as const,
    })),
    ...opts.legacyKeys.map((_k, i) => legacyKeyIdentity(i)),
  ];

  const jwt = opts.jwt;
  let verifyToken: ((token: string) => Promise<AuthResult>) | undefined;
  if (jwt !== undefined) {
    if (jwt.algorithms.length === 0 || !jwt.algorithms.every((a) => (JWT_ALGORITHMS as readonly string[]).includes(a))) {
      throw configError(`identities.jwt.algorithms: list one or more of ${JWT_ALGORITHMS.join(', ')} (never none or HMAC)`);
    }
    if (!Number.isFinite(jwt.clockToleranceS) || jwt.clockToleranceS < 0) throw configError('identities.jwt.clockToleranceS must be a number >= 0');
    const keys = createLocalJWKSet(loadJwks(jwt.jwksFile));
    const algorithms = [...jwt.algorithms];
    verifyToken = async (token) => {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: jwt.issuer,
          audience: jwt.audience,
          algorithms,
          clockTolerance: jwt.clockToleranceS,
          currentDate: new Date(clock.now()),
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (e) {
        return tokenFailure(e);
      }
      const sub = payload.sub;
      if (typeof sub !== 'string' || sub === '') return unauthorized('The token has no usable "sub" claim.', 'jwt-missing-sub');
      const roles = rolesFromClaim(payload[jwt.rolesClaim]);
      if (roles.length === 0) return forbidden(`The token grants no gateway role (claim "${jwt.rolesClaim}": viewer, operator, integrator or admin).`, 'jwt-no-role');
      const agency = payload[jwt.agencyClaim];
      if (agency === undefined) {
        if (!roles.includes('admin')) return forbidden(`The token has no "${jwt.agencyClaim}" claim; only an admin token may act without an agency.`, 'jwt-no-agency');
        return { ok: true, identity: Object.freeze({ name: sub, roles: Object.freeze(roles), via: 'jwt' as const }) };
      }
      if (typeof agency !== 'string' || agency === '') return unauthorized(`The token's "${jwt.agencyClaim}" claim is not a non-empty string.`, 'jwt-bad-agency');
      if (!opts.knownAgencies.has(agency)) return forbidden(`Agency "${agency.slice(0, 64)}" is not configured on this gateway.`, 'jwt-unknown-agency');
      return { ok: true, identity: Object.freeze({ name: sub, agency, roles: Object.freeze(roles), via: 'jwt' as const }) };
    };
  }

  const enabled = allKeys.length > 0 || jwt !== undefined;
  return {
    enabled,
    acceptsJwt: jwt !== undefined,
    async authenticate(headers) {
      if (!enabled) return { ok: true, identity: ANONYMOUS_ADMIN };
      const presented = presentedCredential(headers);
      switch (presented.kind) {
        case 'none':
          return MISSING;
        case 'jwt':
          if (verifyToken === undefined) return unauthorized('Bearer tokens (JWT) are not accepted here; use an API key.', 'jwt-not-configured');
          return verifyToken(presented.token);
        case 'api-key': {
          const i = keyIndex(presented.key);
          const identity = identities[i];
          // no error_description: it would tell a guesser nothing useful, and keeps the old challenge
          if (identity === undefined) return unauthorized('The API key is not valid.', 'api-key-invalid', false);
          return { ok: true, identity };
        }
      }
    },
  };
}
