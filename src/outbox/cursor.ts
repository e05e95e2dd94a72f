/**
 * Opaque page cursors: base64url of "<kind>:<key>". Clients must not build them, so the key can
 * change meaning between kinds without breaking anyone, and a cursor from one listing is refused
 * by another instead of silently skipping rows.
 *   r  newest-first event pages: key = last row id returned (next page: id < key)
 *   s  afterSequence pages (one device, ascending): key = last sequence returned (next: sequence > key)
 *   q  quarantine pages, newest first: key = last quarantine id returned (next: id < key)
 */
import { BorderlinkError } from '../errors.js';

export type CursorKind = 'r' | 's' | 'q';

export function encodeCursor(kind: CursorKind, key: number): string {
  return Buffer.from(`${kind}:${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(kind: CursorKind, cursor: string): number {
  const text = /^[A-Za-z0-9_-]{1,64}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const m = /^([rsq]):(\d{1,15})$/.exec(text);
  if (m === null || m[1] !== kind) {
    throw new BorderlinkError('BL_ERR_OUTBOX_QUERY_INVALID', 'The cursor is not one this listing issued', {
      detail: { cursor: cursor.slice(0, 80) },
    });
  }
  return Number(m[2]);
}
