/**
 * `borderlink inspect FILE`: the events the gateway would make of a vendor's file (an N42
 * document, a line-protocol capture...), printed as JSON, without publishing or storing anything.
 * It runs the same decode -> normalise -> validate as the daemon, with a fixed clock and ids so
 * two runs print the same thing.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { AnyAdapter, CodecContext, DocumentFrame, Frame, StreamFrame } from './adapter/types.js';
import { createFramer } from './connectors/stream-framer.js';
import { BorderlinkError } from './errors.js';
import { buildEnvelope } from './pipeline/envelope.js';
import type { DetectionEvent, JsonValue } from './schema/detection-event.js';
import { createEventValidator } from './schema/validator.js';
import { createHash } from 'node:crypto';

export interface InspectOptions {
  file: string;
  adapterId?: string;
  deviceId?: string;
  siteId?: string;
  /** gateway clock for the frames (default: the file's modification time) */
  nowMs?: number;
}

export interface InspectResult {
  adapter: { id: string; version: string };
  frames: number;
  events: Array<Omit<DetectionEvent, 'sequence'> & { sequence: number }>;
  failures: Array<{ frame: number; code: string; message: string }>;
}

const MAX_INSPECT_BYTES = 64 * 1024 * 1024;

/** Picks an adapter from the content when none is named: XML -> N42, tagged CSV lines -> line protocol. */
export function sniffAdapter(data: Buffer, installed: ReadonlyMap<string, AnyAdapter>): string | undefined {
  const head = data.subarray(0, 4096).toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (head.startsWith('<') && installed.has('n42-document')) return 'n42-document';
  if (/^[A-Z]{2},/m.test(head) && installed.has('rpm-line-protocol')) return 'rpm-line-protocol';
  return undefined;
}

/** The file cut into frames as the adapter's connector would; bytes that frame nothing are reported. */
function framesOf(adapter: AnyAdapter, data: Buffer, name: string, now: number): { frames: Frame[]; garbage: string[] } {
  const plan = adapter.acquisition;
  switch (plan.kind) {
    case 'document': {
      const frame: DocumentFrame = { transport: 'folder', receivedAt: now, name, data, mediaType: plan.artifactMediaType };
      return { frames: [frame], garbage: [] };
    }
    case 'stream': {
      const framer = createFramer(plan.framing);
      const frames: Frame[] = [];
      const garbage: string[] = [];
      for (const o of [...framer.push(data), ...framer.flush()]) {
        if (o.kind === 'garbage') garbage.push(`${o.reason} (${o.data.length} bytes)`);
        else frames.push({ transport: adapter.transport === 'tcp-socket' ? 'tcp-socket' : 'serial', receivedAt: now + frames.length, data: o.data } satisfies StreamFrame);
      }
      return { frames, garbage };
    }
    default:
      throw new BorderlinkError('BL_ERR_USAGE', `adapter ${adapter.id} polls registers (${plan.kind}); inspect reads files of document or stream adapters`);
  }
}

export function inspectFile(opts: InspectOptions, adapters: ReadonlyMap<string, AnyAdapter>): InspectResult {
  let size: number;
  try {
    size = statSync(opts.file).size;
  } catch (e) {
    throw new BorderlinkError('BL_ERR_USAGE', `cannot read ${opts.file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (size > MAX_INSPECT_BYTES) throw new BorderlinkError('BL_ERR_USAGE', `${opts.file} is ${size} bytes; inspect reads files up to ${MAX_INSPECT_BYTES}`);
  const data = readFileSync(opts.file);
  const id = opts.adapterId ?? sniffAdapter(data, adapters);
  if (!id) throw new BorderlinkError('BL_ERR_USAGE', `cannot tell which adapter reads ${opts.file}; name one with --adapter (installed: ${[...adapters.keys()].sort().join(', ')})`);
  const adapter = adapters.get(id);
  if (!adapter) throw new BorderlinkError('BL_ERR_USAGE', `no adapter "${id}" is installed (installed: ${[...adapters.keys()].sort().join(', ')})`);
  const now = opts.nowMs ?? Math.floor(statSync(opts.file).mtimeMs);
  const device = { id: opts.deviceId ?? 'inspect', siteId: opts.siteId ?? 'XXXXX' };
  const validator = createEventValidator();
  const sha256 = createHash('sha256').update(data).digest('hex');
  const { frames, garbage } = framesOf(adapter, data, path.basename(opts.file), now);
  const result: InspectResult = { adapter: { id: adapter.id, version: adapter.version }, frames: frames.length, events: [], failures: [] };
  for (const g of garbage) result.failures.push({ frame: -1, code: 'BL_ERR_STREAM_GARBAGE', message: g });
  let state: JsonValue = adapter.initialState();
  let n = 0;
  frames.forEach((frame, i) => {
    const ctx: CodecContext<unknown> = { device, options: {}, now: frame.receivedAt };
    if (adapter.acquisition.kind === 'document') {
      ctx.artifact = { sha256, bytes: data.length, mediaType: adapter.acquisition.artifactMediaType, uri: `/v1/artifacts/${sha256}` };
    }
    const decoded = adapter.decode(frame, ctx);
    if (!decoded.ok) {
      result.failures.push({ frame: i, code: decoded.error.code, message: decoded.error.message });
      return;
    }
    for (const record of decoded.value) {
      const r = adapter.normalise(record, state, ctx);
      if (!r.ok) {
        result.failures.push({ frame: i, code: r.error.code, message: r.error.message });
        continue;
      }
      state = r.value.state;
      for (const draft of r.value.drafts) {
        n += 1;
        const eventId = `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}`;
        const event = { ...buildEnvelope({ draft, device, adapter, gatewayId: 'inspect', eventId, receivedAt: frame.receivedAt }), sequence: n };
        const v = validator.validate(event);
        if (v.ok) result.events.push(event);
        else result.failures.push({ frame: i, code: 'BL_ERR_SCHEMA_VIOLATION', message: v.errors.slice(0, 5).join('; ') });
      }
    }
  });
  return result;
}
