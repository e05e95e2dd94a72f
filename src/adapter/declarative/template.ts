/**
 * The one reference syntax of profiles: `${fieldName}` inside a string (`${list.item}` for a field
 * of a list element, inside a finding with `each`). `$$` is a literal `$`;
 * a `$` not followed by `{` or `$` is literal too. A string that is exactly one reference is a
 * typed reference (it keeps the field's number or bool); any other string is text.
 */
import type { FieldValue, FieldValues } from './profile-types.js';

export type TemplatePart = { text: string } | { ref: string };

export interface Template {
  readonly parts: readonly TemplatePart[];
}

/** a field name, or `list.item` for a field of a list element (findings with `each`) */
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

export function parseTemplate(source: string): { ok: true; template: Template } | { ok: false; message: string } {
  const parts: TemplatePart[] = [];
  let text = '';
  let i = 0;
  while (i < source.length) {
    const c = source.charAt(i);
    const next = source.charAt(i + 1);
    if (c === '$' && next === '$') {
      text += '$';
      i += 2;
    } else if (c === '$' && next === '{') {
      const close = source.indexOf('}', i + 2);
      if (close < 0) return { ok: false, message: `unterminated "\${" at character ${i + 1}` };
      const name = source.slice(i + 2, close);
      if (!NAME.test(name)) return { ok: false, message: `"\${${name}}" is not a field reference (a letter or _, then letters, digits or _; list.item inside a finding with each)` };
      if (text !== '') parts.push({ text });
      text = '';
      parts.push({ ref: name });
      i = close + 1;
    } else {
      text += c;
      i += 1;
    }
  }
  if (text !== '') parts.push({ text });
  return { ok: true, template: { parts } };
}

/** The field a template names when it is exactly one reference, else undefined. */
export function singleRef(t: Template): string | undefined {
  const [only, ...rest] = t.parts;
  return only !== undefined && rest.length === 0 && 'ref' in only ? only.ref : undefined;
}

/** Field names a template mentions. */
export function templateRefs(t: Template): string[] {
  return t.parts.flatMap((p) => ('ref' in p ? [p.ref] : []));
}

/** Text of a field value: numbers in JavaScript's shortest form, bools as true/false. */
export function valueText(v: FieldValue): string {
  return typeof v === 'string' ? v : String(v);
}

/** Renders a template; every reference was checked against the fields when the profile compiled. */
export function renderTemplate(t: Template, values: FieldValues): string {
  let out = '';
  for (const p of t.parts) {
    if ('text' in p) out += p.text;
    else {
      const v = values[p.ref];
      out += v === undefined ? '' : valueText(v);
    }
  }
  return out;
}
