/**
 * Serves the RPM register image over Modbus: reads must lie inside one documented block (else exception 2);
 * the only writable points are nSigma (holding 100, 10..200 = 1.0..20.0) and maintenanceMode (coil 1).
 */
import type { ModbusRequest, ModbusRequestHandler, ModbusResponse } from '../modbus/lean-tcp-server.js';
import { COIL, HOLDING, HOLDING_BASE, RPM_BLOCKS, type RpmRegisterImage } from './register-image.js';

export interface RpmModbusTarget {
  registers(): RpmRegisterImage;
  setNSigma(n: number): void;
  setMaintenance(active: boolean): void;
}

const ILLEGAL_ADDRESS: ModbusResponse = { kind: 'exception', code: 2 };
const ILLEGAL_VALUE: ModbusResponse = { kind: 'exception', code: 3 };
const WRITTEN: ModbusResponse = { kind: 'written' };

function inBlocks(blocks: ReadonlyArray<{ first: number; last: number }>, address: number, count: number): boolean {
  const end = address + count - 1;
  for (const b of blocks) if (address >= b.first && end <= b.last) return true;
  return false;
}

export function rpmModbusHandler(target: RpmModbusTarget): ModbusRequestHandler {
  const nSigmaOk = (raw: number): boolean => raw >= 10 && raw <= 200;
  return (req: ModbusRequest): ModbusResponse => {
    const img = target.registers();
    switch (req.functionCode) {
      case 4:
        if (!inBlocks(RPM_BLOCKS.input, req.address, req.count)) return ILLEGAL_ADDRESS;
        return { kind: 'registers', values: img.input.subarray(req.address, req.address + req.count) };
      case 3:
        if (!inBlocks(RPM_BLOCKS.holding, req.address, req.count)) return ILLEGAL_ADDRESS;
        return { kind: 'registers', values: img.holding.subarray(req.address - HOLDING_BASE, req.address - HOLDING_BASE + req.count) };
      case 1:
        if (!inBlocks(RPM_BLOCKS.coils, req.address, req.count)) return ILLEGAL_ADDRESS;
        return { kind: 'bits', values: img.coils.subarray(req.address, req.address + req.count) };
      case 2:
        if (!inBlocks(RPM_BLOCKS.discrete, req.address, req.count)) return ILLEGAL_ADDRESS;
        return { kind: 'bits', values: img.discrete.subarray(req.address, req.address + req.count) };
      case 6:
        if (req.address !== HOLDING.nSigma) return ILLEGAL_ADDRESS;
        if (!nSigmaOk(req.value)) return ILLEGAL_VALUE;
        target.setNSigma(req.value / 10);
        return WRITTEN;
      case 16: {
        if (req.address !== HOLDING.nSigma || req.values.length !== 1) return ILLEGAL_ADDRESS;
        const raw = req.values[0] ?? 0;
        if (!nSigmaOk(raw)) return ILLEGAL_VALUE;
        target.setNSigma(raw / 10);
        return WRITTEN;
      }
      case 5:
        if (req.address !== COIL.maintenanceMode) return ILLEGAL_ADDRESS;
        target.setMaintenance(req.value);
        return WRITTEN;
      case 15:
        if (req.address !== COIL.maintenanceMode || req.values.length !== 1) return ILLEGAL_ADDRESS;
        target.setMaintenance(req.values[0] ?? false);
        return WRITTEN;
    }
  };
}
