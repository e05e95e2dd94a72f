import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planReads, MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ } from '../../../../src/adapter/declarative/read-plan.js';
import type { ModbusRead, ModbusTable } from '../../../../src/adapter/types.js';

const r = (table: ModbusTable, address: number, count: number): ModbusRead => ({ table, address, count });

describe('planReads', () => {
  it('merges adjacent spans of one table into one request', () => {
    expect(planReads([r('input', 0, 1), r('input', 1, 2), r('input', 3, 1)])).toEqual([r('input', 0, 4)]);
  });

  it('merges overlapping spans (two views of the same register)', () => {
    expect(planReads([r('input', 32, 1), r('input', 33, 2), r('input', 32, 1), r('input', 33, 2)])).toEqual([r('input', 32, 3)]);
    expect(planReads([r('holding', 10, 2), r('holding', 11, 1)])).toEqual([r('holding', 10, 2)]);
  });

  it('keeps a gap apart unless the gap tolerance allows it', () => {
    const spans = [r('input', 0, 25), r('input', 30, 21)];
    expect(planReads(spans)).toEqual([r('input', 0, 25), r('input', 30, 21)]);
    expect(planReads(spans, { gapRegisters: 4 })).toEqual([r('input', 0, 25), r('input', 30, 21)]);
    expect(planReads(spans, { gapRegisters: 5 })).toEqual([r('input', 0, 51)]);
  });

  it('never mixes tables, and orders requests by function code then address', () => {
    const plan = planReads([r('input', 5, 1), r('holding', 5, 1), r('coil', 9, 1), r('discrete', 0, 1), r('input', 0, 1), r('holding', 6, 1)]);
    expect(plan).toEqual([r('coil', 9, 1), r('discrete', 0, 1), r('holding', 5, 2), r('input', 0, 1), r('input', 5, 1)]);
  });

  it('splits at 125 registers and 2000 bits', () => {
    const regs = Array.from({ length: 300 }, (_, i) => r('holding', i, 1));
    expect(planReads(regs)).toEqual([r('holding', 0, 125), r('holding', 125, 125), r('holding', 250, 50)]);
    const bits = Array.from({ length: 2500 }, (_, i) => r('coil', i, 1));
    expect(planReads(bits)).toEqual([r('coil', 0, 2000), r('coil', 2000, 500)]);
  });

  it('never splits a 32-bit value across requests', () => {
    const spans = Array.from({ length: 100 }, (_, i) => r('input', i * 2, 2));
    const plan = planReads(spans);
    expect(plan).toEqual([r('input', 0, 124), r('input', 124, 76)]);
  });

  it('honours a smaller device cap, and caps a larger one at the protocol limit', () => {
    const regs = Array.from({ length: 40 }, (_, i) => r('input', i, 1));
    expect(planReads(regs, { maxRegisters: 16 })).toEqual([r('input', 0, 16), r('input', 16, 16), r('input', 32, 8)]);
    expect(planReads(Array.from({ length: 200 }, (_, i) => r('input', i, 1)), { maxRegisters: 500 })[0]).toEqual(r('input', 0, 125));
    expect(planReads([r('coil', 0, 1), r('coil', 10, 1)], { gapBits: 9 })).toEqual([r('coil', 0, 11)]);
  });

  it('covers every span exactly within limits (property)', () => {
    const span = fc.record({
      table: fc.constantFrom<ModbusTable>('holding', 'input', 'coil', 'discrete'),
      address: fc.integer({ min: 0, max: 3000 }),
      wide: fc.boolean(),
    }).map((s) => r(s.table, s.address, s.wide && (s.table === 'holding' || s.table === 'input') ? 2 : 1));
    fc.assert(fc.property(fc.array(span, { maxLength: 80 }), fc.integer({ min: 0, max: 10 }), (spans, gap) => {
      const plan = planReads(spans, { gapRegisters: gap, gapBits: gap });
      for (const s of spans) {
        expect(plan.some((p) => p.table === s.table && p.address <= s.address && s.address + s.count <= p.address + p.count)).toBe(true);
      }
      for (const p of plan) {
        expect(p.count).toBeLessThanOrEqual(p.table === 'coil' || p.table === 'discrete' ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ);
      }
      const sameTable = (t: ModbusTable): ModbusRead[] => plan.filter((p) => p.table === t);
      for (const t of ['holding', 'input', 'coil', 'discrete'] as const) {
        const ps = sameTable(t);
        for (let i = 1; i < ps.length; i++) expect(ps[i]!.address).toBeGreaterThanOrEqual(ps[i - 1]!.address + ps[i - 1]!.count);
      }
    }));
  });
});
