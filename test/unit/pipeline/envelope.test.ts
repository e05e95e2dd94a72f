import { describe, expect, it } from 'vitest';
import type { AnyAdapter, EventDraft } from '../../../src/adapter/types.js';
import { ok } from '../../../src/adapter/types.js';
import { buildEnvelope } from '../../../src/pipeline/envelope.js';

const adapter: AnyAdapter = {
  id: 'a', version: '1.2.3', deviceClass: 'radiation-portal-monitor', technique: 'gamma-neutron', vendor: 'AdapterVendor', model: 'AdapterModel',
  transport: 'folder', optionsSchema: {}, acquisition: { kind: 'document', mediaTypes: [], extensions: [], maxBytes: 1, artifactMediaType: 'application/xml' },
  initialState: () => null, decode: () => ok([]), normalise: (_r, s) => ok({ drafts: [], state: s }),
};
const draft: EventDraft = { eventType: 'result', observedAt: '2026-01-01T00:00:00.000Z', quality: 'good', outcome: { state: 'clear' }, source: { device: { model: 'ReportedModel', firmware: '9.9' } } };

describe('buildEnvelope', () => {
  it('takes configuration first, then what the device reports, then the adapter', () => {
    const e = buildEnvelope({ draft, adapter, gatewayId: 'gw', eventId: 'id', receivedAt: 0, device: { id: 'd1', siteId: 'BGSOF', laneId: '2', vendor: 'ConfiguredVendor' } });
    expect(e.source.device).toEqual({ id: 'd1', class: 'radiation-portal-monitor', technique: 'gamma-neutron', vendor: 'ConfiguredVendor', model: 'ReportedModel', firmware: '9.9' });
    expect(e.source).toMatchObject({ gatewayId: 'gw', siteId: 'BGSOF', laneId: '2', adapter: { id: 'a', version: '1.2.3' } });
    expect(e.receivedAt).toBe('1970-01-01T00:00:00.000Z');
  });

  it('lets a device override the adapter class and technique (a handheld read by a portal adapter)', () => {
    const e = buildEnvelope({ draft, adapter, gatewayId: 'gw', eventId: 'id', receivedAt: 0, device: { id: 'h1', siteId: 'BGSOF', deviceClass: 'spectrometer', technique: 'spectroscopic-gamma' } });
    expect(e.source.device.class).toBe('spectrometer');
    expect(e.source.device.technique).toBe('spectroscopic-gamma');
  });
});
