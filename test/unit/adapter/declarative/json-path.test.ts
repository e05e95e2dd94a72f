import { describe, expect, it } from 'vitest';
import { parseJsonPath, selectJson, type JsonPath } from '../../../../src/adapter/declarative/json-path.js';
import type { JsonValue } from '../../../../src/schema/detection-event.js';

function path(source: string): JsonPath {
  const p = parseJsonPath(source);
  if (!p.ok) throw new Error(p.message);
  return p.path;
}

const DOC: JsonValue = {
  id: 7,
  instrument: { serial: 'SS-1', 'odd key': 'x', "it's": 'q' },
  hits: [{ name: 'a', score: 0.9 }, { name: 'b' }, { score: 0.1 }],
  matrix: [[1, 2], [3]],
  nil: null,
};

describe('JSON path subset', () => {
  it('parses the documented forms', () => {
    expect(path('$').segments).toEqual([]);
    expect(path('$.a.b_c-d').segments).toEqual([{ key: 'a' }, { key: 'b_c-d' }]);
    expect(path('$.a[0][12]').segments).toEqual([{ key: 'a' }, { index: 0 }, { index: 12 }]);
    expect(path('$.a[*].b')).toMatchObject({ segments: [{ key: 'a' }, { wildcard: true }, { key: 'b' }], many: true });
    expect(path("$['odd key']").segments).toEqual([{ key: 'odd key' }]);
    expect(path('$["x.y"]').segments).toEqual([{ key: 'x.y' }]);
    expect(path("$['it\\'s']").segments).toEqual([{ key: "it's" }]);
    expect(path('$.a').many).toBe(false);
  });

  it.each([
    ['a.b', 'it must start with $'],
    ['$.', 'a member name must start with a letter or _ (use'],
    ['$.1a', 'a member name must start with a letter or _'],
    ['$a', 'unexpected "a" at character 2'],
    ['$.a[', 'expected an index (0, 1, ...), * or a quoted name inside [ ]'],
    ['$.a[01]', 'expected an index'],
    ['$.a[-1]', 'expected an index'],
    ['$.a[*', 'expected ] after [*'],
    ["$['abc", 'unterminated quoted name'],
    ["$['a'", 'expected ] after a quoted name'],
    ['$.a[?(@.x)]', 'expected an index'],
    ['$..a', 'a member name must start with a letter or _'],
  ])('refuses %s with a clear message', (source, message) => {
    const p = parseJsonPath(source);
    expect(p.ok).toBe(false);
    if (!p.ok) {
      expect(p.message).toContain(`"${source}" is not a JSON path`);
      expect(p.message).toContain(message);
    }
  });

  it('selects single values, absent ones as undefined, null as null', () => {
    expect(selectJson(path('$'), DOC)).toBe(DOC);
    expect(selectJson(path('$.id'), DOC)).toBe(7);
    expect(selectJson(path('$.instrument.serial'), DOC)).toBe('SS-1');
    expect(selectJson(path("$.instrument['odd key']"), DOC)).toBe('x');
    expect(selectJson(path('$.hits[1].name'), DOC)).toBe('b');
    expect(selectJson(path('$.matrix[0][1]'), DOC)).toBe(2);
    expect(selectJson(path('$.nil'), DOC)).toBeNull();
    // absent: missing member, index past the end, member of a non-object, index of a non-array
    expect(selectJson(path('$.missing'), DOC)).toBeUndefined();
    expect(selectJson(path('$.hits[3]'), DOC)).toBeUndefined();
    expect(selectJson(path('$.id.x'), DOC)).toBeUndefined();
    expect(selectJson(path('$.instrument[0]'), DOC)).toBeUndefined();
    expect(selectJson(path('$.hits.name'), DOC)).toBeUndefined();
    // an inherited property is not a member
    expect(selectJson(path('$.constructor'), DOC)).toBeUndefined();
  });

  it('selects lists with [*], skipping elements that lack the member', () => {
    expect(selectJson(path('$.hits[*].name'), DOC)).toEqual(['a', 'b']);
    expect(selectJson(path('$.hits[*].score'), DOC)).toEqual([0.9, 0.1]);
    expect(selectJson(path('$.matrix[*][*]'), DOC)).toEqual([1, 2, 3]);
    expect(selectJson(path('$.missing[*].x'), DOC)).toEqual([]);
    expect(selectJson(path('$.id[*]'), DOC)).toEqual([]);
  });
});
