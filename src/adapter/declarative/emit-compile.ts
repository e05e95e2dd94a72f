/**
 * Emit rule specs -> compiled rules. Checks what the schema cannot: that every reference names a
 * field of the right kind (bool for flags and edges, number for numeric slots), that a rule only
 * carries the body parts its event type has, that rule ids are unique. Every problem is
 * collected with its path.
 */
import type { FieldKind } from './compile-fields.js';
import type {
  BoolSlot, CompiledBody, CompiledFinding, CompiledMeasurement, CompiledRule, CompiledTrigger,
  DeviceKey, EdgeKind, Gate, MeasurementNumberKey, NumberSlot, ScalarSlot,
} from './emit-program.js';
import { pointer, type ProblemList } from './profile-problems.js';
import {
  MEASUREMENT_NUMBER_KEYS, type BoolSpec, type EmitEventType, type EmitRuleSpec, type FindingSpec,
  type MeasurementSpec, type NumberSpec, type ScalarSpec, type TextSpec, type TriggerSpec,
} from './profile-types.js';
import { parseTemplate, singleRef, templateRefs, type Template } from './template.js';

/**
 * Field kinds by name; 'unknown' for a field that failed its own checks (already reported);
 * 'list' for a JSON list field, whose elements' fields only findings with `each` can name.
 */
export type Kinds = ReadonlyMap<string, FieldKind | 'list' | 'unknown'>;
/** JSON profiles: each list field's element fields and their kinds. */
export type ListItemKinds = ReadonlyMap<string, ReadonlyMap<string, FieldKind | 'unknown'>>;
type Path = readonly (string | number)[];

/** Body parts each event type may carry (timing, quality, source and raw go anywhere). */
const ALLOWED_PARTS: Record<EmitEventType, readonly string[]> = {
  result: ['subject', 'outcome', 'measurements', 'findings'],
  measurement: ['subject', 'measurements'],
  fault: ['fault'],
  status: ['status'],
};
const BODY_PARTS = ['subject', 'outcome', 'measurements', 'findings', 'fault', 'status'] as const;

/** Resolves references against the field kinds and reports misuse at the right path. */
interface Ctx {
  kinds: Kinds;
  items: ListItemKinds;
  problems: ProblemList;
}

function kindName(k: FieldKind): string {
  return k === 'bool' ? 'a bool' : k === 'number' ? 'a number' : 'text';
}

function fieldRef(ctx: Ctx, path: Path, name: string, want: FieldKind | 'any'): void {
  const k = ctx.kinds.get(name);
  if (k === undefined) {
    const dot = name.indexOf('.');
    const list = dot > 0 ? name.slice(0, dot) : undefined;
    const hint = list !== undefined && ctx.items.has(list) ? ` (a field of list "${list}" elements: only a finding with each: ${list} can name it)` : '';
    ctx.problems.add(pointer(...path), `names no field: "${name}"${hint}`);
  } else if (k === 'list') ctx.problems.add(pointer(...path), `field "${name}" is a list: name it with each: on a finding, and its elements' fields as \${${name}.item}`);
  else if (want !== 'any' && k !== 'unknown' && k !== want) ctx.problems.add(pointer(...path), `field "${name}" is ${kindName(k)}, needs ${kindName(want)}`);
}

function text(ctx: Ctx, path: Path, spec: TextSpec): Template {
  const parsed = parseTemplate(spec);
  if (!parsed.ok) {
    ctx.problems.add(pointer(...path), parsed.message);
    return { parts: [] };
  }
  for (const r of templateRefs(parsed.template)) fieldRef(ctx, path, r, 'any');
  return parsed.template;
}

/** A "${field}" string of a number or bool slot (the schema already checked its spelling). */
function refOf(spec: string): string {
  return spec.slice(2, -1);
}

function numberSlot(ctx: Ctx, path: Path, spec: NumberSpec): NumberSlot {
  if (typeof spec === 'number') return { const: spec };
  const ref = refOf(spec);
  fieldRef(ctx, path, ref, 'number');
  return { ref };
}

function boolSlot(ctx: Ctx, path: Path, spec: BoolSpec): BoolSlot {
  if (typeof spec === 'boolean') return { const: spec };
  const ref = refOf(spec);
  fieldRef(ctx, path, ref, 'bool');
  return { ref };
}

function scalarSlot(ctx: Ctx, path: Path, spec: ScalarSpec): ScalarSlot {
  if (typeof spec !== 'string') return { const: spec };
  const t = text(ctx, path, spec);
  const ref = singleRef(t);
  return ref === undefined ? { template: t } : { ref };
}

function entries<V, S>(ctx: Ctx, path: Path, map: { readonly [k: string]: V } | undefined, each: (ctx: Ctx, path: Path, v: V) => S): (readonly [string, S])[] | undefined {
  if (map === undefined) return undefined;
  return Object.entries(map).map(([k, v]) => [k, each(ctx, [...path, k], v)] as const);
}

function compileTrigger(ctx: Ctx, path: Path, spec: TriggerSpec): CompiledTrigger {
  const gate: Gate = {};
  if (spec.while !== undefined) {
    fieldRef(ctx, [...path, 'while'], spec.while, 'bool');
    gate.while = spec.while;
  }
  if (spec.unless !== undefined) {
    fieldRef(ctx, [...path, 'unless'], spec.unless, 'bool');
    gate.unless = spec.unless;
  }
  if (spec.every !== undefined) {
    if (spec.baseline !== undefined) ctx.problems.add(pointer(...path, 'baseline'), 'is only for changed, increased, rising and falling');
    return { kind: 'every', periodMs: Math.round(spec.every * 1000), gate };
  }
  if (spec.always !== undefined) {
    if (spec.baseline !== undefined) ctx.problems.add(pointer(...path, 'baseline'), 'is only for changed, increased, rising and falling');
    return { kind: 'always', gate };
  }
  const edges: readonly EdgeKind[] = ['changed', 'increased', 'rising', 'falling'];
  const kind = edges.find((k) => spec[k] !== undefined) ?? 'changed';
  const field = spec[kind] ?? '';
  const want: FieldKind | 'any' = kind === 'changed' ? 'any' : kind === 'increased' ? 'number' : 'bool';
  fieldRef(ctx, [...path, kind], field, want);
  const trigger: CompiledTrigger = { kind, field, gate };
  if (spec.baseline !== undefined) {
    const fk = ctx.kinds.get(field);
    const bk: FieldKind = typeof spec.baseline === 'boolean' ? 'bool' : typeof spec.baseline === 'number' ? 'number' : 'text';
    if (fk !== undefined && fk !== 'unknown' && fk !== 'list' && fk !== bk) ctx.problems.add(pointer(...path, 'baseline'), `is ${kindName(bk)} but field "${field}" is ${kindName(fk)}`);
    trigger.baseline = spec.baseline;
  }
  return trigger;
}

function compileMeasurement(ctx: Ctx, path: Path, m: MeasurementSpec): CompiledMeasurement {
  const out: CompiledMeasurement = {
    detectorId: text(ctx, [...path, 'detectorId'], m.detectorId),
    category: m.category,
    numbers: MEASUREMENT_NUMBER_KEYS.flatMap((k: MeasurementNumberKey) => {
      const v = m[k];
      return v === undefined ? [] : [[k, numberSlot(ctx, [...path, k], v)] as const];
    }),
  };
  if (m.when !== undefined) {
    fieldRef(ctx, [...path, 'when'], m.when, 'bool');
    out.when = m.when;
  }
  if (m.occupied !== undefined) out.occupied = boolSlot(ctx, [...path, 'occupied'], m.occupied);
  return out;
}

/** Within a finding with `each: list`, the list's element fields are in scope as `list.item`. */
function scopedTo(ctx: Ctx, path: Path, list: string): Ctx {
  const k = ctx.kinds.get(list);
  const items = ctx.items.get(list);
  if (k === undefined) ctx.problems.add(pointer(...path), `names no field: "${list}"`);
  else if (k !== 'list' && k !== 'unknown') ctx.problems.add(pointer(...path), `field "${list}" is ${kindName(k)}, needs a list (a JSON field of type list)`);
  if (items === undefined) return ctx;
  const kinds = new Map(ctx.kinds);
  for (const [item, kind] of items) kinds.set(`${list}.${item}`, kind);
  return { ...ctx, kinds };
}

function compileFinding(outer: Ctx, path: Path, f: FindingSpec): CompiledFinding {
  const ctx = f.each === undefined ? outer : scopedTo(outer, [...path, 'each'], f.each);
  const out: CompiledFinding = { kind: f.kind };
  if (f.each !== undefined) out.each = f.each;
  if (f.when !== undefined) {
    fieldRef(ctx, [...path, 'when'], f.when, 'bool');
    out.when = f.when;
  }
  if (f.name !== undefined) out.name = text(ctx, [...path, 'name'], f.name);
  if (f.cas !== undefined) out.cas = text(ctx, [...path, 'cas'], f.cas);
  if (f.mixtureFraction !== undefined) out.mixtureFraction = numberSlot(ctx, [...path, 'mixtureFraction'], f.mixtureFraction);
  if (f.category !== undefined) out.category = f.category;
  if (f.identified !== undefined) out.identified = boolSlot(ctx, [...path, 'identified'], f.identified);
  if (f.score !== undefined) {
    const s = f.score;
    const sp = [...path, 'score'];
    const score: NonNullable<CompiledFinding['score']> = {
      value: numberSlot(ctx, [...sp, 'value'], s.value),
      method: text(ctx, [...sp, 'method'], s.method),
      higherIsBetter: s.higherIsBetter,
    };
    if (s.min !== undefined) score.min = numberSlot(ctx, [...sp, 'min'], s.min);
    if (s.max !== undefined) score.max = numberSlot(ctx, [...sp, 'max'], s.max);
    out.score = score;
  }
  if (f.detectors !== undefined) out.detectors = f.detectors.map((d, i) => text(ctx, [...path, 'detectors', i], d));
  return out;
}

function compileBody(ctx: Ctx, path: Path, rule: EmitRuleSpec, trigger: CompiledTrigger): CompiledBody {
  const body: CompiledBody = {};
  if (rule.subject?.inspectionId !== undefined) body.inspectionId = text(ctx, [...path, 'subject', 'inspectionId'], rule.subject.inspectionId);
  if (rule.outcome !== undefined) {
    const o = rule.outcome;
    const op = [...path, 'outcome'];
    o.alarms.forEach((a, i) => fieldRef(ctx, [...op, 'alarms', i, 'flag'], a.flag, 'bool'));
    (o.indeterminateWhen ?? []).forEach((f, i) => fieldRef(ctx, [...op, 'indeterminateWhen', i], f, 'bool'));
    body.outcome = {
      alarms: o.alarms.map((a) => ({ flag: a.flag, category: a.category })),
      indeterminateWhen: [...(o.indeterminateWhen ?? [])],
      decisionBy: o.decisionBy ?? 'machine',
      ...(o.vendorState === undefined ? {} : { vendorState: text(ctx, [...op, 'vendorState'], o.vendorState) }),
    };
  }
  if (rule.measurements !== undefined) body.measurements = rule.measurements.map((m, i) => compileMeasurement(ctx, [...path, 'measurements', i], m));
  if (rule.findings !== undefined) body.findings = rule.findings.map((f, i) => compileFinding(ctx, [...path, 'findings', i], f));
  if (rule.fault !== undefined) {
    const f = rule.fault;
    const fp = [...path, 'fault'];
    let active: BoolSlot;
    if (f.active !== undefined) active = boolSlot(ctx, [...fp, 'active'], f.active);
    else if (trigger.kind === 'rising' || trigger.kind === 'falling') active = { const: trigger.kind === 'rising' };
    else {
      ctx.problems.add(pointer(...fp), "must have 'active' unless the trigger is rising or falling (e.g. active: \"${flag}\" with changed: flag)");
      active = { const: true };
    }
    body.fault = {
      code: text(ctx, [...fp, 'code'], f.code),
      active,
      ...(f.severity === undefined ? {} : { severity: f.severity }),
      ...(f.detail === undefined ? {} : { detail: text(ctx, [...fp, 'detail'], f.detail) }),
    };
  }
  if (rule.status !== undefined) {
    body.status = {
      state: rule.status.state,
      ...(rule.status.detail === undefined ? {} : { detail: text(ctx, [...path, 'status', 'detail'], rule.status.detail) }),
    };
  }
  if (rule.source?.operatorId !== undefined) body.operatorId = text(ctx, [...path, 'source', 'operatorId'], rule.source.operatorId);
  const alg = rule.source?.algorithm;
  if (alg !== undefined) {
    const ap = [...path, 'source', 'algorithm'];
    body.algorithm = {
      name: text(ctx, [...ap, 'name'], alg.name),
      ...(alg.version === undefined ? {} : { version: text(ctx, [...ap, 'version'], alg.version) }),
      ...(alg.settings === undefined ? {} : { settings: entries(ctx, [...ap, 'settings'], alg.settings, scalarSlot) }),
    };
  }
  const dev = rule.source?.device;
  if (dev !== undefined) {
    const keys: readonly DeviceKey[] = ['vendor', 'model', 'serial', 'firmware', 'technique'];
    body.device = keys.flatMap((k) => {
      const v = dev[k];
      return v === undefined ? [] : [[k, text(ctx, [...path, 'source', 'device', k], v)] as const];
    });
  }
  if (rule.raw !== undefined) {
    const r = rule.raw;
    const rp = [...path, 'raw'];
    body.raw = {
      ...(r.format === undefined ? {} : { format: text(ctx, [...rp, 'format'], r.format) }),
      ...(r.nativeIds === undefined ? {} : { nativeIds: entries(ctx, [...rp, 'nativeIds'], r.nativeIds, text) }),
      ...(r.extensions === undefined ? {} : { extensions: entries(ctx, [...rp, 'extensions'], r.extensions, scalarSlot) }),
    };
  }
  return body;
}

export function compileEmitRules(rules: readonly EmitRuleSpec[], kinds: Kinds, problems: ProblemList, items: ListItemKinds = new Map()): CompiledRule[] {
  const ctx: Ctx = { kinds, items, problems };
  const seen = new Map<string, number>();
  return rules.map((rule, i) => {
    const path: Path = ['emit', i];
    const first = seen.get(rule.id);
    if (first !== undefined) problems.add(pointer(...path, 'id'), `"${rule.id}" is already the id of emit[${first}]`);
    else seen.set(rule.id, i);
    for (const part of BODY_PARTS) {
      if (rule[part] !== undefined && !ALLOWED_PARTS[rule.eventType].includes(part)) {
        problems.add(pointer(...path, part), `is not part of a ${rule.eventType} event (allowed: ${ALLOWED_PARTS[rule.eventType].join(', ')})`);
      }
    }
    const trigger = compileTrigger(ctx, [...path, 'when'], rule.when);
    const compiled: CompiledRule = {
      id: rule.id,
      eventType: rule.eventType,
      trigger,
      quality: rule.quality ?? 'good',
      body: compileBody(ctx, path, rule, trigger),
    };
    if (rule.timing !== undefined) {
      const t = rule.timing;
      const tp = [...path, 'timing'];
      fieldRef(ctx, [...tp, 'endEpochSeconds'], t.endEpochSeconds, 'number');
      if (t.endMillis !== undefined) fieldRef(ctx, [...tp, 'endMillis'], t.endMillis, 'number');
      if (t.durationMs !== undefined) fieldRef(ctx, [...tp, 'durationMs'], t.durationMs, 'number');
      compiled.timing = { ...t };
    }
    return compiled;
  });
}
