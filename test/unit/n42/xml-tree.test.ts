import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/package-root.js';
import { parseXmlDocument, resolveReferences, type XmlElement, type XmlLimits } from '../../../src/n42/xml-tree.js';

const FIXTURES = path.join(packageRoot(), 'test', 'fixtures', 'n42');
const LIMITS: XmlLimits = { maxBytes: 1024 * 1024, maxDepth: 64 };

const parse = (xml: string | Buffer, limits: XmlLimits = LIMITS) => parseXmlDocument(typeof xml === 'string' ? Buffer.from(xml, 'utf8') : xml, limits);

function parsed(xml: string | Buffer): XmlElement {
  const r = parse(xml);
  if (!r.ok) throw new Error(`expected a parse, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

function code(xml: string | Buffer, limits?: XmlLimits): string | undefined {
  const r = parse(xml, limits);
  return r.ok ? undefined : r.error.code;
}

/** A bomb whose expansion would be 10^depth copies of "lol": anything that expands it never returns. */
function bomb(depth: number): string {
  let dtd = '<!ENTITY lol0 "lol">';
  for (let i = 1; i <= depth; i++) dtd += `<!ENTITY lol${i} "${`&lol${i - 1};`.repeat(10)}">`;
  return `<?xml version="1.0"?><!DOCTYPE r [${dtd}]><RadInstrumentData xmlns="http://physics.nist.gov/N42/2011/N42"><RadInstrumentDataCreatorName>&lol${depth};</RadInstrumentDataCreatorName></RadInstrumentData>`;
}

describe('parseXmlDocument: DTDs are refused unparsed', () => {
  it('refuses the billion-laughs fixture', () => {
    const r = parse(readFileSync(path.join(FIXTURES, 'doctype-billion-laughs.n42')));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
      expect(JSON.stringify(r.error)).not.toMatch(/lollol/);
    }
  });

  it('refuses a bomb of 10^30 expansions without expanding it (returning at all proves it)', () => {
    expect(code(bomb(30))).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
  });

  it('refuses an external entity (XXE) and never reads the file', () => {
    const r = parse(readFileSync(path.join(FIXTURES, 'doctype-external-entity.n42')));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
      expect(r.error.message).not.toMatch(/root:/);
    }
  });

  it.each([
    ['lower-case doctype', '<!doctype a><a/>'],
    ['doctype with spaces', '<! DOCTYPE a><a/>'],
    ['parameter entity', '<!DOCTYPE a [<!ENTITY % p SYSTEM "http://example.invalid/x.dtd"> %p;]><a/>'],
    ['public external DTD', '<!DOCTYPE a PUBLIC "-//X//DTD X//EN" "http://example.invalid/x.dtd"><a/>'],
    ['an ENTITY declaration outside a DOCTYPE', '<a><!ENTITY x "y"></a>'],
  ])('refuses a %s', (_name, xml) => {
    expect(code(xml)).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
  });

  it('refuses a DOCTYPE hidden in UTF-16', () => {
    const text = '\ufeff<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>';
    expect(code(Buffer.from(text, 'utf16le'))).toBe('BL_ERR_N42_DOCTYPE_REFUSED');
  });
});

describe('parseXmlDocument: references and text', () => {
  it('resolves the five predefined entities and character references, once', () => {
    const root = parsed('<a t="&quot;x&quot; &amp; y">&lt;b&gt; &apos;c&apos; &#65;&#x42; &amp;lt;</a>');
    expect(root.text).toBe("<b> 'c' AB &lt;");
    expect(root.attrs.get('t')).toBe('"x" & y');
  });

  it('refuses undefined entities (no HTML entities)', () => {
    expect(code('<a>&nbsp;</a>')).toBe('BL_ERR_N42_NOT_XML');
    expect(code('<a x="&copy;"/>')).toBe('BL_ERR_N42_NOT_XML');
  });

  it('refuses character references outside Unicode', () => {
    expect(code('<a>&#x110000;</a>')).toBe('BL_ERR_N42_NOT_XML');
    expect(code('<a>&#0;</a>')).toBe('BL_ERR_N42_NOT_XML');
  });

  it('keeps CDATA verbatim and trims text', () => {
    const root = parsed('<a>  x <![CDATA[&amp; <b>]]> y  </a>');
    expect(root.text).toBe('x &amp; <b> y');
    expect(root.children).toEqual([]);
  });

  it('ignores comments and processing instructions', () => {
    const root = parsed('<?xml version="1.0"?><!-- c --><?pi x?><a><!-- <b/> --><c/></a>');
    expect(root.children.map((c) => c.name)).toEqual(['c']);
  });
});

describe('parseXmlDocument: namespaces', () => {
  it('resolves default and prefixed namespaces, keeping local names', () => {
    const root = parsed('<n:a xmlns:n="urn:n" xmlns="urn:d"><b/><n:c/><v:d xmlns:v="urn:v"/></n:a>');
    expect([root.name, root.ns]).toEqual(['a', 'urn:n']);
    expect(root.children.map((c) => [c.name, c.ns])).toEqual([['b', 'urn:d'], ['c', 'urn:n'], ['d', 'urn:v']]);
    expect(root.attrs.size).toBe(0);
  });

  it('refuses an undeclared prefix', () => {
    expect(code('<x:a/>')).toBe('BL_ERR_N42_NOT_XML');
  });
});

describe('parseXmlDocument: limits and malformed input', () => {
  it('refuses input over the byte limit before reading it', () => {
    const r = parse(`<a>${' '.repeat(100)}</a>`, { maxBytes: 50, maxDepth: 64 });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('BL_ERR_N42_TOO_LARGE');
      expect(r.error.detail).toEqual({ bytes: 107, maxBytes: 50 });
    }
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = `${'<a>'.repeat(20)}${'</a>'.repeat(20)}`;
    expect(code(deep, { maxBytes: 1e6, maxDepth: 10 })).toBe('BL_ERR_N42_NOT_XML');
    expect(code(deep, { maxBytes: 1e6, maxDepth: 25 })).toBeUndefined();
  });

  it.each([
    ['text', 'not xml at all'],
    ['mismatched tags', '<a><b></a></b>'],
    ['an unclosed tag', '<a><b></a>'],
    ['a bare ampersand', '<a>x & y</a>'],
    ['two roots', '<a/><b/>'],
    ['text after the root', '<a></a>tail'],
    ['a repeated attribute', '<a x="1" x="2"/>'],
    ['an element named constructor', '<a><constructor/></a>'],
    ['nothing', ''],
  ])('refuses %s as not XML', (_name, xml) => {
    expect(code(xml)).toBe('BL_ERR_N42_NOT_XML');
  });
});

describe('parseXmlDocument: encodings', () => {
  it('reads UTF-8 with a BOM', () => {
    expect(parsed(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<a>µ</a>')])).text).toBe('µ');
  });

  it('reads UTF-16 LE and BE with a BOM', () => {
    expect(parsed(Buffer.from('\ufeff<a>µSv</a>', 'utf16le')).text).toBe('µSv');
    const be = Buffer.from('\ufeff<a>µSv</a>', 'utf16le').swap16();
    expect(parsed(be).text).toBe('µSv');
  });

  it('reads ISO-8859-1 when the declaration says so', () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><a>\u00b5Sv</a>', 'latin1');
    expect(parsed(latin1).text).toBe('µSv');
  });

  it('refuses bytes that are not valid UTF-8', () => {
    expect(code(Buffer.from([0x3c, 0x61, 0x3e, 0xff, 0xfe, 0x3c, 0x2f, 0x61, 0x3e]))).toBe('BL_ERR_N42_NOT_XML');
  });

  it('refuses an encoding it does not know', () => {
    expect(code('<?xml version="1.0" encoding="EBCDIC-XYZ"?><a/>')).toBe('BL_ERR_N42_NOT_XML');
  });
});

describe('resolveReferences', () => {
  it('leaves text without references alone', () => {
    expect(resolveReferences('plain')).toBe('plain');
  });
});
