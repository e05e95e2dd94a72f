/** Helpers of the outbox contract suite (outbox-contract.ts). */
import { expect } from 'vitest';
import { BorderlinkError } from '../../src/errors.js';
import type { EventQuery, Outbox, QuarantineInput } from '../../src/outbox/types.js';
import type { DetectionEvent } from '../../src/schema/detection-event.js';

export { rejection } from '../helpers/rejection.js';

export function thrown(fn: () => unknown): BorderlinkError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BorderlinkError);
    return e as BorderlinkError;
  }
  throw new Error('expected a throw');
}

export function quarantineInput(deviceId: string, raw: Buffer, n = 0): QuarantineInput {
  return {
    deviceId,
    adapterId: 'rpm-modbus-generic',
    adapterVersion: '1.0.0',
    code: 'BL_ERR_DECODE_SHORT_FRAME',
    message: `frame ${n} too short`,
    raw,
    receivedAt: `2026-11-23T10:15:${String(n % 60).padStart(2, '0')}.000Z`,
    detail: { expected: 12, got: raw.length, n },
  };
}

/** all pages of a query, checking each page's size */
export function allPages(outbox: Outbox, q: Omit<EventQuery, 'cursor'>): DetectionEvent[] {
  const out: DetectionEvent[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 10_000; guard++) {
    const page = outbox.query(cursor === undefined ? q : { ...q, cursor });
    expect(page.events.length).toBeLessThanOrEqual(q.limit);
    out.push(...page.events);
    if (page.nextCursor === undefined) return out;
    expect(page.events.length).toBe(q.limit);
    cursor = page.nextCursor;
  }
  throw new Error('cursor never ended');
}

export const ids = (events: readonly { eventId: string }[]): string[] => events.map((e) => e.eventId);
