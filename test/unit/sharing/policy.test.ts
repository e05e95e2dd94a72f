import { describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import {
  admits, artifactAllowed, classify, forAgency, redact, sharingLabel, viewFor,
} from '../../../src/sharing/policy.js';
import { compileSharing, type CompiledAgencyPolicy, type CompiledSharing } from '../../../src/sharing/policy-types.js';
import { fullEvent, SHAS } from './fixtures.js';

const validator = createEventValidator();

function compile(agencies: unknown, sharing: unknown = undefined): CompiledSharing {
  const r = compileSharing({ agencies, sharing });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}
const agency = (c: CompiledSharing, id: string): CompiledAgencyPolicy => {
  const p = c.byId.get(id);
  if (!p) throw new Error(id);
  return p;
};

const C = compile(
  [
    { id: 'customs', receive: { sites: ['BGSOF'] }, redact: ['raw', 'artifacts'] },
    { id: 'border-police', receive: { eventTypes: ['result', 'operator-decision'] }, redact: ['subject.documents', 'subject.conveyances[].id', 'raw', 'artifacts'] },
    { id: 'health', receive: { deviceClasses: ['spectrometer'] } },
    { id: 'ops-audit', redact: ['source.operatorId'] },
  ],
  { defaultClassification: 'internal', rules: [{ match: { deviceClass: 'xray-scanner', outcomeState: 'alarm' }, classification: 'restricted' }, { match: { eventType: 'status' }, classification: 'public' }] },
);

describe('admits', () => {
  it('checks site, device class and event type; absent lists admit all', () => {
    const e = fullEvent();
    expect(admits(agency(C, 'customs'), e)).toBe(true);
    expect(admits(agency(C, 'customs'), { ...e, source: { ...e.source, siteId: 'ROBUH' } })).toBe(false);
    expect(admits(agency(C, 'border-police'), fullEvent('status'))).toBe(false);
    expect(admits(agency(C, 'health'), e)).toBe(false);
    expect(admits(agency(C, 'ops-audit'), fullEvent('fault'))).toBe(true);
  });
});

describe('classification and label', () => {
  it('first matching rule, else the default; agencies sorted', () => {
    expect(classify(C, fullEvent())).toBe('restricted');
    expect(classify(C, { ...fullEvent(), outcome: { state: 'clear' } })).toBe('internal');
    const status = fullEvent('status');
    status.source.device = { id: 'spec-1', class: 'spectrometer' };
    expect(classify(C, status)).toBe('public');
    expect(sharingLabel(C, fullEvent())).toEqual({ classification: 'restricted', agencies: ['border-police', 'customs', 'ops-audit'] });
    expect(sharingLabel(compile([]), fullEvent())).toEqual({ classification: 'internal', agencies: [] });
  });
});

describe('redact', () => {
  it('deletes named fields, through every list element, without touching the input', () => {
    const e = fullEvent();
    e.subject?.conveyances?.push({ type: 'truck', id: 'CA1234AB', scheme: 'plate' });
    const before = JSON.stringify(e);
    const out = redact(agency(C, 'border-police'), e);
    expect(JSON.stringify(e)).toBe(before);
    expect(out.subject).toEqual({ inspectionId: 'scan-0001', conveyances: [{ type: 'container', scheme: 'iso6346', checkDigitValid: true, readConfidence: 0.93 }, { type: 'truck', scheme: 'plate' }] });
    expect(out.raw).toBeUndefined();
    expect(validator.validate(out)).toEqual({ ok: true });
  });

  it('artifacts: no artifact, no artifactRef, no /v1/artifacts string, no unresolved images', () => {
    const p = compile([{ id: 'a', redact: ['artifacts'] }]);
    const out = redact(agency(p, 'a'), fullEvent());
    expect(out.artifacts).toBeUndefined();
    expect(out.findings?.[0]?.region).toEqual({ frame: 'image', base: [1, 2], extent: [3, 4], polygon: [[1, 2], [3, 4]] });
    expect(out.raw?.extensions).toEqual({ note: 'container MSCU1234565 released' });
    const json = JSON.stringify(out);
    expect(json).not.toContain(SHAS.image);
    expect(json).not.toContain(SHAS.raw);
    expect(json).not.toContain('/v1/artifacts/');
    expect(validator.validate(out)).toEqual({ ok: true });
  });

  it('any redaction withholds the device-document artifacts (raw) and references to them, keeps images', () => {
    const e = fullEvent();
    e.raw = { extensions: { rawCopy: `/v1/artifacts/${SHAS.raw}`, img: `/v1/artifacts/${SHAS.image}` } };
    const out = redact(agency(C, 'ops-audit'), e);
    expect(out.artifacts?.map((a) => a.kind)).toEqual(['dicos-dx']);
    expect(out.raw?.extensions).toEqual({ img: `/v1/artifacts/${SHAS.image}` });
    expect(out.findings?.[0]?.region?.artifactRef).toBe(SHAS.image);
    expect(out.source.operatorId).toBeUndefined();
    expect(artifactAllowed(C, 'ops-audit', e, SHAS.image)).toBe(true);
    expect(artifactAllowed(C, 'ops-audit', e, SHAS.raw)).toBe(false);
  });

  it('scrubs echoes of redacted free text from free maps and optional fields', () => {
    const p = compile([{ id: 'a', redact: ['subject.documents', 'subject.conveyances[].id'] }]);
    const e = fullEvent();
    e.outcome = { state: 'alarm', decisionBy: 'machine', vendorState: 'hold MSCU1234565' };
    const out = redact(agency(p, 'a'), e);
    expect(out.raw?.nativeIds).toEqual({ vendorResultId: 'R-77' });
    expect(out.raw?.extensions?.note).toBeUndefined();
    expect(out.outcome?.vendorState).toBeUndefined();
    expect(validator.validate(out)).toEqual({ ok: true });
  });

  it('does not scrub an echo the agency sees anyway in a kept field', () => {
    const p = compile([{ id: 'a', redact: ['raw'] }]);
    const e = fullEvent();
    e.raw = { nativeIds: { scan: 'scan-0001' } };
    e.outcome = { state: 'clear', vendorState: 'scan-0001 clear' };
    const out = redact(agency(p, 'a'), e);
    expect(out.subject?.inspectionId).toBe('scan-0001');
    expect(out.outcome?.vendorState).toBe('scan-0001 clear');
  });

  it('a policy redacting nothing returns an equal copy', () => {
    const e = fullEvent();
    const out = redact(agency(C, 'health'), e);
    expect(out).toEqual(e);
    expect(out).not.toBe(e);
  });
});

describe('forAgency / viewFor / artifactAllowed', () => {
  it('undefined when not admitted or unknown; sharing names only that agency', () => {
    const e: DetectionEvent = { ...fullEvent(), sharing: { classification: 'public', agencies: ['customs', 'health'] } };
    expect(forAgency(C, 'health', e)).toBeUndefined();
    expect(forAgency(C, 'nobody', e)).toBeUndefined();
    const out = forAgency(C, 'customs', e);
    expect(out?.sharing).toEqual({ classification: 'public', agencies: ['customs'] });
    const unlabelled = { ...fullEvent() };
    delete unlabelled.sharing;
    expect(forAgency(C, 'customs', unlabelled)?.sharing).toEqual({ classification: 'restricted', agencies: ['customs'] });
    expect(viewFor(C, undefined, e)).toBe(e);
    expect(viewFor(C, 'health', e)).toBeUndefined();
  });

  it('artifactAllowed: admitted, listed, kind not withheld', () => {
    const e = fullEvent();
    expect(artifactAllowed(C, 'customs', e, SHAS.image)).toBe(false);
    expect(artifactAllowed(C, 'health', { ...e, source: { ...e.source, device: { id: 's', class: 'spectrometer' } } }, SHAS.raw)).toBe(true);
    expect(artifactAllowed(C, 'health', e, SHAS.raw)).toBe(false);
    expect(artifactAllowed(C, 'ops-audit', e, 'c'.repeat(64))).toBe(false);
    expect(artifactAllowed(C, 'nobody', e, SHAS.image)).toBe(false);
  });
});
