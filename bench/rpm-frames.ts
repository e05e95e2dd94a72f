/**
 * Synthetic frames for the rpm-modbus-generic profile, built from the simulator's own register
 * image: each frame after the first completes one occupancy (alternating clear, gamma alarm and
 * dual alarm), so every frame past the baseline yields exactly one result event.
 */
import type { ModbusBlock, ModbusFrame, ModbusRead } from '../src/adapter/types.js';
import { RpmPhysics } from '../simulators/rpm/physics.js';
import { HOLDING_BASE, INPUT, writeU32Abcd, type RpmRegisterImage } from '../simulators/rpm/register-image.js';

const RPM_READS: readonly ModbusRead[] = [
  { table: 'input', address: 0, count: 25 },
  { table: 'input', address: 30, count: 21 },
  { table: 'holding', address: 100, count: 5 },
  { table: 'discrete', address: 0, count: 2 },
  { table: 'coil', address: 0, count: 2 },
];

function block(read: ModbusRead, img: RpmRegisterImage): ModbusBlock {
  if (read.table === 'input' || read.table === 'holding') {
    const words = read.table === 'input' ? img.input : img.holding;
    const base = read.table === 'input' ? 0 : HOLDING_BASE;
    const data = Buffer.alloc(read.count * 2);
    for (let i = 0; i < read.count; i++) data.writeUInt16BE(words[read.address - base + i] ?? 0, i * 2);
    return { ...read, data };
  }
  const bits = read.table === 'coil' ? img.coils : img.discrete;
  const data = Buffer.alloc(Math.ceil(read.count / 8));
  for (let i = 0; i < read.count; i++) if (bits[read.address + i]) data[i >> 3] = (data[i >> 3] ?? 0) | (1 << (i & 7));
  return { ...read, data };
}

export function occupancyFrames(n: number, startMs: number, reads: readonly ModbusRead[] = RPM_READS): ModbusFrame[] {
  const physics = new RpmPhysics({ seed: 7, startTimeMs: startMs });
  physics.step(2000);
  const img = physics.registers();
  const frames: ModbusFrame[] = [];
  for (let i = 0; i < n; i++) {
    writeU32Abcd(img.input, INPUT.occupancyCount, i);
    img.input[INPUT.lastFlags] = i % 3; // 0 clear, 1 gamma, 2 neutron
    img.input[INPUT.lastMaxGammaSigma] = i % 3 === 1 ? 812 : 120;
    img.input[INPUT.lastMaxNeutronSigma] = i % 3 === 2 ? 655 : 40;
    writeU32Abcd(img.input, INPUT.lastDurationMs, 4200);
    writeU32Abcd(img.input, INPUT.lastEndEpochS, Math.floor(startMs / 1000) + i * 10);
    frames.push({ transport: 'modbus-tcp', unitId: 1, receivedAt: startMs + i * 10_000, blocks: reads.map((r) => block(r, img)) });
  }
  return frames;
}
