/**
 * The simulator's memory across restarts: the last ScanSequence and OperatorDecision sequence it
 * gave, and the last results, in {stateDir}/scanner-state.json. Written (temp file, fsync, rename)
 * before a scan is published, so a simulator killed at any moment never hands out a number twice
 * and a restarted one shows the same LastScan a real scanner would still display.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { OperatorDecision, ScanResult } from './scenarios.js';

export interface ScannerMemory {
  scanSequence: number;
  operatorSequence: number;
  lastScan: ScanResult | null;
  lastDecision: OperatorDecision | null;
}

export const STATE_FILE = 'scanner-state.json';

function isMemory(v: unknown): v is ScannerMemory {
  if (v === null || typeof v !== 'object') return false;
  const m = v as Record<string, unknown>;
  return Number.isInteger(m.scanSequence) && Number.isInteger(m.operatorSequence);
}

export function loadMemory(dir: string): ScannerMemory {
  try {
    const v: unknown = JSON.parse(readFileSync(path.join(dir, STATE_FILE), 'utf8'));
    if (isMemory(v)) return { scanSequence: v.scanSequence, operatorSequence: v.operatorSequence, lastScan: v.lastScan ?? null, lastDecision: v.lastDecision ?? null };
  } catch {
    /* first start, or an unreadable file: start from zero */
  }
  return { scanSequence: 0, operatorSequence: 0, lastScan: null, lastDecision: null };
}

export function saveMemory(dir: string, m: ScannerMemory): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, STATE_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(m)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}
