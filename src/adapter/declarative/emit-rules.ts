/**
 * The reducer behind a profile's normalise: (field values, state) -> (drafts, next state).
 *
 * State is the rules' memory between polls, a JSON value the outbox commits with the events:
 *   { v: 1, rules: { [ruleId]: { kind: 'edge', field, last } | { kind: 'every', emittedAt } } }
 * An edge rule remembers the last value it saw of its field (the baseline); an `every` rule the
 * gateway time it last fired. A rule with no memory is seeing its field for the first time. The
 * same state object is returned when nothing changed, so the pipeline can skip a commit.
 */
import type { JsonValue } from '../../schema/detection-event.js';
import { ok, type DecodeFailure, type EventDraft, type Result } from '../types.js';
import { buildDraft } from './emit-body.js';
import type { CompiledRule, CompiledTrigger, Gate } from './emit-program.js';
import type { FieldValue, FieldValues, ListValues } from './profile-types.js';

export type RuleMemory =
  | { kind: 'edge'; field: string; last: FieldValue }
  | { kind: 'every'; emittedAt: number };

export type ProfileState = { v: 1; rules: { [ruleId: string]: RuleMemory } };

export function initialProfileState(): ProfileState {
  return { v: 1, rules: {} };
}

const isFieldValue = (v: unknown): v is FieldValue => typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string';

function isMemory(m: unknown): m is RuleMemory {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const r = m as { [k: string]: unknown };
  if (r.kind === 'edge') return typeof r.field === 'string' && isFieldValue(r.last);
  if (r.kind === 'every') return typeof r.emittedAt === 'number' && Number.isFinite(r.emittedAt);
  return false;
}

/**
 * Reads a stored state defensively: it may come from an older profile version or a damaged
 * store. Unusable entries are forgotten (that rule re-baselines), never fatal. The input object
 * itself is returned when it is already well-formed.
 */
export function readProfileState(state: JsonValue | undefined): ProfileState {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return initialProfileState();
  const rules = state.rules;
  if (state.v !== 1 || typeof rules !== 'object' || rules === null || Array.isArray(rules)) return initialProfileState();
  const entries = Object.entries(rules);
  if (entries.every(([, m]) => isMemory(m))) return state as ProfileState;
  return { v: 1, rules: Object.fromEntries(entries.filter(([, m]) => isMemory(m))) as ProfileState['rules'] };
}

function gateOpen(gate: Gate, values: FieldValues): boolean {
  if (gate.while !== undefined && values[gate.while] !== true) return false;
  if (gate.unless !== undefined && values[gate.unless] === true) return false;
  return true;
}

function edgeFires(kind: Exclude<CompiledTrigger['kind'], 'every' | 'always'>, prev: FieldValue, cur: FieldValue): boolean {
  switch (kind) {
    case 'changed': return prev !== cur;
    case 'increased': return typeof prev === 'number' && typeof cur === 'number' && cur > prev;
    case 'rising': return prev === false && cur === true;
    case 'falling': return prev === true && cur === false;
  }
}

/** Whether a rule fires this poll, and its memory afterwards (the same object when unchanged). */
export function evaluateTrigger(
  trigger: CompiledTrigger,
  memory: RuleMemory | undefined,
  values: FieldValues,
  now: number,
): { fires: boolean; memory: RuleMemory | undefined } {
  const open = gateOpen(trigger.gate, values);
  if (trigger.kind === 'always') return { fires: open, memory };
  if (trigger.kind === 'every') {
    const last = memory?.kind === 'every' ? memory.emittedAt : undefined;
    // A clock that stepped backwards must not silence the rule until it catches up.
    const due = last === undefined || now - last >= trigger.periodMs || now < last;
    return open && due ? { fires: true, memory: { kind: 'every', emittedAt: now } } : { fires: false, memory };
  }
  const cur = values[trigger.field];
  if (cur === undefined) return { fires: false, memory };
  const known = memory?.kind === 'edge' && memory.field === trigger.field ? memory.last : undefined;
  const prev = known ?? trigger.baseline;
  const fires = open && prev !== undefined && edgeFires(trigger.kind, prev, cur);
  const next: RuleMemory = known === cur && memory !== undefined ? memory : { kind: 'edge', field: trigger.field, last: cur };
  return { fires, memory: next };
}

/**
 * Runs every rule in profile order on one poll's values (one result's, for JSON profiles, with
 * its lists for findings that have `each`). A rule whose event cannot be built
 * fails the whole poll (quarantined with its bytes; state unchanged), so no partial memory is kept.
 */
export function runEmitRules(
  rules: readonly CompiledRule[],
  values: FieldValues,
  state: ProfileState,
  now: number,
  lists: ListValues = {},
): Result<{ drafts: EventDraft[]; state: ProfileState }, DecodeFailure> {
  const drafts: EventDraft[] = [];
  let nextRules: ProfileState['rules'] | undefined;
  for (const rule of rules) {
    const memory = Object.hasOwn(state.rules, rule.id) ? state.rules[rule.id] : undefined;
    const r = evaluateTrigger(rule.trigger, memory, values, now);
    if (r.memory !== memory && r.memory !== undefined) {
      nextRules ??= { ...state.rules };
      nextRules[rule.id] = r.memory;
    }
    if (!r.fires) continue;
    const built = buildDraft(rule, values, now, lists);
    if (!built.ok) return built;
    drafts.push(built.value);
  }
  return ok({ drafts, state: nextRules === undefined ? state : { v: 1, rules: nextRules } });
}
