import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeReportDocument, encodeUploadEnvelope, UPLOAD_FORMAT } from '../../../src/dicos/decode-report.js';
import { normaliseReport, reportKey } from '../../../src/dicos/normalise-report.js';
import { initialScannerMemory } from '../../../src/dicos/scanner-memory.js';
import { THREAT_REPORT_SCHEMA } from '../../../src/dicos/threat-report-schema.js';
import { packageRoot } from '../../../src/package-root.js';

const report = { scanId: 'S1', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'ALARM', threatObjects: [{ id: '1', category: 'PI', image: 'scan.png', base: [1, 2], extent: [3, 4] }] };
const image = { id: 'image', aliases: ['scan.png'], sha256: 'c'.repeat(64), bytes: 10, mediaType: 'image/png', uri: `/v1/artifacts/${'c'.repeat(64)}` };

describe('decodeReportDocument', () => {
  it('reads a bare report', () => {
    const r = decodeReportDocument(Buffer.from(JSON.stringify({ ...report, threatObjects: [] })));
    expect(r.ok && r.value.stored).toEqual([]);
    expect(r.ok && r.value.format).toBe('dicos-tdr-json');
  });

  it('reads an upload envelope, deterministic in its bytes', () => {
    const text = JSON.stringify(report);
    const a = encodeUploadEnvelope(text, [image]);
    expect(a.equals(encodeUploadEnvelope(text, [{ ...image }]))).toBe(true);
    expect(JSON.parse(a.toString()).format).toBe(UPLOAD_FORMAT);
    const r = decodeReportDocument(a, { allowEnvelope: true });
    expect(decodeReportDocument(a).ok).toBe(false);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.stored).toEqual([image]);
    const n = normaliseReport(r.value, initialScannerMemory(), undefined);
    expect(n.ok && n.value.drafts[0]?.findings?.[0]?.region?.artifactRef).toBe('c'.repeat(64));
  });

  it.each([
    ['not JSON', Buffer.from('{"scanId":')],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x00])],
    ['a report missing alarmDecision', Buffer.from(JSON.stringify({ scanId: 'x', scanTime: '2026-01-01T00:00:00Z' }))],
    ['an unknown field', Buffer.from(JSON.stringify({ ...report, colour: 'red' }))],
    ['a probability above 1', Buffer.from(JSON.stringify({ ...report, threatObjects: [{ id: '1', category: 'PI', probability: 87 }] }))],
    ['an envelope whose result is invalid', encodeUploadEnvelope('{}', [image])],
    ['an envelope with a bad image', Buffer.from(JSON.stringify({ format: UPLOAD_FORMAT, result: JSON.stringify(report), images: [{ id: 'x' }] }))],
  ])('refuses %s', (_what, bytes) => {
    const r = decodeReportDocument(bytes, { allowEnvelope: true });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('BL_ERR_DICOS_REPORT_INVALID');
  });

  it('refuses an oversize report unread', () => {
    const r = decodeReportDocument(Buffer.alloc(100, 0x20), { maxBytes: 99 });
    expect(!r.ok && r.error.code).toBe('BL_ERR_INGEST_TOO_LARGE');
  });
});

describe('normaliseReport de-duplication', () => {
  it('emits a scan once, and each distinct operator verdict once', () => {
    const decoded = { report: { scanId: 'S1', scanTime: '2026-01-01T00:00:00Z', alarmDecision: 'CLEAR' as const }, stored: [], format: 'x' };
    const first = normaliseReport(decoded, initialScannerMemory(), undefined);
    if (!first.ok) throw new Error(first.error.message);
    expect(first.value.drafts).toHaveLength(1);
    const again = normaliseReport(decoded, first.value.state, undefined);
    expect(again.ok && again.value.drafts).toEqual([]);
    const op = { ...decoded, report: { ...decoded.report, tdrType: 'OPERATOR' as const, operatorId: 'op1', alarmDecision: 'ALARM' as const, alarmDecisionTime: '2026-01-01T00:01:00Z' } };
    const o1 = normaliseReport(op, first.value.state, undefined);
    if (!o1.ok) throw new Error(o1.error.message);
    expect(o1.value.drafts[0]?.eventType).toBe('operator-decision');
    expect(normaliseReport(op, o1.value.state, undefined).ok && (normaliseReport(op, o1.value.state, undefined) as { value: { drafts: unknown[] } }).value.drafts).toEqual([]);
    expect(reportKey(op.report)).toBe('op:S1:op1:2026-01-01T00:01:00.000Z:ALARM');
  });
});

describe('schemas/scanner/threat-report.schema.json', () => {
  const file = path.join(packageRoot(), 'schemas', 'scanner', 'threat-report.schema.json');
  it('is the schema the gateway checks reports with', () => {
    const want = `${JSON.stringify(THREAT_REPORT_SCHEMA, null, 2)}\n`;
    if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, want);
    }
    expect(readFileSync(file, 'utf8')).toBe(want);
  });
});
