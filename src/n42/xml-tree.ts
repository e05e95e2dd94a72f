/**
 * Hardened XML reading for documents that arrive from outside (folder drops, HTTP posts).
 *
 * The threat model is a hostile or broken file: a DOCTYPE is refused before any parser sees the
 * text (so no DTD, no external entity, no entity expansion can ever happen), the byte size is
 * checked before decoding, nesting depth is capped by the parser, and references are resolved
 * here in one pass: the five predefined XML entities and numeric character references only. What
 * comes out is a small namespace-resolved element tree, so callers match on (namespace, local
 * name) and never on prefixes, which vendors choose freely.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { fail, ok, type DecodeFailure, type Result } from '../adapter/types.js';
import { BorderlinkError } from '../errors.js';

export interface XmlElement {
  /** local name, prefix removed */
  name: string;
  /** namespace URI the prefix (or default namespace) resolves to; '' when none */
  ns: string;
  /** attributes by name as written (prefix included); namespace declarations are not kept here */
  attrs: ReadonlyMap<string, string>;
  children: XmlElement[];
  /** this element's own character data (text and CDATA, not its descendants'), trimmed */
  text: string;
}

export interface XmlLimits {
  /** bytes; larger input is refused before it is decoded */
  maxBytes: number;
  /** deepest element nesting accepted */
  maxDepth: number;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', apos: "'", quot: '"' };
/** Where a DTD could hide: checked on the decoded text, case-insensitively, anywhere in it. */
const DECLARATION = /<!\s*(DOCTYPE|ENTITY)/i;

/** fast-xml-parser's ordered output: one key naming the node, plus ':@' for attributes. */
type OrderedNode = { [key: string]: OrderedNode[] | { [attr: string]: string } | string };

const failure = (code: DecodeFailure['code'], message: string, detail?: DecodeFailure['detail']): DecodeFailure =>
  detail === undefined ? { code, message } : { code, message, detail };

/** Bytes to text by BOM, then the XML declaration's encoding; UTF-8 when neither says. */
export function decodeXmlBytes(bytes: Buffer): Result<string, DecodeFailure> {
  let encoding = 'utf-8';
  let start = 0;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) [encoding, start] = ['utf-16le', 2];
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) [encoding, start] = ['utf-16be', 2];
  else if (bytes[0] === 0x3c && bytes[1] === 0x00) encoding = 'utf-16le';
  else if (bytes[0] === 0x00 && bytes[1] === 0x3c) encoding = 'utf-16be';
  else {
    const head = bytes.subarray(0, 256).toString('latin1');
    const declared = /^\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1]?.toLowerCase();
    if (declared !== undefined) {
      const known: Readonly<Record<string, string>> = {
        'utf-8': 'utf-8', utf8: 'utf-8', 'us-ascii': 'utf-8', ascii: 'utf-8',
        'iso-8859-1': 'latin1', latin1: 'latin1', 'iso_8859-1': 'latin1', 'windows-1252': 'windows-1252', cp1252: 'windows-1252',
      };
      const mapped = known[declared];
      if (mapped === undefined) return fail(failure('BL_ERR_N42_NOT_XML', `unsupported XML encoding "${declared}"`, { encoding: declared }));
      encoding = mapped;
    }
  }
  try {
    return ok(new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(start)));
  } catch {
    return fail(failure('BL_ERR_N42_NOT_XML', `the bytes are not valid ${encoding}`, { encoding }));
  }
}

/**
 * Parses untrusted XML into an element tree. Fails with BL_ERR_N42_TOO_LARGE, BL_ERR_N42_DOCTYPE_REFUSED
 * or BL_ERR_N42_NOT_XML (syntax, encoding, undefined entity, more than one root, too deep).
 */
export function parseXmlDocument(bytes: Buffer, limits: XmlLimits): Result<XmlElement, DecodeFailure> {
  if (bytes.length > limits.maxBytes) {
    return fail(failure('BL_ERR_N42_TOO_LARGE', `document of ${bytes.length} bytes exceeds the limit of ${limits.maxBytes}`, { bytes: bytes.length, maxBytes: limits.maxBytes }));
  }
  const decoded = decodeXmlBytes(bytes);
  if (!decoded.ok) return decoded;
  const text = decoded.value;
  const declaration = DECLARATION.exec(text);
  if (declaration !== null) {
    return fail(failure('BL_ERR_N42_DOCTYPE_REFUSED', `document declares a ${declaration[1]?.toUpperCase()} (at offset ${declaration.index}): DTDs and entity declarations are refused`, { offset: declaration.index }));
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false });
  if (valid !== true) {
    return fail(failure('BL_ERR_N42_NOT_XML', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col})`, { line: valid.err.line, column: valid.err.col }));
  }
  let nodes: OrderedNode[];
  try {
    nodes = new XMLParser({
      preserveOrder: true,
      ignoreAttributes: false,
      attributeNamePrefix: '',
      processEntities: false, // resolved below, one pass, predefined entities only
      htmlEntities: false,
      parseTagValue: false,
      parseAttributeValue: false,
      trimValues: false,
      ignoreDeclaration: true,
      ignorePiTags: true,
      cdataPropName: '#cdata',
      commentPropName: false,
      maxNestedTags: limits.maxDepth,
    }).parse(text) as OrderedNode[];
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return fail(failure('BL_ERR_N42_NOT_XML', /nested/i.test(message) ? `elements nested deeper than ${limits.maxDepth}` : `not well-formed XML: ${message}`, { maxDepth: limits.maxDepth }));
  }
  const roots = nodes.filter((n) => !isTextNode(n));
  const stray = nodes.filter((n) => isTextNode(n) && textOf(n).trim() !== '');
  if (roots.length !== 1 || stray.length > 0) {
    return fail(failure('BL_ERR_N42_NOT_XML', `an XML document has exactly one root element (found ${roots.length}${stray.length > 0 ? ' and text outside it' : ''})`));
  }
  try {
    return ok(buildElement(roots[0] as OrderedNode, new Map([['xml', XML_NS]]), limits.maxDepth, 1));
  } catch (cause) {
    return fail(failure('BL_ERR_N42_NOT_XML', cause instanceof BorderlinkError ? cause.message : `not well-formed XML: ${String(cause)}`));
  }
}

const notXml = (message: string): BorderlinkError => new BorderlinkError('BL_ERR_N42_NOT_XML', message);

const isTextNode = (n: OrderedNode): boolean => '#text' in n || '#cdata' in n;
const textOf = (n: OrderedNode): string => (typeof n['#text'] === 'string' ? n['#text'] : '');
const nodeName = (n: OrderedNode): string | undefined => Object.keys(n).find((k) => k !== ':@');

function buildElement(node: OrderedNode, scope: ReadonlyMap<string, string>, maxDepth: number, depth: number): XmlElement {
  if (depth > maxDepth) throw notXml(`elements nested deeper than ${maxDepth}`);
  const qname = nodeName(node) ?? '';
  const rawAttrs = (node[':@'] ?? {}) as { [attr: string]: string };
  const nsScope = new Map(scope);
  const attrs = new Map<string, string>();
  for (const [name, raw] of Object.entries(rawAttrs)) {
    const value = resolveReferences(String(raw));
    if (name === 'xmlns') nsScope.set('', value);
    else if (name.startsWith('xmlns:')) nsScope.set(name.slice(6), value);
    else attrs.set(name, value);
  }
  const colon = qname.indexOf(':');
  const prefix = colon === -1 ? '' : qname.slice(0, colon);
  const ns = nsScope.get(prefix);
  if (ns === undefined && prefix !== '') throw notXml(`element <${qname}> uses the undeclared namespace prefix "${prefix}"`);
  const children: XmlElement[] = [];
  let text = '';
  const content = node[qname];
  for (const child of Array.isArray(content) ? content : []) {
    if ('#text' in child) text += resolveReferences(textOf(child));
    else if ('#cdata' in child) {
      const inner = child['#cdata'];
      text += Array.isArray(inner) ? inner.map(textOf).join('') : '';
    } else children.push(buildElement(child, nsScope, maxDepth, depth + 1));
  }
  return { name: colon === -1 ? qname : qname.slice(colon + 1), ns: ns ?? '', attrs, children, text: text.trim() };
}

/** One pass over &...; references: the five predefined entities and numeric character references. */
export function resolveReferences(raw: string): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&]*);/g, (_whole, ref: string) => {
    if (ref.startsWith('#')) {
      const hex = ref[1] === 'x';
      const digits = ref.slice(hex ? 2 : 1);
      const cp = /^[0-9a-fA-F]+$/.test(digits) && (hex || /^[0-9]+$/.test(digits)) ? Number.parseInt(digits, hex ? 16 : 10) : Number.NaN;
      if (!Number.isInteger(cp) || cp < 1 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw notXml(`invalid character reference &${ref};`);
      return String.fromCodePoint(cp);
    }
    const v = PREDEFINED[ref];
    if (v === undefined) throw notXml(`undefined entity &${ref}; (only the five predefined XML entities are resolved)`);
    return v;
  });
}
