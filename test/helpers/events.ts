/**
 * A small factory for schema-shaped events without a sequence (the outbox assigns it).
 * Overrides are shallow, plus shortcuts for the fields tests filter on most.
 */
import { systemClock } from '../../src/clock.js';
import { createUuidV7 } from '../../src/ids.js';
import type { UnsequencedEvent } from '../../src/outbox/types.js';
import type { DeviceClass, DeviceState, OutcomeState } from '../../src/schema/detection-event.js';

export interface EventOverrides extends Partial<UnsequencedEvent> {
  deviceId?: string;
  siteId?: string;
  deviceClass?: DeviceClass;
  outcomeState?: OutcomeState;
  /** makes a status event with this state */
  statusState?: DeviceState;
}

export function makeEvent(overrides: EventOverrides = {}): UnsequencedEvent {
  const { deviceId, siteId, deviceClass, outcomeState, statusState, ...fields } = overrides;
  const observedAt = fields.observedAt ?? '2026-11-23T10:15:30.123Z';
  const base: UnsequencedEvent = {
    eventId: createUuidV7(systemClock)(),
    schemaVersion: '1.0',
    eventType: 'result',
    observedAt,
    endedAt: '2026-11-23T10:15:38.623Z',
    receivedAt: '2026-11-23T10:15:38.700Z',
    quality: 'good',
    source: {
      gatewayId: 'gw-test',
      siteId: siteId ?? 'BGSOF',
      laneId: 'lane-1',
      device: {
        id: deviceId ?? 'rpm-1',
        class: deviceClass ?? 'radiation-portal-monitor',
        technique: 'gamma-neutron',
        vendor: 'Acme',
        model: 'RPM-9',
        serial: 'SN-0001',
      },
      adapter: { id: 'rpm-modbus-generic', version: '1.0.0' },
    },
    subject: {
      inspectionId: 'occ-000123',
      conveyances: [{ type: 'truck', id: 'CA1234AB', scheme: 'plate' }],
    },
    outcome: { state: outcomeState ?? 'clear', decisionBy: 'machine', vendorState: 'NORMAL' },
    measurements: [
      { detectorId: 'g1', category: 'gamma', realTimeS: 8.5, grossCounts: 21450, countRateCps: 2523.5, backgroundRateCps: 2401.2, sigma: 2.5, occupied: true },
      { detectorId: 'n1', category: 'neutron', realTimeS: 8.5, grossCounts: 12, countRateCps: 1.41, backgroundRateCps: 1.2, occupied: true },
    ],
  };
  const event: UnsequencedEvent = { ...base, ...fields };
  if (statusState !== undefined) {
    event.eventType = 'status';
    delete event.outcome;
    delete event.measurements;
    delete event.subject;
    event.status = { state: statusState, detail: `now ${statusState}`, since: observedAt };
  }
  return event;
}
