/**
 * ASDF, the ASCII squeezed difference form of JCAMP-DX data tables (McDonald & Wilks 1988, 5.2-5.8):
 *
 *   AFFN  free-format numbers separated by blanks or commas: 1201 -5.5 1.0E+03
 *   PAC   the same without separators, a sign starting each number: 16383-10247+1201
 *   SQZ   the sign and first digit folded into one letter: @=0, A-I = +1..+9, a-i = -1..-9 (A201 = 1201)
 *   DIF   a difference to the previous ordinate: %=0, J-R = +1..+9, j-r = -1..-9 (J1448 = +11448)
 *   DUP   a repeat count of the previous token, the original included: S-Z = 1..8, s = 9 (T3 = 23)
 *
 * The first character of every number says which form it is in, so one scanner reads any mix.
 * It is written as a character-code loop over each line (no regular expression, no per-token
 * string) because a 100k-point spectrum must decode in a few milliseconds.
 */
import { clip, stripComment } from './labels.js';
import { invalid, tooLarge, unsupported, yCheckFailed, type JcampEncoding, ENCODING_ORDER } from './types.js';

const ABS = 1;
const DIF = 2;
const DUP = 3;
const END = 0;
type TokenKind = typeof END | typeof ABS | typeof DIF | typeof DUP;

const AFFN_BIT = 1;
const PAC_BIT = 2;
const SQZ_BIT = 4;
const DIF_BIT = 8;
const DUP_BIT = 16;

/** The encodings set in a bit mask, in ENCODING_ORDER. */
export function encodingList(mask: number): JcampEncoding[] {
  return ENCODING_ORDER.filter((_, i) => (mask & (1 << i)) !== 0);
}

const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/**
 * Reads the numbers of one data line, one token per next() call. After next() returns ABS or DIF,
 * `value` holds the number; after DUP, `value` holds the repeat count; `bit` says which form it was.
 */
class LineScanner {
  private text = '';
  private pos = 0;
  private tokens = 0;
  line = 0;
  value = 0;
  bit = 0;

  constructor(private readonly pairs: boolean) {}

  reset(text: string, line: number): void {
    this.text = text;
    this.pos = 0;
    this.tokens = 0;
    this.line = line;
  }

  next(): TokenKind {
    const t = this.text;
    const n = t.length;
    let separated = this.tokens === 0;
    let c = 0;
    while (this.pos < n) {
      c = t.charCodeAt(this.pos);
      // blank, tab, comma; semicolon separates groups of (XY..XY) tables
      if (c === 32 || c === 9 || c === 44 || (this.pairs && c === 59)) {
        this.pos++;
        separated = true;
      } else {
        break;
      }
    }
    if (this.pos >= n) return END;
    this.tokens++;
    if (isDigit(c) || c === 46 || c === 43 || c === 45) {
      this.value = this.affn();
      this.bit = (c === 43 || c === 45) && !separated ? PAC_BIT : AFFN_BIT;
      return ABS;
    }
    if (c === 64 || (c >= 65 && c <= 73) || (c >= 97 && c <= 105)) {
      const d = c === 64 ? 0 : c <= 73 ? c - 64 : -(c - 96);
      this.pos++;
      this.value = this.pseudo(d, true);
      this.bit = SQZ_BIT;
      return ABS;
    }
    if (c === 37 || (c >= 74 && c <= 82) || (c >= 106 && c <= 114)) {
      const d = c === 37 ? 0 : c <= 82 ? c - 73 : -(c - 105);
      this.pos++;
      this.value = this.pseudo(d, true);
      this.bit = DIF_BIT;
      return DIF;
    }
    if ((c >= 83 && c <= 90) || c === 115) {
      const d = c === 115 ? 9 : c - 82;
      this.pos++;
      this.value = this.pseudo(d, false);
      this.bit = DUP_BIT;
      return DUP;
    }
    if (c === 63) throw unsupported(this.line, `column ${this.pos + 1}: "?" (missing value) ordinates are not supported`);
    throw invalid(this.line, `column ${this.pos + 1}: character ${describeChar(c)} is not part of a JCAMP-DX number`);
  }

  /** An AFFN or PAC number at pos: [+-] digits [. digits] [E(+|-)digits]. (Kept on locals: this is the hot loop.) */
  private affn(): number {
    const t = this.text;
    const n = t.length;
    const start = this.pos;
    let p = start;
    let neg = false;
    let c = t.charCodeAt(p);
    if (c === 43 || c === 45) {
      neg = c === 45;
      p++;
    }
    let mant = 0;
    let digits = 0;
    let frac = 0;
    let dot = false;
    while (p < n) {
      c = t.charCodeAt(p);
      if (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        digits++;
        if (dot) frac++;
      } else if (c === 46 && !dot) {
        dot = true;
      } else {
        break;
      }
      p++;
    }
    this.pos = p;
    if (digits === 0) throw invalid(this.line, `column ${start + 1}: "${t.slice(start, p + 1)}" is not a number`);
    let exact = digits <= 15;
    // AFFN 5.3: E is an exponent only when followed at once by a sign and digits; otherwise it is
    // the SQZ digit +5 starting the next number.
    if (p + 2 < n && (c === 69 || c === 101)) {
      const s = t.charCodeAt(p + 1);
      if ((s === 43 || s === 45) && isDigit(t.charCodeAt(p + 2))) {
        p += 2;
        while (p < n && isDigit(t.charCodeAt(p))) p++;
        this.pos = p;
        exact = false;
      }
    }
    this.noStrayDot(start);
    if (exact) {
      const v = frac === 0 ? mant : mant / (POW10[frac] as number);
      return neg ? -v : v;
    }
    return this.finite(Number(t.slice(start, p)), start);
  }

  private finite(v: number, start: number): number {
    if (!Number.isFinite(v)) throw invalid(this.line, `column ${start + 1}: "${clip(this.text.slice(start, this.pos), 30)}" is out of the range of a double`);
    return v;
  }

  /** The digits after a SQZ, DIF or DUP letter whose digit (with sign) is `d`. */
  private pseudo(d: number, allowDot: boolean): number {
    const t = this.text;
    const n = t.length;
    const start = this.pos;
    let p = start;
    let mant = d < 0 ? -d : d;
    let digits = 1;
    let frac = 0;
    let dot = false;
    while (p < n) {
      const c = t.charCodeAt(p);
      if (c >= 48 && c <= 57) {
        mant = mant * 10 + (c - 48);
        digits++;
        if (dot) frac++;
      } else if (c === 46 && allowDot && !dot) {
        dot = true;
      } else {
        break;
      }
      p++;
    }
    this.pos = p;
    this.noStrayDot(start - 1);
    let v: number;
    if (digits <= 15) v = frac === 0 ? mant : mant / (POW10[frac] as number);
    else v = this.finite(Number(`${d < 0 ? -d : d}${t.slice(start, p)}`), start - 1);
    return d < 0 ? -v : v;
  }

  private noStrayDot(start: number): void {
    if (this.pos < this.text.length && this.text.charCodeAt(this.pos) === 46) {
      throw invalid(this.line, `column ${start + 1}: "${this.text.slice(start, this.pos + 1)}" is not a number`);
    }
  }
}

function describeChar(c: number): string {
  const hex = `0x${c.toString(16).toUpperCase().padStart(2, '0')}`;
  return c >= 33 && c <= 126 ? `"${String.fromCharCode(c)}" (${hex})` : hex;
}

/** A Float64Array that grows by doubling, refusing to pass the document's remaining point budget. */
export class PointBuffer {
  private buf: Float64Array;
  length = 0;
  /** line number reported if the budget is exceeded */
  line = 0;

  constructor(sizeHint: number, private readonly budget: number) {
    this.buf = new Float64Array(Math.max(0, Math.min(Math.max(16, sizeHint), budget)));
  }

  push(v: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[this.length++] = v;
  }

  get(i: number): number {
    return this.buf[i] as number;
  }

  private grow(): void {
    if (this.length >= this.budget) throw tooLarge(this.line, `the data hold more than ${this.budget} points (the point limit left for this block)`);
    const next = new Float64Array(Math.min(this.budget, Math.max(16, this.buf.length * 2)));
    next.set(this.buf);
    this.buf = next;
  }

  /** An exact-length copy. */
  toArray(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

/** The lines of one data table: indices into the document's line array, and line number = index + 1. */
export interface TableLines {
  lines: readonly string[];
  /** first data line index (the line after the ##XYDATA= record) */
  start: number;
  /** one past the last data line index */
  end: number;
}

export interface XppYYData {
  /** ordinates as written (YFACTOR not applied) */
  y: Float64Array;
  encodings: JcampEncoding[];
  /** the abscissa written at the start of the first and the last data line, XFACTOR not applied */
  firstLineX: number;
  lastLineX: number;
  /** the index of the point the last line's abscissa belongs to */
  lastLineXIndex: number;
  /** line numbers of the first and last data line */
  firstLine: number;
  lastLine: number;
}

/** Tolerance of the DIF Y-value check: exact for integers, forgiving float drift of decimal DIF sums. */
const sameOrdinate = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Decodes a (X++(Y..Y)) table: each line is an abscissa then ordinates in any ASDF mix. When a line
 * ends in DIF form, the next line's first ordinate repeats the last one (the Y-value check, at the
 * same abscissa): it is compared and dropped; a mismatch means a corrupted or lost line.
 */
export function decodeXppYY(table: TableLines, sizeHint: number, budget: number): XppYYData {
  const out = new PointBuffer(sizeHint, budget);
  const scan = new LineScanner(false);
  let mask = 0;
  let endedInDif = false;
  let cur = 0;
  let firstLine = 0;
  let lastLine = 0;
  let firstLineX = 0;
  let lastLineX = 0;
  let lastLineXIndex = 0;
  for (let i = table.start; i < table.end; i++) {
    const lineNo = i + 1;
    scan.reset(stripComment(table.lines[i] as string), lineNo);
    out.line = lineNo;
    let k = scan.next();
    if (k === END) continue;
    if (k !== ABS) throw invalid(lineNo, 'a data line must start with its abscissa (X) as a plain or SQZ number');
    const lineX = scan.value;
    k = scan.next();
    if (k === END) throw invalid(lineNo, 'the data line has an abscissa but no ordinates');
    if (k === DIF) throw invalid(lineNo, 'the first ordinate of a data line is a DIF value; it must be absolute (AFFN, PAC or SQZ)');
    if (k === DUP) throw invalid(lineNo, 'a DUP count follows the abscissa; it must follow an ordinate');
    mask |= scan.bit;
    let xIndex: number;
    if (endedInDif) {
      if (!sameOrdinate(scan.value, cur)) {
        throw yCheckFailed(lineNo, `Y-value check failed: the line starts with ${scan.value} but the DIF line before it ended with ${cur} (a line is corrupted or missing)`);
      }
      cur = scan.value;
      xIndex = out.length - 1;
    } else {
      cur = scan.value;
      xIndex = out.length;
      out.push(cur);
    }
    let last: TokenKind = ABS;
    let delta = 0;
    let afterDup = false;
    for (k = scan.next(); k !== END; k = scan.next()) {
      mask |= scan.bit;
      if (k === ABS) {
        cur = scan.value;
        out.push(cur);
        last = ABS;
        afterDup = false;
      } else if (k === DIF) {
        delta = scan.value;
        cur += delta;
        out.push(cur);
        last = DIF;
        afterDup = false;
      } else {
        const count = scan.value;
        if (afterDup) throw invalid(lineNo, 'two DUP counts in a row');
        if (!Number.isInteger(count) || count < 1) throw invalid(lineNo, `DUP count ${count} is not a whole number of at least 1`);
        if (out.length + count - 1 > budget) throw tooLarge(lineNo, `the data hold more than ${budget} points (the point limit left for this block)`);
        for (let r = 1; r < count; r++) {
          if (last === DIF) cur += delta;
          out.push(cur);
        }
        afterDup = true;
      }
    }
    endedInDif = last === DIF;
    if (firstLine === 0) {
      firstLine = lineNo;
      firstLineX = lineX;
    }
    lastLine = lineNo;
    lastLineX = lineX;
    lastLineXIndex = xIndex;
  }
  return { y: out.toArray(), encodings: encodingList(mask), firstLineX, lastLineX, lastLineXIndex, firstLine, lastLine };
}

export interface PairData {
  /** values as written, no factor applied */
  x: Float64Array;
  y: Float64Array;
  w?: Float64Array;
  encodings: JcampEncoding[];
  firstLine: number;
  lastLine: number;
}

/**
 * Decodes a (XY..XY) or (XYW..XYW) table: groups of 2 or 3 absolute numbers, separated by blanks,
 * commas or semicolons. Every line must hold whole groups, which catches a truncated last line.
 */
export function decodeGroups(table: TableLines, width: 2 | 3, sizeHint: number, budget: number): PairData {
  const xs = new PointBuffer(sizeHint, budget);
  const ys = new PointBuffer(sizeHint, budget);
  const ws = width === 3 ? new PointBuffer(sizeHint, budget) : undefined;
  const scan = new LineScanner(true);
  const names = width === 3 ? '(X,Y,W) groups' : '(X,Y) pairs';
  let mask = 0;
  let firstLine = 0;
  let lastLine = 0;
  for (let i = table.start; i < table.end; i++) {
    const lineNo = i + 1;
    scan.reset(stripComment(table.lines[i] as string), lineNo);
    xs.line = lineNo;
    let count = 0;
    for (let k = scan.next(); k !== END; k = scan.next()) {
      if (k !== ABS) throw invalid(lineNo, `DIF and DUP forms are not allowed in a table of ${names}`);
      mask |= scan.bit;
      const slot = count % width;
      if (slot === 0) xs.push(scan.value);
      else if (slot === 1) ys.push(scan.value);
      else ws?.push(scan.value);
      count++;
    }
    if (count === 0) continue;
    if (count % width !== 0) throw invalid(lineNo, `the line holds ${count} numbers, not whole ${names}`);
    if (firstLine === 0) firstLine = lineNo;
    lastLine = lineNo;
  }
  const base = { x: xs.toArray(), y: ys.toArray(), encodings: encodingList(mask), firstLine, lastLine };
  return ws === undefined ? base : { ...base, w: ws.toArray() };
}

// ---- encoding (used by the writer) ----

const SQZ_POS = '@ABCDEFGHI';
const SQZ_NEG = '@abcdefghi';
const DIF_POS = '%JKLMNOPQR';
const DIF_NEG = '%jklmnopqr';
const DUP_DIGITS = '0STUVWXYZs';

function fold(n: number, pos: string, neg: string): string {
  if (!Number.isSafeInteger(n)) throw new RangeError(`ASDF compression needs safe integers, got ${n}`);
  const s = String(Math.abs(n));
  const first = Number(s[0]);
  return (n < 0 ? neg[first] : pos[first]) + s.slice(1);
}

/** An integer in SQZ form: 1201 -> "A201", -10247 -> "a0247", 0 -> "@". */
export const sqz = (n: number): string => fold(n, SQZ_POS, SQZ_NEG);

/** A difference in DIF form: 11448 -> "J1448", -6397 -> "o397", 0 -> "%". */
export const dif = (n: number): string => fold(n, DIF_POS, DIF_NEG);

/** A repeat count (>= 2) in DUP form: 3 -> "U", 23 -> "T3". */
export function dup(count: number): string {
  if (!Number.isSafeInteger(count) || count < 2) throw new RangeError(`a DUP count must be a whole number of at least 2, got ${count}`);
  const s = String(count);
  return (DUP_DIGITS[Number(s[0])] as string) + s.slice(1);
}
