/**
 * A fired rule + the poll's field values -> one EventDraft. Pure. Keys are written in a fixed
 * order and absent parts are left out (never undefined), so golden files compare byte for byte.
 */
import { isoTime } from '../../clock.js';
import type {
  Category, Finding, JsonValue, Measurement, OutcomeState,
} from '../../schema/detection-event.js';
import { fail, ok, type DecodeFailure, type EventDraft, type Result } from '../types.js';
import type { BoolSlot, CompiledBody, CompiledFinding, CompiledRule, NumberSlot, ScalarSlot } from './emit-program.js';
import type { FieldValues, ListValues } from './profile-types.js';
import { renderTemplate, type Template } from './template.js';

/** Latest instant an RFC 3339 time with a four-digit year can spell (9999-12-31T23:59:59.999Z). */
const MAX_TIME_MS = 253402300799999;

function num(slot: NumberSlot, values: FieldValues): number {
  return numOrAbsent(slot, values) ?? Number.NaN;
}

/**
 * A number slot's value; undefined when it names a field the record lacks (an optional JSON
 * field): the key that holds it is then left out. Modbus fields are never absent.
 */
function numOrAbsent(slot: NumberSlot, values: FieldValues): number | undefined {
  if ('const' in slot) return slot.const;
  const v = values[slot.ref];
  if (v === undefined) return undefined;
  return typeof v === 'number' ? v : Number.NaN;
}

function bool(slot: BoolSlot, values: FieldValues): boolean {
  return 'const' in slot ? slot.const : values[slot.ref] === true;
}

function scalar(slot: ScalarSlot, values: FieldValues): JsonValue {
  if ('const' in slot) return slot.const;
  if ('ref' in slot) return values[slot.ref] ?? null;
  return renderTemplate(slot.template, values);
}

const flag = (name: string, values: FieldValues): boolean => values[name] === true;

/** observedAt / endedAt from the device clock fields, or the poll's gateway time. */
function eventTimes(rule: CompiledRule, values: FieldValues, now: number): Result<{ observedAt: string; endedAt?: string }, DecodeFailure> {
  const t = rule.timing;
  if (t === undefined) return ok({ observedAt: isoTime(now) });
  const n = (name: string | undefined): number => (name === undefined ? 0 : num({ ref: name }, values));
  // rounded: a JSON timestamp is Unix seconds with a fraction, and 0.123 * 1000 is not exactly 123
  const end = Math.round(n(t.endEpochSeconds) * 1000 + n(t.endMillis));
  const start = end - n(t.durationMs);
  if (!Number.isFinite(start) || !Number.isFinite(end) || start < 0 || end > MAX_TIME_MS) {
    return fail({
      code: 'BL_ERR_PROFILE_EMIT',
      message: `rule ${rule.id}: device time fields give no valid time (end ${end} ms, start ${start} ms)`,
      detail: { rule: rule.id, endMs: Number.isFinite(end) ? end : null, startMs: Number.isFinite(start) ? start : null },
    });
  }
  return ok(t.durationMs === undefined ? { observedAt: isoTime(end) } : { observedAt: isoTime(start), endedAt: isoTime(end) });
}

function outcomeOf(o: NonNullable<CompiledBody['outcome']>, values: FieldValues, render: (t: Template) => string): NonNullable<EventDraft['outcome']> {
  const categories: Category[] = [];
  for (const a of o.alarms) {
    if (flag(a.flag, values) && !categories.includes(a.category)) categories.push(a.category);
  }
  const state: OutcomeState = categories.length > 0 ? 'alarm' : o.indeterminateWhen.some((f) => flag(f, values)) ? 'indeterminate' : 'clear';
  return {
    state,
    ...(categories.length > 0 ? { categories } : {}),
    decisionBy: o.decisionBy,
    ...(o.vendorState === undefined ? {} : { vendorState: render(o.vendorState) }),
  };
}

function measurementsOf(body: CompiledBody, values: FieldValues, render: (t: Template) => string): Measurement[] {
  return (body.measurements ?? [])
    .filter((m) => m.when === undefined || flag(m.when, values))
    .map((m) => {
      const out: Measurement = { detectorId: render(m.detectorId), category: m.category };
      const put = (key: (typeof m.numbers)[number][0], slot: NumberSlot): void => {
        const v = numOrAbsent(slot, values);
        if (v !== undefined) out[key] = v;
      };
      // event-model key order: the numbers, then occupied, then speedKmh
      for (const [key, slot] of m.numbers) if (key !== 'speedKmh') put(key, slot);
      if (m.occupied !== undefined) out.occupied = bool(m.occupied, values);
      for (const [key, slot] of m.numbers) if (key === 'speedKmh') put(key, slot);
      return out;
    });
}

function findingOf(f: CompiledFinding, values: FieldValues): Finding {
  const render = (t: Template): string => renderTemplate(t, values);
  const out: Finding = { kind: f.kind };
  if (f.name !== undefined) {
    const name = render(f.name);
    if (name !== '') out.name = name;
  }
  if (f.cas !== undefined) {
    const cas = render(f.cas);
    if (cas !== '') out.codes = { cas };
  }
  if (f.category !== undefined) out.category = f.category;
  if (f.identified !== undefined) out.identified = bool(f.identified, values);
  if (f.score !== undefined) {
    const s = f.score;
    const value = numOrAbsent(s.value, values);
    // a score is never a bare number: without its value the whole score is left out
    if (value !== undefined) {
      const min = s.min === undefined ? undefined : numOrAbsent(s.min, values);
      const max = s.max === undefined ? undefined : numOrAbsent(s.max, values);
      out.score = {
        value,
        ...(min === undefined ? {} : { min }),
        ...(max === undefined ? {} : { max }),
        higherIsBetter: s.higherIsBetter,
        method: render(s.method),
      };
    }
  }
  if (f.mixtureFraction !== undefined) {
    const v = numOrAbsent(f.mixtureFraction, values);
    if (v !== undefined) out.mixtureFraction = v;
  }
  if (f.detectors !== undefined) out.detectors = f.detectors.map(render);
  return out;
}

/** Findings in rule order; a finding with `each` becomes one per element of its list, in list order. */
function findingsOf(body: CompiledBody, values: FieldValues, lists: ListValues): Finding[] {
  const out: Finding[] = [];
  for (const f of body.findings ?? []) {
    if (f.each === undefined) {
      if (f.when === undefined || flag(f.when, values)) out.push(findingOf(f, values));
      continue;
    }
    for (const element of lists[f.each] ?? []) {
      const scoped: FieldValues = { ...values, ...element };
      if (f.when === undefined || flag(f.when, scoped)) out.push(findingOf(f, scoped));
    }
  }
  return out;
}

function sourceOf(body: CompiledBody, values: FieldValues, render: (t: Template) => string): EventDraft['source'] | undefined {
  const source: NonNullable<EventDraft['source']> = {};
  if (body.device !== undefined && body.device.length > 0) {
    // a key that renders empty (an absent optional JSON field) is left out
    const device = body.device.map(([k, t]) => [k, render(t)] as const).filter(([, v]) => v !== '');
    if (device.length > 0) source.device = Object.fromEntries(device);
  }
  if (body.algorithm !== undefined) {
    const a = body.algorithm;
    const name = render(a.name);
    const version = a.version === undefined ? '' : render(a.version);
    // an algorithm whose name renders empty (absent optional JSON field) is left out, as is an empty version
    if (name !== '') {
      source.algorithm = {
        name,
        ...(version === '' ? {} : { version }),
        ...(a.settings === undefined ? {} : { settings: Object.fromEntries(a.settings.map(([k, s]) => [k, scalar(s, values)])) }),
      };
    }
  }
  if (body.operatorId !== undefined) {
    const operatorId = render(body.operatorId);
    if (operatorId !== '') source.operatorId = operatorId;
  }
  return source.device === undefined && source.algorithm === undefined && source.operatorId === undefined ? undefined : source;
}

function rawOf(body: CompiledBody, values: FieldValues, render: (t: Template) => string): EventDraft['raw'] | undefined {
  const r = body.raw;
  if (r === undefined) return undefined;
  return {
    ...(r.format === undefined ? {} : { format: render(r.format) }),
    ...(r.nativeIds === undefined ? {} : { nativeIds: Object.fromEntries(r.nativeIds.map(([k, t]) => [k, render(t)])) }),
    ...(r.extensions === undefined ? {} : { extensions: Object.fromEntries(r.extensions.map(([k, s]) => [k, scalar(s, values)])) }),
  };
}

/** The event a fired rule describes. Numeric references to fields are always numbers here: decode guarantees it. */
export function buildDraft(rule: CompiledRule, values: FieldValues, now: number, lists: ListValues = {}): Result<EventDraft, DecodeFailure> {
  const times = eventTimes(rule, values, now);
  if (!times.ok) return times;
  const render = (t: Template): string => renderTemplate(t, values);
  const body = rule.body;
  const { observedAt, endedAt } = times.value;
  const draft: EventDraft = {
    eventType: rule.eventType,
    observedAt,
    ...(endedAt === undefined ? {} : { endedAt }),
    quality: rule.quality,
  };
  if (body.inspectionId !== undefined) draft.subject = { inspectionId: render(body.inspectionId) };
  if (body.outcome !== undefined) draft.outcome = outcomeOf(body.outcome, values, render);
  const findings = findingsOf(body, values, lists);
  if (findings.length > 0) draft.findings = findings;
  const measurements = measurementsOf(body, values, render);
  if (measurements.length > 0) draft.measurements = measurements;
  if (body.status !== undefined) {
    const edge = rule.trigger.kind !== 'every' && rule.trigger.kind !== 'always';
    draft.status = {
      state: body.status.state,
      ...(body.status.detail === undefined ? {} : { detail: render(body.status.detail) }),
      ...(edge ? { since: draft.observedAt } : {}),
    };
  }
  if (body.fault !== undefined) {
    const f = body.fault;
    draft.fault = {
      code: render(f.code),
      active: bool(f.active, values),
      ...(f.severity === undefined ? {} : { severity: f.severity }),
      ...(f.detail === undefined ? {} : { detail: render(f.detail) }),
    };
  }
  const raw = rawOf(body, values, render);
  if (raw !== undefined) draft.raw = raw;
  const source = sourceOf(body, values, render);
  if (source !== undefined) draft.source = source;
  return ok(draft);
}
