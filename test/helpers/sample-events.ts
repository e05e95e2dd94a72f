/** Small, hand-made DetectionEvents for tests that need a handful of varied events. */
import type {
  DetectionEvent, DeviceClass, EventType, OutcomeState,
} from '../../src/schema/detection-event.js';

export interface SampleSpec {
  n: number;
  site: string;
  device: string;
  deviceClass: DeviceClass;
  eventType: EventType;
  sequence: number;
  outcome?: OutcomeState;
}

const BASE_MS = Date.parse('2026-11-23T10:00:00.000Z');

/** Event number n is observed n minutes after 10:00 UTC and has a recognisable eventId. */
export function sampleEvent(s: SampleSpec): DetectionEvent {
  const observedAt = new Date(BASE_MS + s.n * 60_000).toISOString();
  const event: DetectionEvent = {
    eventId: `0190a000-0000-7000-8000-${String(s.n).padStart(12, '0')}`,
    schemaVersion: '1.0',
    eventType: s.eventType,
    observedAt,
    receivedAt: observedAt,
    sequence: s.sequence,
    quality: 'good',
    source: {
      gatewayId: 'gw-test',
      siteId: s.site,
      device: { id: s.device, class: s.deviceClass },
      adapter: { id: 'test-adapter', version: '1.0.0' },
    },
  };
  if (s.outcome !== undefined) event.outcome = { state: s.outcome, decisionBy: 'machine' };
  if (s.eventType === 'status') event.status = { state: 'online', since: observedAt };
  if (s.eventType === 'fault') event.fault = { code: 'tamper', active: true, severity: 'critical' };
  return event;
}

const RPM: DeviceClass = 'radiation-portal-monitor';

/** Ten events over two sites, four devices, all three classes and all five event types. */
export const SAMPLE_SPECS: readonly SampleSpec[] = [
  { n: 0, site: 'BGSOF', device: 'rpm-1', deviceClass: RPM, eventType: 'result', sequence: 1, outcome: 'clear' },
  { n: 1, site: 'BGSOF', device: 'rpm-1', deviceClass: RPM, eventType: 'result', sequence: 2, outcome: 'alarm' },
  { n: 2, site: 'BGSOF', device: 'rpm-1', deviceClass: RPM, eventType: 'measurement', sequence: 3 },
  { n: 3, site: 'BGSOF', device: 'spec-1', deviceClass: 'spectrometer', eventType: 'result', sequence: 1, outcome: 'alarm' },
  { n: 4, site: 'BGSOF', device: 'spec-1', deviceClass: 'spectrometer', eventType: 'status', sequence: 2 },
  { n: 5, site: 'ROBUH', device: 'xray-1', deviceClass: 'xray-scanner', eventType: 'result', sequence: 1, outcome: 'clear' },
  { n: 6, site: 'ROBUH', device: 'xray-1', deviceClass: 'xray-scanner', eventType: 'operator-decision', sequence: 2, outcome: 'indeterminate' },
  { n: 7, site: 'ROBUH', device: 'xray-1', deviceClass: 'xray-scanner', eventType: 'fault', sequence: 3 },
  { n: 8, site: 'ROBUH', device: 'rpm-2', deviceClass: RPM, eventType: 'result', sequence: 1, outcome: 'alarm' },
  { n: 9, site: 'BGSOF', device: 'rpm-1', deviceClass: RPM, eventType: 'result', sequence: 4, outcome: 'aborted' },
];

export function sampleEvents(): DetectionEvent[] {
  return SAMPLE_SPECS.map(sampleEvent);
}
