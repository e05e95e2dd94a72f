/**
 * Events and policies for the sharing tests. `fullEvent` carries every field the schema declares
 * (status and fault included, which the schema allows on any event type), so deleting any one
 * field shows whether the schema requires it.
 */
import type { DetectionEvent, EventType } from '../../../src/schema/detection-event.js';

const SHA_RAW = 'a'.repeat(64);
const SHA_IMG = 'b'.repeat(64);

export function fullEvent(eventType: EventType = 'result'): DetectionEvent {
  return {
    eventId: '0190a000-0000-7000-8000-000000000001',
    schemaVersion: '1.1',
    eventType,
    observedAt: '2026-11-23T10:00:00.000Z',
    endedAt: '2026-11-23T10:00:05.000Z',
    decidedAt: '2026-11-23T10:00:06.000Z',
    receivedAt: '2026-11-23T10:00:07.000Z',
    sequence: 7,
    quality: 'good',
    source: {
      gatewayId: 'gw-1',
      siteId: 'BGSOF',
      laneId: 'lane-2',
      device: { id: 'xray-1', class: 'xray-scanner', technique: 'ct', vendor: 'Acme', model: 'X1', serial: 'SN-1', firmware: '2.0' },
      adapter: { id: 'cargo-scanner-http', version: '1.0.0' },
      algorithm: { name: 'ATR', version: '3', settings: { threshold: 0.5 } },
      operatorId: 'officer-4711',
    },
    subject: {
      inspectionId: 'scan-0001',
      conveyances: [{ type: 'container', id: 'MSCU1234565', scheme: 'iso6346', checkDigitValid: true, readConfidence: 0.93 }],
      documents: [{ type: 'mrn', id: '26BG000000001234A5', valid: true }],
    },
    outcome: { state: 'alarm', categories: ['weapon'], decisionBy: 'operator', vendorState: 'ALARM', abortReason: 'none' },
    findings: [{
      kind: 'threat-object',
      name: 'knife',
      codes: { cas: '50-00-0', nuclide: 'Cs-137', dicosCategory: 'PI' },
      category: 'weapon',
      identified: true,
      score: { value: 0.8, min: 0, max: 1, higherIsBetter: true, method: 'dicos-probability' },
      mixtureFraction: 0.5,
      activity: { value: 10, uncertainty: 1, unit: 'kBq' },
      detectors: ['d1'],
      region: { frame: 'image', base: [1, 2], extent: [3, 4], polygon: [[1, 2], [3, 4]], artifactRef: SHA_IMG },
      origin: 'device',
      reference: { library: 'lib', version: '1', entryId: 'e1' },
    }],
    measurements: [{
      detectorId: 'g1', category: 'gamma', startedAt: '2026-11-23T10:00:00.000Z', realTimeS: 1, liveTimeS: 1, grossCounts: 10,
      countRateCps: 10, backgroundRateCps: 5, sigma: 2, thresholdCps: 20, occupied: true, speedKmh: 8,
    }],
    spectrum: { xUnits: 'keV', yUnits: 'counts', firstX: 0, lastX: 10, npoints: 2, y: [1, 2] },
    artifacts: [
      { kind: 'raw', mediaType: 'application/json', uri: `/v1/artifacts/${SHA_RAW}`, sha256: SHA_RAW, bytes: 100 },
      { kind: 'dicos-dx', mediaType: 'application/dicom', uri: `/v1/artifacts/${SHA_IMG}`, sha256: SHA_IMG, bytes: 2000 },
    ],
    status: { state: 'online', detail: 'ok', since: '2026-11-23T09:00:00.000Z' },
    fault: { code: 'tamper', active: false, severity: 'info', detail: 'cleared' },
    raw: {
      format: 'vendor-json',
      nativeIds: { vendorResultId: 'R-77', mrn: '26BG000000001234A5' },
      extensions: {
        note: 'container MSCU1234565 released',
        image: `https://gw.example/v1/artifacts/${SHA_IMG}`,
        unresolvedImages: [{ uri: 'https://scanner.example/img/9' }],
      },
    },
    sharing: { classification: 'internal', agencies: [] },
  };
}

export const SHAS = { raw: SHA_RAW, image: SHA_IMG };
