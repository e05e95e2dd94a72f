/**
 * Which parts of a document make one inspection (one result event). A portal writes one file per
 * occupancy and a handheld one per identification, so the usual answer is "the whole document".
 * A document holding several foreground RadMeasurementGroups (2012) or Measurements (2006) is
 * split by group, but only when every foreground measurement and every analysis can be attributed
 * to exactly one group; otherwise the whole document stays one inspection rather than guess.
 */
import type { N42Analysis, N42Document, N42Measurement } from './document.js';

export interface Inspection {
  /** the measurement group it stands for, when there is one */
  groupId?: string;
  /** RadMeasurements (or 2006 slices) of class foreground or not specified */
  foreground: N42Measurement[];
  /** DerivedData of class foreground or not specified: the device's own sums */
  derived: N42Measurement[];
  analyses: N42Analysis[];
}

export const isForegroundish = (m: N42Measurement): boolean => m.classCode === 'foreground' || m.classCode === 'not-specified';

/** The inspections of a document; empty when it holds no foreground data and no analysis (background only). */
export function inspectionsOf(doc: N42Document): Inspection[] {
  const foreground = doc.measurements.filter(isForegroundish);
  const derived = doc.derived.filter(isForegroundish);
  if (foreground.length === 0 && derived.length === 0 && doc.analyses.length === 0) return [];
  const candidates = [...new Set([...doc.groups.map((g) => g.id), ...foreground.flatMap((m) => m.groupRefs)])];
  const groupIds = candidates.filter((g) => foreground.some((m) => m.groupRefs.includes(g)));
  const whole: Inspection = { foreground, derived, analyses: doc.analyses };
  if (groupIds.length === 1) whole.groupId = groupIds[0] as string;
  if (groupIds.length <= 1) return [whole];
  return splitByGroup(groupIds, foreground, derived, doc.analyses) ?? [whole];
}

function splitByGroup(groupIds: readonly string[], foreground: N42Measurement[], derived: N42Measurement[], analyses: N42Analysis[]): Inspection[] | undefined {
  const inGroups = (m: N42Measurement): string[] => m.groupRefs.filter((g) => groupIds.includes(g));
  if (foreground.some((m) => inGroups(m).length !== 1)) return undefined;
  const groupOfMeasurement = new Map<string, string>();
  for (const m of foreground) if (m.id !== undefined) groupOfMeasurement.set(m.id, inGroups(m)[0] as string);
  const groupOfDerived = new Map<string, string>();
  for (const d of derived) {
    const g = inGroups(d);
    if (g.length === 1 && d.id !== undefined) groupOfDerived.set(d.id, g[0] as string);
  }
  const analysisGroup = (a: N42Analysis): string | undefined => {
    const gs = new Set<string>([
      ...a.groupRefs.filter((g) => groupIds.includes(g)),
      ...a.measurementRefs.flatMap((r) => groupOfMeasurement.get(r) ?? []),
      ...a.derivedRefs.flatMap((r) => groupOfDerived.get(r) ?? []),
    ]);
    return gs.size === 1 ? [...gs][0] : undefined;
  };
  const analysisGroups = analyses.map(analysisGroup);
  if (analysisGroups.some((g) => g === undefined)) return undefined;
  // derived data in no group joins the group of the analysis that references it
  for (const [i, a] of analyses.entries()) {
    for (const r of a.derivedRefs) if (!groupOfDerived.has(r)) groupOfDerived.set(r, analysisGroups[i] as string);
  }
  if (derived.some((d) => d.id === undefined || !groupOfDerived.has(d.id))) return undefined;
  return groupIds.map((groupId) => ({
    groupId,
    foreground: foreground.filter((m) => inGroups(m)[0] === groupId),
    derived: derived.filter((d) => groupOfDerived.get(d.id as string) === groupId),
    analyses: analyses.filter((_, i) => analysisGroups[i] === groupId),
  }));
}
