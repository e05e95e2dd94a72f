import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventDraft } from '../../../src/adapter/types.js';
import { packageRoot } from '../../../src/package-root.js';
import { dicosCategory, reportToDraft, type StoredImage } from '../../../src/dicos/report-events.js';
import { checkThreatReport } from '../../../src/dicos/threat-report-schema.js';
import type { ThreatReport } from '../../../src/dicos/threat-report.js';
import { buildEnvelope } from '../../../src/pipeline/envelope.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import type { AnyAdapter } from '../../../src/adapter/types.js';

const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'dicos');
const load = (name: string): ThreatReport => {
  const parsed: unknown = JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));
  const checked = checkThreatReport(parsed);
  if (!checked.ok) throw new Error(checked.errors.join('; '));
  return checked.value;
};
const png = Buffer.from('not really a png, but bytes');
const sha = createHash('sha256').update(png).digest('hex');
const stored: StoredImage[] = [{ id: 'top', aliases: ['top.png'], sha256: sha, bytes: png.length, mediaType: 'image/png', uri: `/v1/artifacts/${sha}` }];
const rawArtifact = { sha256: 'a'.repeat(64), bytes: 1200, mediaType: 'application/json', uri: `/v1/artifacts/${'a'.repeat(64)}` };

const validator = createEventValidator();
const adapter = { id: 'cargo-scanner-http', version: '1.0.0', deviceClass: 'xray-scanner' } as unknown as AnyAdapter;
function validate(draft: EventDraft): void {
  const e = buildEnvelope({ draft, device: { id: 'xray-l3', siteId: 'BGSOF' }, adapter, gatewayId: 'gw', eventId: '01890a5d-ac96-774b-bcce-b302099a8057', receivedAt: 0 });
  expect(validator.validate({ ...e, sequence: 1 })).toEqual({ ok: true });
}
function draftOf(report: ThreatReport, images: StoredImage[] = stored): EventDraft {
  const r = reportToDraft(report, { format: 'dicos-tdr-json', stored: images, artifact: rawArtifact });
  if (!r.ok) throw new Error(r.error.message);
  validate(r.value);
  return r.value;
}

describe('threat report -> result event', () => {
  it('maps the alarm report like the worked X-ray example', () => {
    const d = draftOf(load('alarm-report.json'));
    expect(d.eventType).toBe('result');
    expect(d.observedAt).toBe('2026-11-23T10:47:55.300Z');
    expect(d.endedAt).toBe('2026-11-23T10:48:11.800Z');
    expect(d.decidedAt).toBe('2026-11-23T10:48:18.250Z');
    expect(d.quality).toBe('good');
    expect(d.subject).toEqual({
      inspectionId: 'OOI-2026-112300017',
      conveyances: [
        { type: 'container', id: 'CSQU3054383', scheme: 'iso6346', checkDigitValid: true, readConfidence: 0.94 },
        { type: 'truck', id: 'CB1234AK', scheme: 'plate', readConfidence: 0.98 },
      ],
      documents: [{ type: 'mrn', id: '26BG0010000A017346', valid: true }],
    });
    expect(d.outcome).toEqual({ state: 'alarm', categories: ['contraband', 'anomaly'], decisionBy: 'machine', vendorState: 'ALARM' });
    expect(d.findings).toEqual([
      {
        kind: 'threat-object', name: 'dense organic block', codes: { dicosCategory: 'CONTRABAND' }, category: 'contraband', identified: true,
        score: { value: 0.87, min: 0, max: 1, higherIsBetter: true, method: 'dicos-probability' },
        region: { frame: 'image', base: [412, 188], extent: [260, 140], artifactRef: sha },
      },
      {
        kind: 'threat-object', name: 'irregular void in load', codes: { dicosCategory: 'ANOMALY' }, category: 'anomaly', identified: true,
        score: { value: 0.62, min: 0, max: 1, higherIsBetter: true, method: 'dicos-probability' },
        region: { frame: 'image', base: [1015, 300], extent: [95, 90], polygon: [[1020, 300], [1100, 300], [1110, 380], [1015, 390]], artifactRef: sha },
      },
    ]);
    expect(d.artifacts).toEqual([
      { kind: 'image', mediaType: 'image/png', uri: `/v1/artifacts/${sha}`, sha256: sha, bytes: png.length },
      { kind: 'raw', mediaType: 'application/json', uri: rawArtifact.uri, sha256: rawArtifact.sha256, bytes: 1200 },
    ]);
    expect(d.source).toEqual({
      device: { vendor: 'ExampleScan', model: 'CargoView 6', serial: 'CV6-0031', firmware: '11.0.4' },
      algorithm: { name: 'ExampleScan ATR', version: '4.2', settings: { sensitivity: 'high' } },
    });
    expect(d.raw).toEqual({
      format: 'dicos-tdr-json',
      nativeIds: { tdrSopInstanceUid: '2.25.140152553726617393493347011316203581235' },
      extensions: {
        operatorReviewRequired: true, abortFlag: 'SUCCESS', tdrType: 'MACHINE',
        threatObjects: [{ id: '1', assessment: 'HIGH_THREAT' }, { id: '2', assessment: 'THREAT' }],
      },
    });
  });

  it('maps CLEAR to clear without categories, UNKNOWN to indeterminate', () => {
    const base: ThreatReport = { scanId: 'S1', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'CLEAR' };
    expect(draftOf(base, []).outcome).toEqual({ state: 'clear', decisionBy: 'machine', vendorState: 'CLEAR' });
    const unknown = draftOf({ ...base, alarmDecision: 'UNKNOWN', threatObjects: [{ id: 'a', category: 'LAPTOP', assessment: 'UNKNOWN' }] }, []);
    expect(unknown.outcome).toEqual({ state: 'indeterminate', categories: ['other'], decisionBy: 'machine', vendorState: 'UNKNOWN' });
    expect(unknown.findings?.[0]).toEqual({ kind: 'threat-object', codes: { dicosCategory: 'LAPTOP' }, category: 'other' });
  });

  it('maps the Abort Flag to aborted with its reason', () => {
    const d = draftOf({ scanId: 'S2', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'UNKNOWN', abortFlag: 'ABORT', abortReason: 'VEHICLE_STOPPED_IN_TUNNEL' }, []);
    expect(d.outcome).toEqual({ state: 'aborted', decisionBy: 'machine', vendorState: 'UNKNOWN', abortReason: 'VEHICLE_STOPPED_IN_TUNNEL' });
    expect(d.raw?.extensions?.abortFlag).toBe('ABORT');
  });

  it('maps every DICOS threat category and leaves NO_THREAT objects out of the categories', () => {
    expect(['EXPLOSIVE', 'PI', 'CONTRABAND', 'PHARMACEUTICAL', 'ANOMALY', 'LAPTOP', 'OTHER', 'CURRENCY'].map(dicosCategory))
      .toEqual(['explosive', 'weapon', 'contraband', 'contraband', 'anomaly', 'other', 'other', 'other']);
    const d = draftOf({
      scanId: 'S3', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'ALARM',
      threatObjects: [{ id: 'a', category: 'EXPLOSIVE', assessment: 'NO_THREAT' }, { id: 'b', category: 'PI', assessment: 'THREAT', probability: 0.5 }],
    }, []);
    expect(d.outcome?.categories).toEqual(['weapon']);
    expect(d.findings?.map((f) => f.identified)).toEqual([false, true]);
  });

  it('makes an operator-decision event from an OPERATOR report', () => {
    const d = draftOf({
      scanId: 'OOI-1', tdrType: 'OPERATOR', operatorId: 'op-117', scanTime: '2026-01-01T00:00:00Z',
      alarmDecision: 'CLEAR', alarmDecisionTime: '2026-01-01T00:03:10.5Z',
    }, []);
    expect(d.eventType).toBe('operator-decision');
    expect(d.observedAt).toBe('2026-01-01T00:03:10.500Z');
    expect(d.decidedAt).toBe('2026-01-01T00:03:10.500Z');
    expect(d.subject).toEqual({ inspectionId: 'OOI-1' });
    expect(d.outcome).toEqual({ state: 'clear', decisionBy: 'operator', vendorState: 'CLEAR' });
    expect(d.source).toEqual({ operatorId: 'op-117' });
  });

  it('references an image the scanner serves when it states uri, sha256 and size', () => {
    const h = 'b'.repeat(64);
    const d = draftOf({
      scanId: 'S4', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'ALARM',
      images: [{ uri: 'http://scanner.example/images/1.dcm', sha256: h.toUpperCase(), bytes: 9000, mediaType: 'application/dicom' }],
      threatObjects: [{ id: 'x', category: 'EXPLOSIVE', base: [1, 2, 3], extent: [4, 5, 6] }],
    }, []);
    expect(d.artifacts?.[0]).toEqual({ kind: 'dicos-dx', mediaType: 'application/dicom', uri: 'http://scanner.example/images/1.dcm', sha256: h, bytes: 9000 });
    expect(d.findings?.[0]?.region).toEqual({ frame: 'volume', base: [1, 2, 3], extent: [4, 5, 6], artifactRef: h });
    expect(d.quality).toBe('good');
  });

  it('lists an image it cannot reference, keeping the region without artifactRef', () => {
    const d = draftOf({
      scanId: 'S5', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'ALARM',
      images: [{ uri: 'http://scanner.example/images/1.png', mediaType: 'image/png' }],
      threatObjects: [{ id: 'x', category: 'ANOMALY', base: [1, 2], extent: [4, 5] }],
    }, []);
    expect(d.quality).toBe('good');
    expect(d.findings?.[0]?.region).toEqual({ frame: 'image', base: [1, 2], extent: [4, 5] });
    expect(d.raw?.extensions?.unresolvedImages).toEqual([{ uri: 'http://scanner.example/images/1.png', mediaType: 'image/png' }]);
  });

  it('lists uploads the report does not name as artifacts, and finds an upload by its file name', () => {
    const d = draftOf({
      scanId: 'S6', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'ALARM',
      threatObjects: [{ id: 'x', category: 'ANOMALY', image: 'top.png', base: [1, 2], extent: [4, 5] }],
    });
    expect(d.artifacts?.map((a) => a.sha256)).toEqual([sha, rawArtifact.sha256]);
    expect(d.findings?.[0]?.region?.artifactRef).toBe(sha);
  });

  it.each([
    ['a threat object on an image the report lacks', { threatObjects: [{ id: 'x', category: 'ANOMALY', image: 'side' }] }],
    ['duplicate threat object ids', { threatObjects: [{ id: 'x', category: 'ANOMALY' }, { id: 'x', category: 'PI' }] }],
    ['image coordinates of three numbers', { threatObjects: [{ id: 'x', category: 'ANOMALY', frame: 'image', base: [1, 2, 3] }] }],
    ['a negative extent', { threatObjects: [{ id: 'x', category: 'ANOMALY', base: [1, 2], extent: [-1, 2] }] }],
    ['a time without a zone', { scanTime: '2026-01-01T00:00:00' }],
    ['an operator report without operator', { tdrType: 'OPERATOR' }],
  ])('refuses %s with BL_ERR_DICOS_REPORT_INVALID', (_what, patch) => {
    const report = { scanId: 'S7', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'ALARM', ...patch } as ThreatReport;
    const r = reportToDraft(report, { format: 'dicos-tdr-json', stored: [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('BL_ERR_DICOS_REPORT_INVALID');
  });
});
