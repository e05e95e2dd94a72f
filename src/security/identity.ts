/**
 * Who a request (or an MQTT client) is, and what its roles let it do. Pure: no I/O, no framework.
 *
 * An identity WITHOUT agency is the operating authority (legacy http.apiKeys, unscoped users, an
 * admin token with no agency claim): it sees every event, nothing redacted. An identity WITH an
 * agency sees what that agency's sharing policy admits (src/sharing), whatever its roles.
 * Roles say which operations are allowed, agencies say which data: the two never mix here.
 */

export const ROLES = ['viewer', 'operator', 'integrator', 'admin'] as const;

export type Role = (typeof ROLES)[number];

/** How the identity was established. `anonymous`: no credentials are configured at all (open API on loopback). */
export type IdentityVia = 'api-key' | 'jwt' | 'mqtt-password' | 'mqtt-cert' | 'anonymous';

export interface Identity {
  /** key name, token subject, MQTT username: what the audit log and rate limits key on */
  readonly name: string;
  /** undefined: the operating authority (all events, nothing redacted) */
  readonly agency?: string;
  readonly roles: readonly Role[];
  readonly via: IdentityVia;
}

export const PERMISSIONS = [
  'events:read',
  'devices:read',
  'artifacts:read',
  'decisions:write',
  'ingest:write',
  'quarantine:read',
  'metrics:read',
  'audit:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

const READ: readonly Permission[] = ['events:read', 'devices:read', 'artifacts:read'];

/**
 * What each role grants. Listed per role rather than derived from a hierarchy, so reading one
 * line tells the whole story: integrators (devices pushing data, monitoring) cannot record
 * decisions, operators (people at a control room) cannot push data or read raw quarantine.
 */
const GRANTS: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  viewer: new Set(READ),
  operator: new Set([...READ, 'decisions:write']),
  integrator: new Set([...READ, 'ingest:write', 'quarantine:read', 'metrics:read']),
  admin: new Set(PERMISSIONS),
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isPermission(value: unknown): value is Permission {
  return typeof value === 'string' && (PERMISSIONS as readonly string[]).includes(value);
}

/** Whether any of the identity's roles grants the permission. */
export function can(identity: Pick<Identity, 'roles'>, permission: Permission): boolean {
  return identity.roles.some((r) => GRANTS[r]?.has(permission) === true);
}

/** Every permission the identity holds, in PERMISSIONS order (for docs and audit lines). */
export function permissionsOf(identity: Pick<Identity, 'roles'>): Permission[] {
  return PERMISSIONS.filter((p) => can(identity, p));
}

/** The identity of every request when no credentials of any kind are configured (loopback only: config load enforces it). */
export const ANONYMOUS_ADMIN: Identity = Object.freeze({ name: 'anonymous', roles: Object.freeze(['admin'] as Role[]), via: 'anonymous' });

/** The identity behind a legacy unscoped key (http.apiKeys): the operating authority, admin. */
export function legacyKeyIdentity(index: number): Identity {
  return Object.freeze({ name: `legacy-key-${index + 1}`, roles: Object.freeze(['admin'] as Role[]), via: 'api-key' });
}
