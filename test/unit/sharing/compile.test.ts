import { describe, expect, it } from 'vitest';
import {
  compileSharing, parseRedactPath, type CompiledSharing, type SharingProblem,
} from '../../../src/sharing/policy-types.js';

const DESIGN_EXAMPLE = {
  agencies: [
    {
      id: 'customs',
      name: 'National Customs',
      receive: { sites: ['BGSOF'], deviceClasses: ['radiation-portal-monitor', 'xray-scanner', 'spectrometer'], eventTypes: ['result', 'operator-decision', 'status', 'fault', 'measurement'] },
      redact: ['raw', 'artifacts'],
    },
    { id: 'border-police', receive: { eventTypes: ['result', 'operator-decision'] }, redact: ['subject.documents', 'subject.conveyances[].id', 'raw', 'artifacts'] },
  ],
  sharing: {
    defaultClassification: 'internal',
    rules: [{ match: { deviceClass: 'radiation-portal-monitor', eventType: 'result', outcomeState: 'alarm' }, classification: 'restricted' }],
  },
};

function compiled(input: { agencies: unknown; sharing: unknown }): CompiledSharing {
  const r = compileSharing(input);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

function problems(input: { agencies: unknown; sharing: unknown }): SharingProblem[] {
  const r = compileSharing(input);
  if (r.ok) throw new Error('expected problems');
  return r.error;
}

describe('compileSharing', () => {
  it('compiles the design example', () => {
    const c = compiled(DESIGN_EXAMPLE);
    expect(c.agencies.map((a) => a.id)).toEqual(['customs', 'border-police']);
    const bp = c.byId.get('border-police');
    expect(bp?.redact).toEqual(['subject.documents', 'subject.conveyances[].id', 'raw', 'artifacts']);
    expect(bp?.redactsArtifacts).toBe(true);
    expect(bp?.receive).toEqual({ eventTypes: ['result', 'operator-decision'] });
    expect(bp?.redactPaths[1]?.steps).toEqual([{ name: 'subject', each: false }, { name: 'conveyances', each: true }, { name: 'id', each: false }]);
    expect(c.rules.rules[0]).toEqual({ match: { deviceClasses: ['radiation-portal-monitor'], eventTypes: ['result'], outcomeStates: ['alarm'] }, classification: 'restricted' });
  });

  it('defaults: no agencies, internal, no rules', () => {
    const c = compiled({ agencies: undefined, sharing: undefined });
    expect(c.agencies).toEqual([]);
    expect(c.rules).toEqual({ defaultClassification: 'internal', rules: [] });
  });

  it('withholds device-document artifacts from an agency that redacts any field, all artifacts when artifacts is redacted', () => {
    const c = compiled({
      agencies: [{ id: 'a' }, { id: 'b', redact: ['source.operatorId'] }, { id: 'c', redact: ['artifacts'] }],
      sharing: undefined,
    });
    expect([...(c.byId.get('a')?.withheldArtifactKinds ?? [])]).toEqual([]);
    expect([...(c.byId.get('b')?.withheldArtifactKinds ?? [])].sort()).toEqual(['dicos-tdr', 'n42', 'raw']);
    expect(c.byId.get('c')?.withheldArtifactKinds.size).toBe(8);
  });

  it('refuses duplicate, malformed and reserved agency ids', () => {
    const p = problems({ agencies: [{ id: 'customs' }, { id: 'customs' }, { id: 'Customs' }, { id: 'gateway' }, { id: 'xray-scanner' }, { name: 'x' }], sharing: undefined });
    expect(p).toEqual([
      { path: '/agencies/1/id', message: 'agency id "customs" is used more than once' },
      { path: '/agencies/2/id', message: expect.stringContaining('must match') },
      { path: '/agencies/3/id', message: expect.stringContaining('reserved') },
      { path: '/agencies/4/id', message: expect.stringContaining('reserved') },
      { path: '/agencies/5/id', message: expect.stringContaining('must match') },
    ]);
  });

  it('refuses unknown device classes, event types, bad sites and empty lists', () => {
    const p = problems({
      agencies: [{ id: 'a', receive: { deviceClasses: ['rpm'], eventTypes: ['result', 'alarm'], sites: ['BG/SOF'] } }, { id: 'b', receive: { sites: [] } }],
      sharing: undefined,
    });
    expect(p.map((x) => x.path)).toEqual(['/agencies/0/receive/sites/0', '/agencies/0/receive/deviceClasses/0', '/agencies/0/receive/eventTypes/1', '/agencies/1/receive/sites']);
    expect(p[1]?.message).toContain('unknown device class "rpm"');
    expect(p[2]?.message).toContain('unknown event type "alarm"');
    expect(p[3]?.message).toContain('empty list admits nothing');
  });

  it('refuses unknown keys everywhere', () => {
    const p = problems({
      agencies: [{ id: 'a', redcat: ['raw'], receive: { site: ['X'] } }],
      sharing: { default: 'public', rules: [{ match: { devClass: 'spectrometer' }, classification: 'public', extra: 1 }] },
    });
    expect(p.map((x) => x.path).sort()).toEqual([
      '/agencies/0/receive/site', '/agencies/0/redcat', '/sharing/default', '/sharing/rules/0/extra', '/sharing/rules/0/match/devClass',
    ]);
    expect(p.find((x) => x.path === '/agencies/0/redcat')?.message).toContain('unknown key "redcat"');
  });

  it('refuses bad classifications and rules without match', () => {
    const p = problems({ agencies: [], sharing: { defaultClassification: 'secret', rules: [{ classification: 'public' }, { match: { eventType: 'result' }, classification: 'top' }] } });
    expect(p.map((x) => x.path)).toEqual(['/sharing/defaultClassification', '/sharing/rules/0/match', '/sharing/rules/1/classification']);
  });

  it('reports a problem with redact paths at the path of the entry, saying what to redact instead', () => {
    const p = problems({
      agencies: [{ id: 'a', redact: ['raw', 'subject.documents[].id', 'subject.nope', 'subject.conveyances.id', 'raw.extensions.note', 'sharing', 'eventId', 'outcome', 'spectrum.y'] }],
      sharing: undefined,
    });
    expect(p).toEqual([
      { path: '/agencies/0/redact/1', message: '"subject.documents[].id" is required in subject.documents, so removing it would make the event invalid: redact subject.documents instead' },
      { path: '/agencies/0/redact/2', message: '"subject.nope": there is no field "nope" in subject (fields: inspectionId, conveyances, documents)' },
      { path: '/agencies/0/redact/3', message: expect.stringContaining('write subject.conveyances[] to reach into its elements (subject.conveyances[].id)') },
      { path: '/agencies/0/redact/4', message: '"raw.extensions.note": raw.extensions is a free map whose keys are data, not fields; redact raw.extensions as a whole' },
      { path: '/agencies/0/redact/5', message: '"sharing": sharing is set by the policy itself and cannot be redacted' },
      { path: '/agencies/0/redact/6', message: expect.stringContaining('"eventId" is required in every event') },
      { path: '/agencies/0/redact/7', message: expect.stringMatching(/"outcome" is required on result, operator-decision events, which this agency receives: redact its optional fields instead \(outcome.categories, outcome.vendorState, outcome.abortReason\), or leave result, operator-decision out of receive.eventTypes/) },
      { path: '/agencies/0/redact/8', message: expect.stringContaining('redact spectrum instead') },
    ]);
  });
});

describe('parseRedactPath', () => {
  it('allows a type-required field for an agency that does not receive that type', () => {
    expect(parseRedactPath('outcome', ['status', 'fault']).ok).toBe(true);
    expect(parseRedactPath('measurements', ['result']).ok).toBe(true);
    expect(parseRedactPath('measurements', ['measurement']).ok).toBe(false);
    expect(parseRedactPath('measurements[].sigma', ['measurement']).ok).toBe(true);
  });

  it('refuses operator-decision decisionBy with the way out', () => {
    const r = parseRedactPath('outcome.decisionBy', ['result', 'operator-decision']);
    expect(r).toEqual({ ok: false, error: '"outcome.decisionBy" is required on operator-decision events, which this agency receives: it cannot be redacted, or leave operator-decision out of receive.eventTypes' });
    const r2 = parseRedactPath('outcome.decisionBy', ['operator-decision', 'status']);
    expect(r2.ok).toBe(false);
    expect(parseRedactPath('outcome.decisionBy', ['result']).ok).toBe(true);
  });

  it('refuses syntax errors, trailing [], [] on a non-list, paths below a leaf', () => {
    expect(parseRedactPath('subject..documents', []).ok).toBe(false);
    expect(parseRedactPath('subject.documents[]', [])).toEqual({ ok: false, error: '"subject.documents[]" ends in []: to remove the whole list, redact subject.documents' });
    expect(parseRedactPath('subject[].documents', [])).toEqual({ ok: false, error: '"subject[].documents": subject is not a list; remove the []' });
    expect(parseRedactPath('source.operatorId.x', [])).toEqual({ ok: false, error: '"source.operatorId.x": source.operatorId has no fields below it; redact source.operatorId' });
    expect(parseRedactPath(42, []).ok).toBe(false);
  });
});
