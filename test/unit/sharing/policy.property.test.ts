/**
 * Issue 7's property: for random events and policies, no value of a redacted field ever appears
 * anywhere in a payload delivered to an agency that may not see it; the delivered copy is still a
 * valid DetectionEvent v1; nothing the policy keeps is lost.
 *
 * The oracle here is written apart from src/sharing: it decides which leaves of the original
 * event the agency may not see (under a redact path; an artifact it may not fetch or a reference
 * to one), then looks for their values in JSON.stringify of what forAgency returns. Values the
 * agency legitimately sees in a field it keeps are not counted (an artifactRef repeating an
 * artifact's sha256 is the same value, not a leak).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import { artifactAllowed, forAgency, sharingLabel } from '../../../src/sharing/policy.js';
import { compileSharing, type CompiledSharing } from '../../../src/sharing/policy-types.js';
import { redactablePaths, shippedEventFieldTable } from '../../../src/sharing/schema-fields.js';
import { eventArb, policiesArb, type PolicyInput } from './arbitraries.js';

const validator = createEventValidator();
const table = shippedEventFieldTable();
const RUNS = 3000;

const FREE_MAPS = ['source.algorithm.settings', 'raw.nativeIds', 'raw.extensions'];
const DOCUMENT_KINDS = ['raw', 'n42', 'dicos-tdr'];

interface Leaf {
  path: string;
  value: string | number;
  free: boolean;
  artifact?: number;
}

function leaves(v: unknown, path: string, out: Leaf[], artifact?: number): Leaf[] {
  const free = FREE_MAPS.some((m) => path === m || path.startsWith(`${m}.`) || path.startsWith(`${m}[]`));
  if (typeof v === 'string' || typeof v === 'number') out.push({ path, value: v, free, ...(artifact !== undefined ? { artifact } : {}) });
  else if (Array.isArray(v)) v.forEach((x, i) => leaves(x, `${path}[]`, out, path === 'artifacts' ? i : artifact));
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) leaves(x, path === '' ? k : `${path}.${k}`, out, artifact);
  }
  return out;
}

const under = (path: string, rp: string): boolean => path === rp || path.startsWith(`${rp}.`) || path.startsWith(`${rp}[]`);

function admitsOracle(p: PolicyInput, e: DetectionEvent): boolean {
  const r = p.receive;
  return (!r.sites || r.sites.includes(e.source.siteId))
    && (!r.deviceClasses || r.deviceClasses.includes(e.source.device.class))
    && (!r.eventTypes || r.eventTypes.includes(e.eventType));
}

/** The leaves of `e` this policy hides, and the ones it keeps in declared (non-free-map) fields. */
function split(p: PolicyInput, e: DetectionEvent): { hidden: Leaf[]; kept: Leaf[]; keptFree: Leaf[] } {
  const all = leaves(e, '', []).filter((l) => !under(l.path, 'sharing'));
  const artifactsAll = p.redact.includes('artifacts');
  const withheldIdx = new Set(
    (e.artifacts ?? []).map((a, i) => (artifactsAll || (p.redact.length > 0 && DOCUMENT_KINDS.includes(a.kind)) ? i : -1)).filter((i) => i >= 0),
  );
  const refs = (e.artifacts ?? []).filter((_, i) => withheldIdx.has(i)).flatMap((a) => [a.sha256, a.uri]);
  const hides = (l: Leaf): boolean => {
    if (p.redact.some((rp) => under(l.path, rp))) return true;
    if (l.artifact !== undefined && withheldIdx.has(l.artifact)) return true;
    if (artifactsAll && (l.path === 'findings[].region.artifactRef' || under(l.path, 'raw.extensions.unresolvedImages'))) return true;
    if (typeof l.value === 'string') {
      if (artifactsAll && l.value.includes('/v1/artifacts/')) return true;
      if (refs.some((r) => l.value.toString().includes(r))) return true;
    }
    return false;
  };
  const hidden: Leaf[] = [];
  const kept: Leaf[] = [];
  const keptFree: Leaf[] = [];
  for (const l of all) (hides(l) ? hidden : l.free ? keptFree : kept).push(l);
  return { hidden, kept, keptFree };
}

function occurs(json: string, v: string | number): boolean {
  if (typeof v === 'string') return json.includes(JSON.stringify(v).slice(1, -1));
  const s = JSON.stringify(v);
  return new RegExp(`(?<![\\d.])${s.replace(/[.+-]/g, (c) => `\\${c}`)}(?![\\d])`).test(json);
}

function compile(policies: PolicyInput[]): CompiledSharing {
  const r = compileSharing({ agencies: policies, sharing: { rules: [{ match: { outcomeState: 'alarm' }, classification: 'restricted' }] } });
  if (!r.ok) throw new Error(`a random valid policy was refused: ${JSON.stringify(r.error)}`);
  return r.value;
}

const arb = fc.tuple(eventArb, policiesArb((types) => redactablePaths(table, types)));

describe('sharing policy, property-based', () => {
  it('generated events are schema-valid', () => {
    fc.assert(fc.property(eventArb, ({ event }) => {
      const v = validator.validate(event);
      if (!v.ok) throw new Error(v.errors.join('; '));
    }), { numRuns: RUNS });
  });

  it('no value of a redacted field appears in an agency payload; the payload is valid; kept values stay', () => {
    fc.assert(fc.property(arb, ([{ event, distinct }, policies]) => {
      const compiled = compile(policies);
      const before = JSON.stringify(event);
      for (const p of policies) {
        const out = forAgency(compiled, p.id, event);
        if (!admitsOracle(p, event)) {
          expect(out).toBeUndefined();
          continue;
        }
        expect(out).toBeDefined();
        if (!out) continue;
        const v = validator.validate(out);
        if (!v.ok) throw new Error(`${p.id} redact ${p.redact.join(',')}: ${v.errors.join('; ')}`);
        expect(out.sharing?.agencies).toEqual([p.id]);
        const json = JSON.stringify(out);
        const { hidden, kept, keptFree } = split(p, event);
        const seen = new Set(kept.map((l) => l.value));
        const hiddenText = hidden.filter((l) => typeof l.value === 'string' && distinct.has(l.value)).map((l) => l.value as string);
        for (const l of hidden) {
          if (!distinct.has(l.value) || seen.has(l.value)) continue;
          if (occurs(json, l.value)) throw new Error(`${p.id} (redact ${p.redact.join(', ')}): ${l.path} value ${JSON.stringify(l.value)} leaked into ${json}`);
        }
        for (const l of [...kept, ...keptFree]) {
          if (!distinct.has(l.value)) continue;
          if (typeof l.value === 'string' && hiddenText.some((h) => (l.value as string).includes(h))) continue;
          if (!occurs(json, l.value)) throw new Error(`${p.id} (redact ${p.redact.join(', ')}): kept ${l.path} value ${JSON.stringify(l.value)} is missing from ${json}`);
        }
      }
      expect(JSON.stringify(event)).toBe(before);
    }), { numRuns: RUNS });
  });

  it('artifactAllowed says yes exactly for the artifacts left in the agency copy; the label names the admitting agencies', () => {
    fc.assert(fc.property(arb, ([{ event }, policies]) => {
      const compiled = compile(policies);
      for (const p of policies) {
        const left = new Set((forAgency(compiled, p.id, event)?.artifacts ?? []).map((a) => a.sha256));
        for (const a of event.artifacts ?? []) expect(artifactAllowed(compiled, p.id, event, a.sha256)).toBe(left.has(a.sha256));
      }
      expect(sharingLabel(compiled, event).agencies).toEqual(policies.filter((p) => admitsOracle(p, event)).map((p) => p.id).sort());
    }), { numRuns: RUNS });
  });
});
