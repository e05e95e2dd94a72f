import { describe, expect, it } from 'vitest';
import { ANONYMOUS_ADMIN, can, legacyKeyIdentity, PERMISSIONS, permissionsOf, type Permission, type Role } from '../../../src/security/identity.js';

const READ: Permission[] = ['events:read', 'devices:read', 'artifacts:read'];

describe('roles and permissions', () => {
  it.each<[Role, Permission[]]>([
    ['viewer', READ],
    ['operator', [...READ, 'decisions:write']],
    ['integrator', [...READ, 'ingest:write', 'quarantine:read', 'metrics:read']],
    ['admin', [...PERMISSIONS]],
  ])('%s holds exactly its permissions', (role, expected) => {
    expect(permissionsOf({ roles: [role] }).sort()).toEqual([...expected].sort());
  });

  it('combines roles and grants nothing without one', () => {
    expect(can({ roles: ['operator', 'integrator'] }, 'decisions:write')).toBe(true);
    expect(can({ roles: ['operator', 'integrator'] }, 'ingest:write')).toBe(true);
    expect(can({ roles: ['operator', 'integrator'] }, 'audit:read')).toBe(false);
    for (const p of PERMISSIONS) expect(can({ roles: [] }, p)).toBe(false);
  });

  it('legacy keys and the anonymous identity are admins without agency', () => {
    for (const id of [legacyKeyIdentity(0), ANONYMOUS_ADMIN]) {
      expect(id.agency).toBeUndefined();
      expect(can(id, 'audit:read')).toBe(true);
    }
    expect(legacyKeyIdentity(1).name).toBe('legacy-key-2');
  });
});
