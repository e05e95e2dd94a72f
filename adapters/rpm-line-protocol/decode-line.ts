/**
 * One line in, one typed record out, or a failure that says exactly what is wrong with which field.
 * Pure and total: every input yields a Result, nothing throws.
 */
import { fail, ok, type DecodeFailure, type Result } from '../../src/adapter/types.js';
import { isLineTag, TAG_FIELDS, toRecord, type FieldSpec, type LineRecord, type LineTag } from './line-messages.js';

/** bytes before the LF, a trailing CR included (the framing's maxLength) */
export const MAX_LINE_BYTES = 256;

const COUNT = /^\d{1,9}$/;
const DECIMAL = /^\d{1,9}(\.\d{1,6})?$/;
const SHOWN = 80;

const shown = (s: string): string => (s.length > SHOWN ? `${s.slice(0, SHOWN)}...` : s);

/**
 * Decodes one frame: a line without its LF. A single trailing CR (the CRLF of a device whose lines
 * were framed on LF) is stripped; an empty line is no message and yields no record.
 */
export function decodeLine(data: Buffer): Result<LineRecord[], DecodeFailure> {
  if (data.length > MAX_LINE_BYTES) {
    return fail({ code: 'BL_ERR_LINE_SYNTAX', message: `line is ${data.length} bytes long; at most ${MAX_LINE_BYTES} are allowed`, detail: { bytes: data.length } });
  }
  const end = data.length > 0 && data[data.length - 1] === 0x0d ? data.length - 1 : data.length;
  for (let i = 0; i < end; i++) {
    const b = data[i] ?? 0;
    if (b < 0x20 || b > 0x7e) {
      return fail({
        code: 'BL_ERR_LINE_SYNTAX',
        message: `byte 0x${b.toString(16).padStart(2, '0')} at offset ${i} is not printable ASCII`,
        detail: { offset: i, byte: b },
      });
    }
  }
  const line = data.toString('latin1', 0, end);
  if (line.trim() === '') return ok([]);
  const [rawTag = '', ...fields] = line.split(',');
  const tag = rawTag.trim();
  if (tag === '') return fail({ code: 'BL_ERR_LINE_SYNTAX', message: `line has no tag before its first comma: "${shown(line)}"`, detail: { line: shown(line) } });
  if (!isLineTag(tag)) {
    return fail({ code: 'BL_ERR_LINE_UNKNOWN_TAG', message: `unknown tag "${shown(tag)}"`, detail: { tag: shown(tag), line: shown(line) } });
  }
  const specs: readonly FieldSpec[] = TAG_FIELDS[tag];
  if (fields.length !== specs.length) {
    return fail({
      code: 'BL_ERR_LINE_FIELDS',
      message: `${tag} needs ${specs.length} field${specs.length === 1 ? '' : 's'} (${specs.map((s) => s.name).join(', ') || 'none'}), got ${fields.length}`,
      detail: { tag, expected: specs.length, got: fields.length, line: shown(line) },
    });
  }
  const values: number[] = [];
  for (const [i, spec] of specs.entries()) {
    const v = parseField(tag, i, spec, (fields[i] ?? '').trim(), line);
    if (!v.ok) return v;
    values.push(v.value);
  }
  return ok([toRecord(tag, values)]);
}

function parseField(tag: LineTag, index: number, spec: FieldSpec, text: string, line: string): Result<number, DecodeFailure> {
  const where = `${tag} field ${index + 1} (${spec.name})`;
  const detail = { tag, field: index + 1, name: spec.name, value: shown(text), line: shown(line) };
  const syntax = spec.kind === 'count' ? COUNT : DECIMAL;
  if (!syntax.test(text)) {
    const want = spec.kind === 'count' ? 'an unsigned integer of at most 9 digits' : 'an unsigned decimal number (at most 9 digits, 6 decimals)';
    return fail({ code: 'BL_ERR_LINE_VALUE', message: `${where} is "${shown(text)}", not ${want}`, detail });
  }
  const value = Number(text);
  if ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max)) {
    return fail({
      code: 'BL_ERR_DECODE_VALUE_OUT_OF_RANGE',
      message: `${where} is ${value}, outside ${spec.min ?? 0}-${spec.max ?? 'unbounded'}`,
      detail: { ...detail, ...(spec.min === undefined ? {} : { min: spec.min }), ...(spec.max === undefined ? {} : { max: spec.max }) },
    });
  }
  return ok(value);
}
