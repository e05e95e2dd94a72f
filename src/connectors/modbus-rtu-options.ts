/**
 * Checks of the Modbus RTU bus and unit options, so a bad value fails at construction with a
 * config error instead of misbehaving on the line.
 */
import { BorderlinkError } from '../errors.js';
import type { ModbusPollPlan } from '../adapter/types.js';
import { isBitTable, MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ } from './modbus-reply.js';
import { minInterFrameMs } from './modbus-rtu-frame.js';

/** Unit ids a master may poll: 0 is broadcast (never answered), 248-255 are reserved. */
export const MIN_RTU_UNIT_ID = 1;
export const MAX_RTU_UNIT_ID = 247;
export const MAX_RTU_RETRIES = 10;

function configError(message: string, detail: Record<string, unknown>): BorderlinkError {
  return new BorderlinkError('BL_ERR_CONFIG_INVALID', message, { detail });
}

function isIntIn(v: number, min: number, max: number): boolean {
  return Number.isInteger(v) && v >= min && v <= max;
}

function positive(name: string, v: number, where: Record<string, unknown>): void {
  if (!Number.isFinite(v) || v <= 0) throw configError(`modbus rtu ${name} must be a positive number`, { ...where, [name]: v });
}

export function validateRtuBusOptions(o: {
  path: string; baudRate: number; parity?: string; dataBits?: number; stopBits?: number; interFrameMs?: number; stopTimeoutMs?: number;
}): void {
  const where = { path: o.path };
  if (typeof o.path !== 'string' || o.path.length === 0) throw configError('modbus rtu path must be a non-empty string', where);
  if (!isIntIn(o.baudRate, 1, 4_000_000)) throw configError('modbus rtu baudRate must be a positive integer', { ...where, baudRate: o.baudRate });
  if (o.parity !== undefined && !['none', 'even', 'odd'].includes(o.parity)) {
    throw configError('modbus rtu parity must be none, even or odd', { ...where, parity: o.parity });
  }
  if (o.dataBits !== undefined && o.dataBits !== 8) throw configError('modbus rtu needs 8 data bits', { ...where, dataBits: o.dataBits });
  if (o.stopBits !== undefined && o.stopBits !== 1 && o.stopBits !== 2) throw configError('modbus rtu stopBits must be 1 or 2', { ...where, stopBits: o.stopBits });
  if (o.stopTimeoutMs !== undefined) positive('stopTimeoutMs', o.stopTimeoutMs, where);
  if (o.interFrameMs !== undefined) {
    const parity = o.parity === 'even' || o.parity === 'odd' ? o.parity : o.parity === undefined ? 'even' : 'none';
    const min = minInterFrameMs({ baudRate: o.baudRate, dataBits: 8, parity, stopBits: o.stopBits ?? 1 });
    if (!Number.isFinite(o.interFrameMs) || o.interFrameMs < min) {
      throw configError(`modbus rtu interFrameMs must be at least 3.5 character times (${min.toFixed(3)} ms at this baud rate)`, { ...where, interFrameMs: o.interFrameMs });
    }
  }
}

export function validateRtuUnitOptions(o: { deviceId: string; unitId: number; plan: ModbusPollPlan; retries?: number }, path: string): void {
  const where = { path, deviceId: o.deviceId };
  if (!isIntIn(o.unitId, MIN_RTU_UNIT_ID, MAX_RTU_UNIT_ID)) {
    throw configError(`modbus rtu unitId must be ${MIN_RTU_UNIT_ID}..${MAX_RTU_UNIT_ID}`, { ...where, unitId: o.unitId });
  }
  if (o.retries !== undefined && !isIntIn(o.retries, 0, MAX_RTU_RETRIES)) {
    throw configError(`modbus rtu retries must be an integer 0..${MAX_RTU_RETRIES}`, { ...where, retries: o.retries });
  }
  const { pollIntervalMs, timeoutMs, reads } = o.plan;
  positive('pollIntervalMs', pollIntervalMs, where);
  positive('timeoutMs', timeoutMs, where);
  if (reads.length === 0) throw configError('modbus poll plan has no reads', where);
  for (const r of reads) {
    const max = isBitTable(r) ? MAX_BITS_PER_READ : MAX_REGISTERS_PER_READ;
    if (!isIntIn(r.address, 0, 65535) || !isIntIn(r.count, 1, max) || r.address + r.count > 65536) {
      throw configError(`modbus read out of range (count 1..${max}, address + count <= 65536)`, { ...where, read: r });
    }
  }
}
