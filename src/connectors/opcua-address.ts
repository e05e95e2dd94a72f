/**
 * The text forms an OPC UA acquisition plan names nodes with, parsed without node-opcua (pure).
 *
 * A server numbers its namespaces in its own order (NamespaceArray), so a profile written for a
 * device model must be able to name a namespace by URI. Node ids take the standard `nsu=` form
 * (`nsu=urn:borderlink:sim:xray;s=Scanner.State`); browse paths, for which OPC UA has only the
 * numeric `2:Name` form, also take `{urn:...}Name` (a URI cannot hold braces, so the name after
 * them is unambiguous). Both are turned into indices once the session has read the NamespaceArray.
 */
import type { OpcUaPlan, Result } from '../adapter/types.js';
import { fail, ok } from '../adapter/types.js';

/** A namespace by index (as the server numbers it) or by URI (as a profile names it). */
export type NamespaceRef = { index: number } | { uri: string };

export interface QualifiedNameRef {
  ns: NamespaceRef;
  name: string;
}

/** A node id as written: the namespace part apart, the identifier part (`i=..`, `s=..`, `g=..`, `b=..`) verbatim. */
export interface NodeIdRef {
  ns: NamespaceRef;
  identifier: string;
}

export type NodeRef = { kind: 'nodeId'; nodeId: NodeIdRef } | { kind: 'browsePath'; path: QualifiedNameRef[] };

const IDENTIFIER = /^(i=\d+|s=.+|g=[0-9a-fA-F-]{36}|b=[A-Za-z0-9+/=]*)$/s;

/** True when the text is a node id rather than a browse path. */
export function looksLikeNodeId(text: string): boolean {
  return /^(ns=\d+;|nsu=[^;]+;)?(i|s|g|b)=/.test(text);
}

export function parseNodeId(text: string): Result<NodeIdRef, string> {
  let rest = text.trim();
  let ns: NamespaceRef = { index: 0 };
  const byIndex = /^ns=(\d+);/.exec(rest);
  const byUri = /^nsu=([^;]+);/.exec(rest);
  if (byIndex) {
    const index = Number(byIndex[1]);
    if (index > 65535) return fail(`node id "${text}": namespace index above 65535`);
    ns = { index };
    rest = rest.slice(byIndex[0].length);
  } else if (byUri) {
    ns = { uri: byUri[1] as string };
    rest = rest.slice(byUri[0].length);
  }
  if (!IDENTIFIER.test(rest)) return fail(`node id "${text}" is not ns=<index>;|nsu=<uri>; followed by i=<number>, s=<string>, g=<guid> or b=<base64>`);
  return ok({ ns, identifier: rest });
}

/**
 * A browse path: browse names from the starting node separated by `/` (a leading `/` is allowed);
 * each name is `Name` (namespace 0), `<index>:Name` or `{<uri>}Name`. Names cannot hold `/`.
 */
export function parseBrowsePath(text: string): Result<QualifiedNameRef[], string> {
  const path: QualifiedNameRef[] = [];
  let i = text.startsWith('/') ? 1 : 0;
  while (i < text.length) {
    let ns: NamespaceRef = { index: 0 };
    if (text[i] === '{') {
      const close = text.indexOf('}', i);
      if (close < 0) return fail(`browse path "${text}": "{" without "}"`);
      const uri = text.slice(i + 1, close);
      if (uri.length === 0) return fail(`browse path "${text}": empty namespace URI in {}`);
      ns = { uri };
      i = close + 1;
    }
    let end = text.indexOf('/', i);
    if (end < 0) end = text.length;
    let name = text.slice(i, end);
    if ('index' in ns) {
      const m = /^(\d+):(.*)$/s.exec(name);
      if (m) {
        const index = Number(m[1]);
        if (index > 65535) return fail(`browse path "${text}": namespace index above 65535`);
        ns = { index };
        name = m[2] as string;
      }
    }
    if (name.length === 0) return fail(`browse path "${text}": empty browse name`);
    path.push({ ns, name });
    i = end + 1;
  }
  if (path.length === 0) return fail(`browse path "${text}" names nothing`);
  return ok(path);
}

export function parseNodeRef(spec: { nodeId?: string | undefined; browsePath?: string | undefined }): Result<NodeRef, string> {
  if ((spec.nodeId === undefined) === (spec.browsePath === undefined)) return fail('give exactly one of nodeId and browsePath');
  if (spec.nodeId !== undefined) {
    const r = parseNodeId(spec.nodeId);
    return r.ok ? ok({ kind: 'nodeId', nodeId: r.value }) : r;
  }
  const r = parseBrowsePath(spec.browsePath as string);
  return r.ok ? ok({ kind: 'browsePath', path: r.value }) : r;
}

/** An event notifier: a node id when it reads as one, else a browse path from the Objects folder. */
export function parseNotifier(text: string): Result<NodeRef, string> {
  return looksLikeNodeId(text) ? parseNodeRef({ nodeId: text }) : parseNodeRef({ browsePath: text });
}

/** How a frame keys an event field: its browse names without namespaces, joined by `/`. */
export function eventFieldKey(path: readonly QualifiedNameRef[]): string {
  return path.map((q) => q.name).join('/');
}

/** The server's index of a namespace, or undefined when the server does not know the URI. */
export function namespaceIndex(ns: NamespaceRef, namespaceArray: readonly string[]): number | undefined {
  if ('index' in ns) return ns.index;
  const i = namespaceArray.indexOf(ns.uri);
  return i < 0 ? undefined : i;
}

/** `ns=<index>;<identifier>` as node-opcua parses it, or why the namespace is unknown. */
export function nodeIdText(ref: NodeIdRef, namespaceArray: readonly string[]): Result<string, string> {
  const index = namespaceIndex(ref.ns, namespaceArray);
  if (index === undefined) return fail(`namespace ${'uri' in ref.ns ? ref.ns.uri : ''} is not in the server's NamespaceArray`);
  return ok(index === 0 ? ref.identifier : `ns=${index};${ref.identifier}`);
}

/** The monitored-item plan, checked before anything connects: every problem at once. */
export function planProblems(plan: OpcUaPlan): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  if (plan.nodes.length === 0 && plan.events === undefined) problems.push('the plan monitors no node and no events');
  for (const n of plan.nodes) {
    if (n.name.length === 0) problems.push('a node has an empty name');
    if (names.has(n.name)) problems.push(`node name "${n.name}" is used twice`);
    names.add(n.name);
    const r = parseNodeRef(n);
    if (!r.ok) problems.push(`node "${n.name}": ${r.error}`);
    if (!Number.isFinite(n.samplingIntervalMs) || n.samplingIntervalMs < 0) problems.push(`node "${n.name}": samplingIntervalMs must be >= 0 (0: as fast as the server can, usually on every change)`);
    if (!Number.isInteger(n.queueSize) || n.queueSize < 1) problems.push(`node "${n.name}": queueSize must be an integer >= 1`);
  }
  if (!Number.isFinite(plan.publishingIntervalMs) || plan.publishingIntervalMs <= 0) problems.push('publishingIntervalMs must be > 0');
  if (!Number.isInteger(plan.keepAliveCount) || plan.keepAliveCount < 1) problems.push('keepAliveCount must be an integer >= 1');
  if (plan.events) {
    const n = parseNotifier(plan.events.notifier);
    if (!n.ok) problems.push(`events.notifier: ${n.error}`);
    if (plan.events.fields.length === 0) problems.push('events.fields is empty');
    const keys = new Set<string>();
    for (const f of plan.events.fields) {
      const r = parseBrowsePath(f);
      if (!r.ok) {
        problems.push(`events.fields: ${r.error}`);
        continue;
      }
      const key = eventFieldKey(r.value);
      if (keys.has(key)) problems.push(`events.fields: two fields read as "${key}" (a frame keys fields by name without namespace)`);
      keys.add(key);
    }
  }
  return problems;
}
