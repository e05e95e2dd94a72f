/**
 * Field addresses -> the fewest Modbus requests: adjacent and overlapping spans of one table
 * share a request, up to the protocol limits (125 registers, 2000 bits) or a device's own cap.
 * A gap tolerance lets a read span unused addresses; it is off by default because many devices
 * answer exception 2 for an address they do not implement.
 */
import type { ModbusRead, ModbusTable } from '../types.js';

export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

export interface ReadPlanLimits {
  /** unused registers a merged read may span (default 0) */
  gapRegisters?: number;
  /** unused bits a merged read may span (default 0) */
  gapBits?: number;
  /** default and upper bound 125 */
  maxRegisters?: number;
  /** default and upper bound 2000 */
  maxBits?: number;
}

/** Function code order: coils (1), discrete inputs (2), holding (3), input registers (4). */
const TABLE_ORDER: readonly ModbusTable[] = ['coil', 'discrete', 'holding', 'input'];

export function planReads(spans: readonly ModbusRead[], limits: ReadPlanLimits = {}): ModbusRead[] {
  const out: ModbusRead[] = [];
  for (const table of TABLE_ORDER) {
    const bits = table === 'coil' || table === 'discrete';
    const gap = Math.max(0, bits ? limits.gapBits ?? 0 : limits.gapRegisters ?? 0);
    const hardMax = bits ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ;
    const max = Math.min(hardMax, bits ? limits.maxBits ?? hardMax : limits.maxRegisters ?? hardMax);
    const sorted = spans
      .filter((s) => s.table === table && s.count > 0)
      .map((s) => ({ start: s.address, end: s.address + s.count }))
      .sort((a, b) => a.start - b.start || b.end - a.end);
    let cur: { start: number; end: number } | undefined;
    for (const s of sorted) {
      if (cur !== undefined && s.start <= cur.end + gap && Math.max(cur.end, s.end) - cur.start <= max) {
        cur.end = Math.max(cur.end, s.end);
        continue;
      }
      if (cur !== undefined) out.push({ table, address: cur.start, count: cur.end - cur.start });
      cur = { ...s };
    }
    if (cur !== undefined) out.push({ table, address: cur.start, count: cur.end - cur.start });
  }
  return out;
}
