import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../src/outbox/cursor.js';

describe('outbox cursors', () => {
  it('round-trip and stay url-safe', () => {
    for (const n of [0, 1, 42, 2 ** 40]) {
      const c = encodeCursor('r', n);
      expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor('r', c)).toBe(n);
    }
  });

  it('refuse a cursor of another listing, and garbage', () => {
    const s = encodeCursor('s', 5);
    expect(() => decodeCursor('r', s)).toThrow(expect.objectContaining({ code: 'BL_ERR_OUTBOX_QUERY_INVALID' }));
    for (const bad of ['', '!!', 'cjo', Buffer.from('r:-1').toString('base64url'), Buffer.from('r:1e9').toString('base64url'), 'x'.repeat(100)]) {
      expect(() => decodeCursor('r', bad), bad).toThrow(expect.objectContaining({ code: 'BL_ERR_OUTBOX_QUERY_INVALID' }));
    }
  });
});
