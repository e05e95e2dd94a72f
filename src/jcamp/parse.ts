/**
 * parseJcamp: a JCAMP-DX 4.24 / 5.x document (one block, or a compound LINK file of blocks) to
 * spectra, or a coded failure naming the line. Pure: no clock, no file system, and it never throws:
 * the input is device or client data and every way it can be wrong is a JcampError.
 *
 * The scanner walks the lines once. A `##LABEL=` line starts a record; lines up to the next `##`
 * line continue it (a multi-line value, or the rows of a data table, which are kept as a line range
 * and decoded only when the block's ##END shows the block is whole). `##TITLE=` opens a block,
 * nested inside an open LINK block (one that declared ##BLOCKS=), `##END=` closes the innermost.
 */
import { fail, ok, type Result } from '../adapter/types.js';
import { clip, isDataTableLabel, normaliseLabel, parseHeaderCount, stripComment, UNSUPPORTED_LABELS, type DataTableLabel } from './labels.js';
import { buildSpectrum, type RawBlock } from './spectrum.js';
import {
  invalid, JcampFailure, JCAMP_DEFAULT_MAX_BYTES, JCAMP_DEFAULT_MAX_POINTS, tooLarge, unsupported,
  type JcampDocument, type JcampError, type JcampParseOptions, type JcampSpectrum,
} from './types.js';

type Pending =
  | { kind: 'label'; norm: string; name: string; isPrivate: boolean; parts: string[]; line: number }
  | { kind: 'table'; label: DataTableLabel; value: string; line: number; start: number }
  | { kind: 'comment' };

interface OpenBlock extends RawBlock {
  pending: Pending;
  /** ##BLOCKS= of a LINK block, and the line it was on */
  blocksDeclared?: { count: number; line: number };
  children: number;
}

export function parseJcamp(input: string | Buffer, opts: JcampParseOptions = {}): Result<JcampDocument, JcampError> {
  try {
    return ok(read(input, opts));
  } catch (e) {
    if (e instanceof JcampFailure) return fail(e.error);
    // Not reachable by design; kept so that a reader bug quarantines one document instead of
    // taking the ingest path down.
    const message = e instanceof Error ? e.message : String(e);
    return fail({ code: 'BL_ERR_JCAMP_INVALID', message: `the JCAMP-DX reader failed unexpectedly: ${message}` });
  }
}

/** UTF-8 when the bytes are valid UTF-8, else Latin-1 (older instruments write 8-bit comments). */
function decodeText(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

function read(input: string | Buffer, opts: JcampParseOptions): JcampDocument {
  const maxBytes = opts.maxBytes ?? JCAMP_DEFAULT_MAX_BYTES;
  const maxPoints = opts.maxPoints ?? JCAMP_DEFAULT_MAX_POINTS;
  const size = typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.length;
  if (size > maxBytes) throw tooLarge(undefined, `the document is ${size} bytes, more than the limit of ${maxBytes}; refused unread`);
  let text = typeof input === 'string' ? input : decodeText(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r\n|\r|\n/);

  const stack: OpenBlock[] = [];
  const blocks: JcampSpectrum[] = [];
  let linkBlocks = 0;
  let opened = 0;
  let firstTitleLine: number | undefined;
  let pointsUsed = 0;

  /** Ends the block's current record at line index `i` (exclusive). */
  const flush = (b: OpenBlock, i: number): void => {
    const p = b.pending;
    if (p.kind === 'table') {
      b.table = { label: p.label, value: p.value, line: p.line, lines: { lines, start: p.start, end: i } };
      b.labels[p.label] = p.value;
      b.labelLines[p.label] = p.line;
    } else if (p.kind === 'label') {
      const value = p.parts.join('\n').trim();
      const target = p.isPrivate ? b.privateLabels : b.labels;
      const key = p.isPrivate ? p.name : p.norm;
      if (target[key] !== undefined) b.warnings.push(`line ${p.line}: ##${p.name} repeats a label of this block; the last value is kept`);
      target[key] = value;
      if (!p.isPrivate) b.labelLines[p.norm] = p.line;
      if (p.norm === 'BLOCKS' && !p.isPrivate) b.blocksDeclared = { count: parseHeaderCount(value, 'BLOCKS', p.line, 1), line: p.line };
    }
    b.pending = { kind: 'comment' };
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const content = stripComment(lines[i] as string);
    const t = content.trimStart();
    const top = stack[stack.length - 1];

    if (!t.startsWith('##')) {
      if (top === undefined) {
        if (t.trim() !== '') {
          throw invalid(lineNo, opened === 0
            ? `not a JCAMP-DX document: it must start with ##TITLE=, found "${clip(t, 40)}"`
            : `text after the closing ##END: "${clip(t, 40)}"`);
        }
      } else if (top.pending.kind === 'label') {
        top.pending.parts.push(content);
      }
      continue;
    }

    if (t.trimEnd() === '##') {
      // a bare "##", as left by "##$$ remark" once the comment is cut: a comment record
      if (top !== undefined) {
        flush(top, i);
        top.pending = { kind: 'comment' };
      }
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) throw invalid(lineNo, `"${clip(t, 40)}" starts with ## but has no "=": not a labelled data record`);
    const name = t.slice(2, eq).trim();
    const value = t.slice(eq + 1);
    if (top !== undefined) flush(top, i);
    if (name === '') {
      // "##= text" is a comment record; its continuation lines are comment too
      if (top !== undefined) top.pending = { kind: 'comment' };
      continue;
    }
    const isPrivate = name.startsWith('$');
    const norm = isPrivate ? '' : normaliseLabel(name);
    const refusal = UNSUPPORTED_LABELS[norm];
    if (refusal !== undefined) throw unsupported(lineNo, refusal);

    if (norm === 'TITLE') {
      if (top !== undefined && (top.blocksDeclared === undefined || top.table !== undefined)) {
        throw invalid(lineNo, `missing ##END: ##TITLE starts a new block but the block "${clip(top.labels['TITLE'] ?? '', 40)}" opened at line ${top.titleLine} is not closed`);
      }
      const inherited = top === undefined ? undefined : top.labels['JCAMPDX'] ?? top.inheritedVersion;
      const b: OpenBlock = {
        titleLine: lineNo, labels: {}, labelLines: {}, privateLabels: {}, warnings: [], children: 0,
        pending: { kind: 'label', norm, name, isPrivate: false, parts: [value], line: lineNo },
      };
      if (inherited !== undefined) b.inheritedVersion = inherited;
      stack.push(b);
      opened++;
      firstTitleLine ??= lineNo;
      continue;
    }

    if (top === undefined) {
      throw invalid(lineNo, opened === 0
        ? `not a JCAMP-DX document: the first record must be ##TITLE=, found ##${clip(name, 40)}=`
        : `##${clip(name, 40)}= after the closing ##END, outside any block`);
    }

    if (norm === 'END') {
      stack.pop();
      const declared = top.blocksDeclared;
      if (declared !== undefined && top.children !== declared.count) {
        throw invalid(lineNo, `the LINK block opened at line ${top.titleLine} declares ##BLOCKS=${declared.count} but holds ${top.children} blocks`);
      }
      if (top.table === undefined) {
        linkBlocks++;
      } else {
        const s = buildSpectrum(top, maxPoints - pointsUsed);
        pointsUsed += s.npoints;
        blocks.push(s);
      }
      const parent = stack[stack.length - 1];
      if (parent !== undefined) parent.children++;
      continue;
    }

    if (!isPrivate && isDataTableLabel(norm)) {
      if (top.table !== undefined) throw invalid(lineNo, `a second data table (##${name}=) in the block opened at line ${top.titleLine}; one block holds one table`);
      if (top.blocksDeclared !== undefined) throw invalid(lineNo, `##${name}= in a LINK block (##BLOCKS=): its spectra belong in the blocks it links`);
      top.pending = { kind: 'table', label: norm, value: value.trim(), line: lineNo, start: i + 1 };
      continue;
    }
    top.pending = { kind: 'label', norm, name, isPrivate, parts: [value], line: lineNo };
  }

  const open = stack[stack.length - 1];
  if (open !== undefined) {
    flush(open, lines.length);
    throw invalid(lines.length, `missing ##END: the input ends inside the block "${clip(open.labels['TITLE'] ?? '', 40)}" opened at line ${open.titleLine} (truncated?)`);
  }
  if (opened === 0) throw invalid(undefined, 'not a JCAMP-DX document: no ##TITLE= record');
  if (blocks.length === 0) throw invalid(firstTitleLine, 'no block holds a data table (##XYDATA=, ##XYPOINTS= or ##PEAKTABLE=)');
  return { blocks, linkBlocks };
}
