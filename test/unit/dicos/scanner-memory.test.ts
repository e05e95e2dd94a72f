import { describe, expect, it } from 'vitest';
import { asScannerMemory, initialScannerMemory, MAX_SEEN_KEYS, remember, scannerStateDrafts } from '../../../src/dicos/scanner-memory.js';

const at = '2026-01-01T00:00:00.000Z';

describe('scanner state -> status and fault events, on change only', () => {
  it('reports the first state, then nothing between ready and scanning', () => {
    const m0 = initialScannerMemory();
    const a = scannerStateDrafts(m0, 'ready', at, 'opcua');
    expect(a.drafts.map((d) => [d.eventType, d.status?.state])).toEqual([['status', 'online']]);
    const b = scannerStateDrafts(a.memory, 'scanning', at, 'opcua');
    expect(b.drafts).toEqual([]);
    expect(b.memory.state).toBe('scanning');
    expect(scannerStateDrafts(b.memory, 'scanning', at, 'opcua').drafts).toEqual([]);
  });

  it('raises a fault with degraded status, and clears it when the scanner recovers', () => {
    const ready = scannerStateDrafts(initialScannerMemory(), 'ready', at, 'opcua').memory;
    const f = scannerStateDrafts(ready, 'fault', at, 'opcua', 'X-ray source interlock open');
    expect(f.drafts.map((d) => d.eventType)).toEqual(['status', 'fault']);
    expect(f.drafts[0]?.status).toEqual({ state: 'degraded', since: at, detail: 'scanner fault: X-ray source interlock open' });
    expect(f.drafts[1]?.fault).toEqual({ code: 'scanner-fault', active: true, severity: 'critical', detail: 'X-ray source interlock open' });
    expect(scannerStateDrafts(f.memory, 'fault', at, 'opcua').drafts).toEqual([]);
    const r = scannerStateDrafts(f.memory, 'scanning', at, 'opcua');
    expect(r.drafts.map((d) => [d.eventType, d.status?.state ?? d.fault?.active])).toEqual([['status', 'online'], ['fault', false]]);
  });

  it('keeps a bounded list of emitted keys, oldest forgotten first', () => {
    let m = initialScannerMemory();
    for (let i = 0; i < MAX_SEEN_KEYS + 10; i += 1) m = remember(m, `scan:${i}`);
    expect(m.seen).toHaveLength(MAX_SEEN_KEYS);
    expect(m.seen[0]).toBe('scan:10');
    expect(remember(m, 'scan:20')).toBe(m);
  });

  it('reads back committed state and starts afresh from a foreign one', () => {
    expect(asScannerMemory(null)).toEqual(initialScannerMemory());
    expect(asScannerMemory({ state: 'bogus', seen: ['a', 3], scanSequence: 4 })).toEqual({ state: null, seen: ['a'], scanSequence: 4, operatorSequence: null, cursor: 0 });
  });
});
