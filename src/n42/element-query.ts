/**
 * Reading an N42 element tree by (namespace, local name). Elements in the document's N42
 * namespace (or in none, which some devices write) are N42; anything else belongs to a vendor
 * and is kept as JSON, never interpreted.
 */
import type { JsonValue } from '../schema/detection-event.js';
import type { XmlElement } from './xml-tree.js';

/** Longest string kept from a vendor element; longer ones stay in the document artifact only. */
const MAX_EXTENSION_STRING = 4096;
/** Largest JSON kept per vendor namespace. */
const MAX_EXTENSION_JSON = 65_536;

export interface N42Query {
  readonly ns: string;
  isN42(el: XmlElement): boolean;
  kids(el: XmlElement, name: string): XmlElement[];
  kid(el: XmlElement, name: string): XmlElement | undefined;
  /** the first such child's text, undefined when absent or empty */
  text(el: XmlElement, name: string): string | undefined;
}

export function n42Query(ns: string): N42Query {
  const isN42 = (el: XmlElement): boolean => el.ns === ns || el.ns === '';
  const kids = (el: XmlElement, name: string): XmlElement[] => el.children.filter((c) => c.name === name && isN42(c));
  return {
    ns,
    isN42,
    kids,
    kid: (el, name) => el.children.find((c) => c.name === name && isN42(c)),
    text(el, name) {
      const t = el.children.find((c) => c.name === name && isN42(c))?.text;
      return t === undefined || t === '' ? undefined : t;
    },
  };
}

/** An attribute by local name: unprefixed first, then any prefix. */
export function attr(el: XmlElement, local: string): string | undefined {
  const direct = el.attrs.get(local);
  if (direct !== undefined) return direct;
  for (const [name, value] of el.attrs) if (name.endsWith(`:${local}`)) return value;
  return undefined;
}

/** An IDREFS attribute as a list. */
export function refs(el: XmlElement, local: string): string[] {
  return (attr(el, local) ?? '').split(/\s+/).filter((s) => s !== '');
}

/** Every element under `root` (itself included), depth first, document order. */
export function* walk(root: XmlElement): Generator<XmlElement> {
  const stack: XmlElement[] = [root];
  while (stack.length > 0) {
    const el = stack.pop() as XmlElement;
    yield el;
    for (let i = el.children.length - 1; i >= 0; i--) stack.push(el.children[i] as XmlElement);
  }
}

const clip = (s: string): string => (s.length > MAX_EXTENSION_STRING ? `(${s.length} characters, kept in the document artifact)` : s);

/** A vendor element as JSON: text alone, or an object of @attributes, children by name (a list when repeated) and #text. */
export function elementToJson(el: XmlElement): JsonValue {
  if (el.attrs.size === 0 && el.children.length === 0) return clip(el.text);
  const out: { [key: string]: JsonValue } = {};
  for (const [name, value] of el.attrs) out[`@${name}`] = clip(value);
  for (const [name, group] of groupByName(el.children)) out[name] = group.length === 1 ? elementToJson(group[0] as XmlElement) : group.map(elementToJson);
  if (el.text !== '') out['#text'] = clip(el.text);
  return out;
}

function groupByName(elements: readonly XmlElement[]): Map<string, XmlElement[]> {
  const groups = new Map<string, XmlElement[]>();
  for (const e of elements) {
    const g = groups.get(e.name);
    if (g === undefined) groups.set(e.name, [e]);
    else g.push(e);
  }
  return groups;
}

/**
 * Collects the topmost foreign-namespace elements under `root` by namespace and local name;
 * a namespace whose JSON would exceed the cap is replaced by a note (the artifact keeps it all).
 */
export function collectExtensions(root: XmlElement, q: N42Query): { [namespace: string]: { [name: string]: JsonValue } } {
  const foreign: XmlElement[] = [];
  const visit = (el: XmlElement): void => {
    for (const child of el.children) {
      if (q.isN42(child)) visit(child);
      else foreign.push(child);
    }
  };
  visit(root);
  const found: { [namespace: string]: { [name: string]: JsonValue } } = {};
  const byNs = new Map<string, XmlElement[]>();
  for (const el of foreign) {
    const list = byNs.get(el.ns);
    if (list === undefined) byNs.set(el.ns, [el]);
    else list.push(el);
  }
  for (const [ns, elements] of byNs) {
    const bucket: { [name: string]: JsonValue } = {};
    for (const [name, group] of groupByName(elements)) bucket[name] = group.length === 1 ? elementToJson(group[0] as XmlElement) : group.map(elementToJson);
    const size = JSON.stringify(bucket).length;
    found[ns] = size > MAX_EXTENSION_JSON ? { omitted: `${size} bytes of vendor data, kept in the document artifact` } : bucket;
  }
  return found;
}
