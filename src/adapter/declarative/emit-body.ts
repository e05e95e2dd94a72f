/**
 * A fired rule + the poll's field values -> one EventDraft. Pure. Keys are written in a fixed
 * order and absent parts are left out (never undefined), so golden files compare byte for byte.
 */
import { isoTime } from '../../clock.js';
import type {
  Category, Finding, JsonValue, Measurement, OutcomeState,
} from '../../schema/detection-event.js';
import { fail, ok, type DecodeFailure, type EventDraft, type Result } from '../types.js';
import type { BoolSlot, CompiledBody, CompiledRule, NumberSlot, ScalarSlot } from './emit-program.js';
import type { FieldValues } from './profile-types.js';
import { renderTemplate, type Template } from './template.js';

/** Latest instant an RFC 3339 time with a four-digit year can spell (9999-12-31T23:59:59.999Z). */
const MAX_TIME_MS = 253402300799999;

function num(slot: NumberSlot, values: FieldValues): number {
  if ('const' in slot) return slot.const;
  const v = values[slot.ref];
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
  const end = n(t.endEpochSeconds) * 1000 + n(t.endMillis);
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
      // event-model key order: the numbers, then occupied, then speedKmh
      for (const [key, slot] of m.numbers) if (key !== 'speedKmh') out[key] = num(slot, values);
      if (m.occupied !== undefined) out.occupied = bool(m.occupied, values);
      for (const [key, slot] of m.numbers) if (key === 'speedKmh') out[key] = num(slot, values);
      return out;
    });
}

function findingsOf(body: CompiledBody, values: FieldValues, render: (t: Template) => string): Finding[] {
  return (body.findings ?? [])
    .filter((f) => f.when === undefined || flag(f.when, values))
    .map((f) => {
      const out: Finding = { kind: f.kind };
      if (f.name !== undefined) out.name = render(f.name);
      if (f.category !== undefined) out.category = f.category;
      if (f.identified !== undefined) out.identified = bool(f.identified, values);
      if (f.score !== undefined) {
        const s = f.score;
        out.score = {
          value: num(s.value, values),
          ...(s.min === undefined ? {} : { min: num(s.min, values) }),
          ...(s.max === undefined ? {} : { max: num(s.max, values) }),
          higherIsBetter: s.higherIsBetter,
          method: render(s.method),
        };
      }
      if (f.detectors !== undefined) out.detectors = f.detectors.map(render);
      return out;
    });
}

function sourceOf(body: CompiledBody, values: FieldValues, render: (t: Template) => string): EventDraft['source'] | undefined {
  const source: NonNullable<EventDraft['source']> = {};
  if (body.device !== undefined && body.device.length > 0) {
    source.device = Object.fromEntries(body.device.map(([k, t]) => [k, render(t)]));
  }
  if (body.algorithm !== undefined) {
    const a = body.algorithm;
    source.algorithm = {
      name: render(a.name),
      ...(a.version === undefined ? {} : { version: render(a.version) }),
      ...(a.settings === undefined ? {} : { settings: Object.fromEntries(a.settings.map(([k, s]) => [k, scalar(s, values)])) }),
    };
  }
  return source.device === undefined && source.algorithm === undefined ? undefined : source;
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
export function buildDraft(rule: CompiledRule, values: FieldValues, now: number): Result<EventDraft, DecodeFailure> {
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
  const findings = findingsOf(body, values, render);
  if (findings.length > 0) draft.findings = findings;
  const measurements = measurementsOf(body, values, render);
  if (measurements.length > 0) draft.measurements = measurements;
  if (body.status !== undefined) {
    const edge = rule.trigger.kind !== 'every';
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
