/**
 * decodeN42: bytes of an ANSI N42.42 document (2012 or 2006) to an N42Document, or a coded
 * failure. Pure: no clock, no file system; safe on hostile input (see xml-tree.ts).
 */
import { fail, ok, type DecodeFailure, type Result } from '../adapter/types.js';
import { isBorderlinkError } from '../errors.js';
import { DEFAULT_MAX_CHANNELS } from './channel-data.js';
import { N42_2006_NAMESPACE, N42_2012_NAMESPACE, type N42Document } from './document.js';
import { n42Query } from './element-query.js';
import { read2006 } from './read-2006.js';
import { read2012 } from './read-2012.js';
import type { ReadContext } from './read-context.js';
import { parseXmlDocument } from './xml-tree.js';

export const N42_DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
export const N42_DEFAULT_MAX_DEPTH = 64;

export interface N42DecodeOptions {
  /** refuse larger documents unread (BL_ERR_N42_TOO_LARGE); default 20 MiB */
  maxBytes?: number;
  /** refuse deeper element nesting (BL_ERR_N42_NOT_XML); default 64 */
  maxDepth?: number;
  /** refuse spectra that are (or expand to) more channels (BL_ERR_N42_INVALID); default 131072 */
  maxChannels?: number;
}

export function decodeN42(bytes: Buffer, opts: N42DecodeOptions = {}): Result<N42Document, DecodeFailure> {
  const parsed = parseXmlDocument(bytes, { maxBytes: opts.maxBytes ?? N42_DEFAULT_MAX_BYTES, maxDepth: opts.maxDepth ?? N42_DEFAULT_MAX_DEPTH });
  if (!parsed.ok) return parsed;
  const root = parsed.value;
  const edition = root.name === 'RadInstrumentData' ? '2012' : root.name === 'N42InstrumentData' ? '2006' : undefined;
  const expectedNs = edition === '2012' ? N42_2012_NAMESPACE : N42_2006_NAMESPACE;
  if (edition === undefined || (root.ns !== '' && root.ns !== expectedNs)) {
    return fail({
      code: 'BL_ERR_N42_NOT_N42',
      message: `root element <${root.name}>${root.ns === '' ? '' : ` in namespace ${root.ns}`} is not an N42.42 document (RadInstrumentData in ${N42_2012_NAMESPACE}, or N42InstrumentData in ${N42_2006_NAMESPACE})`,
      detail: { root: root.name, namespace: root.ns },
    });
  }
  const ctx: ReadContext = { q: n42Query(root.ns), maxChannels: opts.maxChannels ?? DEFAULT_MAX_CHANNELS, warnings: [] };
  if (root.ns === '') ctx.warnings.push(`root element declares no namespace: read as N42.42-${edition}`);
  try {
    return ok(edition === '2012' ? read2012(root, ctx) : read2006(root, ctx));
  } catch (e) {
    if (isBorderlinkError(e)) {
      const detail = e.detail === undefined ? undefined : (JSON.parse(JSON.stringify(e.detail)) as DecodeFailure['detail']);
      return fail(detail === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, detail });
    }
    throw e;
  }
}
