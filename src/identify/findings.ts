/**
 * Turns the gateway's identification into detection-event findings, kept apart from the device's
 * own findings by `origin: 'gateway'` and scored on the one scale every vendor is compared on.
 */
import type { GatewayIdentification } from '../adapter/types.js';
import type { Finding, Score } from '../schema/detection-event.js';

export const HQI_METHOD = 'hqi-correlation';

export function hqiScore(value: number): Score {
  return { value: Math.round(value * 10) / 10, min: 0, max: 100, higherIsBetter: true, method: HQI_METHOD };
}

/**
 * The hit list as findings: the mixture components first when the mixture explains the spectrum
 * better, then the ranked single hits. Only a 'match' verdict marks the top hit identified.
 */
export function identificationFindings(id: GatewayIdentification, opts: { maxHits?: number } = {}): Finding[] {
  const maxHits = opts.maxHits ?? 5;
  const ref = (entryId: string) => ({ library: id.library.name, version: id.library.version, entryId });
  const out: Finding[] = [];
  if (id.mixture && id.verdict === 'match') {
    for (const c of id.mixture.components) {
      out.push({
        kind: 'substance', name: c.name, ...(c.cas ? { codes: { cas: c.cas } } : {}), category: c.category,
        identified: true, score: hqiScore(id.mixture.hqi), mixtureFraction: c.fraction,
        origin: 'gateway', reference: ref(c.entryId),
      });
    }
  }
  id.hits.slice(0, maxHits).forEach((h, i) => {
    out.push({
      kind: 'substance', name: h.name, ...(h.cas ? { codes: { cas: h.cas } } : {}), category: h.category,
      identified: id.verdict === 'match' && i === 0 && !id.mixture,
      score: hqiScore(h.hqi), origin: 'gateway', reference: ref(h.entryId),
    });
  });
  return out;
}
