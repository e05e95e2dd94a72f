/**
 * The field table is read from the schema file; this checks it against what the schema's own
 * validator says: deleting a field the table calls required (for the event type) breaks the
 * event, deleting any other keeps it valid.
 */
import { describe, expect, it } from 'vitest';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { EVENT_TYPES } from '../../../src/schema/detection-event.js';
import { createEventValidator } from '../../../src/schema/validator.js';
import {
  eventFieldTable, redactablePaths, requiredOn, shippedEventFieldTable,
} from '../../../src/sharing/schema-fields.js';
import { fullEvent } from './fixtures.js';

type Obj = Record<string, unknown>;

function deleteAt(node: unknown, steps: string[]): void {
  const [head, ...rest] = steps;
  if (head === undefined) return;
  const each = head.endsWith('[]');
  const name = each ? head.slice(0, -2) : head;
  if (typeof node !== 'object' || node === null) return;
  const o = node as Obj;
  if (rest.length === 0) {
    delete o[name];
    return;
  }
  const v = o[name];
  if (each && Array.isArray(v)) for (const el of v) deleteAt(el, rest);
  else deleteAt(v, rest);
}

describe('eventFieldTable (from the shipped schema)', () => {
  const table = shippedEventFieldTable();
  const validator = createEventValidator();

  it('knows the nested fields, lists and free maps', () => {
    expect(table.fields.get('subject.conveyances')).toMatchObject({ array: true, hasChildren: true, required: false });
    expect(table.fields.get('subject.conveyances[].id')).toMatchObject({ array: false, required: false, parent: 'subject.conveyances' });
    expect(table.fields.get('subject.documents[].id')).toMatchObject({ required: true });
    expect(table.fields.get('findings[].region.artifactRef')).toMatchObject({ required: false, coded: true });
    expect(table.fields.get('raw.extensions')).toMatchObject({ freeMap: true });
    expect(table.fields.get('source.algorithm.settings')).toMatchObject({ freeMap: true });
    expect(table.fields.get('outcome')?.requiredFor).toEqual(['result', 'operator-decision']);
    expect(table.fields.get('outcome.decisionBy')?.requiredFor).toEqual(['operator-decision']);
    expect(table.fields.get('measurements')?.requiredFor).toEqual(['measurement']);
    expect(table.fields.has('raw.extensions.note')).toBe(false);
  });

  it('the full fixture is valid for every event type', () => {
    for (const t of EVENT_TYPES) expect(validator.validate(fullEvent(t))).toEqual({ ok: true });
  });

  it('deleting a field breaks the event exactly when the table says it is required for the type', () => {
    let checked = 0;
    for (const t of EVENT_TYPES) {
      for (const f of table.fields.values()) {
        const e = fullEvent(t) as unknown as Obj;
        deleteAt(e, f.path.split('.'));
        const valid = validator.validate(e as unknown as DetectionEvent).ok;
        expect({ path: f.path, type: t, valid }).toEqual({ path: f.path, type: t, valid: !requiredOn(f, t) });
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(5 * 80);
  });

  it('every top-level and nested property of the full fixture is in the table (none forgotten)', () => {
    const seen: string[] = [];
    const walk = (v: unknown, prefix: string): void => {
      if (Array.isArray(v)) {
        for (const el of v) if (typeof el === 'object' && el !== null && !Array.isArray(el)) walk(el, `${prefix}[]`);
        return;
      }
      if (typeof v !== 'object' || v === null) return;
      for (const [k, x] of Object.entries(v)) {
        const path = prefix === '' ? k : `${prefix}.${k}`;
        const f = table.fields.get(path);
        if (!f) continue; // keys of free maps
        seen.push(path);
        if (f.hasChildren) walk(x, path);
      }
    };
    walk(fullEvent(), '');
    expect(new Set(seen)).toEqual(new Set(table.fields.keys()));
  });

  it('redactablePaths leaves out required, type-required and sharing fields', () => {
    const all = redactablePaths(table);
    expect(all).toContain('subject.documents');
    expect(all).toContain('subject.conveyances[].id');
    expect(all).toContain('findings[].region.artifactRef');
    expect(all).not.toContain('subject.documents[].id');
    expect(all).not.toContain('outcome');
    expect(all).not.toContain('sharing');
    expect(all).not.toContain('sharing.agencies');
    expect(all).not.toContain('eventId');
    expect(redactablePaths(table, ['status'])).toContain('outcome');
    expect(redactablePaths(table, ['status'])).not.toContain('status');
  });

  it('follows a changed schema: a field made required there is required in the table', () => {
    const custom = {
      type: 'object',
      required: ['a'],
      properties: { a: { type: 'string' }, b: { type: 'array', items: { $ref: '#/$defs/B' } } },
      $defs: { B: { type: 'object', required: ['x'], properties: { x: { type: 'string', enum: ['1'] }, y: { type: 'object' } } } },
    };
    const t = eventFieldTable(custom);
    expect([...t.fields.keys()]).toEqual(['a', 'b', 'b[].x', 'b[].y']);
    expect(t.fields.get('b[].x')).toMatchObject({ required: true, coded: true });
    expect(t.fields.get('b[].y')).toMatchObject({ freeMap: true });
  });
});
