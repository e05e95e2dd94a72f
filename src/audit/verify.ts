/**
 * `borderlink audit verify`: streams an audit log and names its FIRST broken line (1-based).
 *
 * Each line is checked on its own (valid UTF-8, JSON, members and types, canonical bytes, hash:
 * record.ts), then against the line before: seq one more than the previous seq (the first line
 * has seq 1) and prev equal to the previous line's hash (64 zeros on the first line).
 * What gets reported where:
 *   - any byte altered in line k: line k (its bytes no longer parse, are no longer canonical, or
 *     no longer match its hash; a byte turned into or out of "\n" breaks line k itself);
 *   - line k deleted: the line after it, now at k (seq and prev do not follow);
 *   - the file ends without "\n" (the last line was truncated, or the gateway died mid-write and
 *     has not restarted since): that last line, as incomplete. A crash cannot be told apart from a
 *     truncation in the file itself, so it is never passed over; on its next start the gateway
 *     cuts the fragment off and records it in an 'audit.recover' entry (audit-log.ts), after
 *     which the log verifies again.
 * Not detectable by the chain alone: removing whole lines from the END of the file (and
 * rewriting every hash from some line on). Keep a copy of the latest hash elsewhere (a 'stop'
 * entry's hash, shipped off-box) to anchor it.
 *
 * The file is read as bytes and cut at 0x0A here rather than with readline: readline decodes
 * leniently (an altered byte could turn into U+FFFD and still parse) and also breaks lines at
 * "\r", while the format's only separator is "\n".
 */
import { createReadStream } from 'node:fs';
import { BorderlinkError } from '../errors.js';
import { GENESIS_PREV, checkLine, decodeUtf8Strict } from './record.js';

export type VerifyResult = { ok: true; lines: number } | { ok: false; line: number; reason: string; lines: number };

/** far above any line the log writes (about 6 KiB at most); a longer one is not an audit line */
const MAX_LINE_BYTES = 1024 * 1024;

/** Checks lines given as byte chunks (any cut); `lines` counts the lines read. */
export async function verifyAuditChunks(chunks: AsyncIterable<Buffer | Uint8Array>): Promise<VerifyResult> {
  let lineNo = 0;
  let prevSeq = 0;
  let prevHash = GENESIS_PREV;
  let carry: Buffer = Buffer.alloc(0);

  const checkOne = (bytes: Buffer): string | undefined => {
    const text = decodeUtf8Strict(bytes);
    if (text === undefined) return 'not valid UTF-8';
    const r = checkLine(text);
    if (!r.ok) return r.reason;
    if (r.record.seq !== prevSeq + 1) return `seq ${r.record.seq} where ${prevSeq + 1} was expected (a line is missing, repeated or moved)`;
    if (r.record.prev !== prevHash) return lineNo === 1 ? 'prev of the first line is not 64 zeros (the start of the log is missing)' : 'prev does not match the hash of the line before (a line is missing, inserted or replaced)';
    prevSeq = r.record.seq;
    prevHash = r.record.hash;
    return undefined;
  };

  for await (const chunk of chunks) {
    let data = carry.length > 0 ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let nl: number;
    while ((nl = data.indexOf(0x0a)) >= 0) {
      lineNo += 1;
      const reason = checkOne(data.subarray(0, nl));
      if (reason !== undefined) return { ok: false, line: lineNo, reason, lines: lineNo };
      data = data.subarray(nl + 1);
    }
    carry = Buffer.from(data);
    if (carry.length > MAX_LINE_BYTES) return { ok: false, line: lineNo + 1, reason: `line longer than ${MAX_LINE_BYTES} bytes: not an audit log line`, lines: lineNo + 1 };
  }
  if (carry.length > 0) {
    lineNo += 1;
    return { ok: false, line: lineNo, reason: 'incomplete last line: the file does not end with a line break (truncated, or the gateway stopped mid-write and has not restarted since)', lines: lineNo };
  }
  return { ok: true, lines: lineNo };
}

/**
 * Verifies the log in `file`, streaming. Rejects with BL_ERR_AUDIT_READ when the file cannot be
 * read (missing, a directory, no permission); a broken chain is a result, not an error.
 */
export async function verifyAuditLog(file: string): Promise<VerifyResult> {
  try {
    return await verifyAuditChunks(createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>);
  } catch (e) {
    if (e instanceof BorderlinkError) throw e;
    throw new BorderlinkError('BL_ERR_AUDIT_READ', `cannot read audit log ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}
