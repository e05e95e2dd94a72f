/**
 * The image fetcher of polled X-ray scanners: a Sink wrapper between the http-poll connector and
 * the device's pipeline. For each page the connector pushes, it fetches the images the page's new
 * reports reference (uri), stores them as content-addressed artifacts, and pushes a poll envelope
 * instead (the page verbatim + the stored copies, poll-page.ts), so events reference the gateway's
 * copies, served at /v1/artifacts/{sha256}, rather than URLs on the scanner.
 *
 *  - only new reports' images are fetched (above the committed cursor);
 *  - only from the poll URL's origin (or allowedOrigins): a scanner cannot make the gateway fetch
 *    from elsewhere;
 *  - an image that is gone (404, 410), too large, of the wrong digest or from a refused origin is
 *    left out (logged; its event is marked uncertain or references the scanner's copy);
 *  - any other failure (network, timeout, 5xx, artifact store) pushes nothing and answers
 *    `failed`: the connector backs off and polls the same page again, the cursor unmoved.
 */
import { createHash } from 'node:crypto';
import type { DocumentFrame } from '../adapter/types.js';
import type { ArtifactStore } from '../artifacts/types.js';
import type { LinkStatus, PushOutcome, RejectedInput, Sink } from '../connectors/types.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { JsonValue } from '../schema/detection-event.js';
import { encodePollEnvelope, imageUrisOfPage, POLL_FRAME_PREFIX, type FetchedImage } from './poll-page.js';

export interface ScannerImageFetchOptions {
  sink: Sink<DocumentFrame>;
  artifacts: ArtifactStore;
  /** the URL polled: relative image uris resolve against it, and images are fetched from its origin only */
  pollUrl: string;
  /** further origins images may come from (e.g. "http://images.scanner.local:8080") */
  allowedOrigins?: readonly string[];
  maxImageBytes: number;
  /** images fetched per page at most (default 64); the rest are left out */
  maxImagesPerPage?: number;
  timeoutMs: number;
  bearerToken?: string;
  /** the adapter state key of the poll cursor (default "cursor") */
  cursorKey?: string;
  logger: Logger;
  /** injectable for tests */
  fetch?: typeof fetch;
}

type Fetched = { ok: true; image: FetchedImage } | { ok: false; permanent: boolean; why: string };

function cursorOf(state: JsonValue | undefined, key: string): number {
  const v = state !== null && typeof state === 'object' && !Array.isArray(state) ? state[key] : undefined;
  return typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : -1;
}

export function withScannerImages(o: ScannerImageFetchOptions): Sink<DocumentFrame> {
  const log = o.logger.child({ component: 'scanner-images' });
  const doFetch = o.fetch ?? fetch;
  const base = new URL(o.pollUrl);
  const origins = new Set([base.origin, ...(o.allowedOrigins ?? []).map((x) => new URL(x).origin)]);
  const maxImages = o.maxImagesPerPage ?? 64;

  const fetchOne = async (uri: string, declared: { sha256?: string; mediaType?: string }): Promise<Fetched> => {
    let url: URL;
    try {
      url = new URL(uri, base);
    } catch {
      return { ok: false, permanent: true, why: 'not a URL' };
    }
    if (!origins.has(url.origin)) return { ok: false, permanent: true, why: `origin ${url.origin} is not the scanner's` };
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), o.timeoutMs);
    try {
      const res = await doFetch(url, { signal: ac.signal, headers: o.bearerToken ? { authorization: `Bearer ${o.bearerToken}` } : {} });
      if (res.status === 404 || res.status === 410) {
        await res.body?.cancel();
        return { ok: false, permanent: true, why: `HTTP ${res.status}` };
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { ok: false, permanent: false, why: `HTTP ${res.status}` };
      }
      const length = Number(res.headers.get('content-length'));
      if (Number.isFinite(length) && length > o.maxImageBytes) {
        await res.body?.cancel();
        return { ok: false, permanent: true, why: `${length} bytes, more than ${o.maxImageBytes}` };
      }
      const data = Buffer.from(await res.arrayBuffer());
      if (data.length > o.maxImageBytes) return { ok: false, permanent: true, why: `${data.length} bytes, more than ${o.maxImageBytes}` };
      const sha256 = createHash('sha256').update(data).digest('hex');
      if (declared.sha256 !== undefined && declared.sha256 !== sha256) return { ok: false, permanent: true, why: `sha256 ${sha256} differs from the ${declared.sha256} the scanner states` };
      const mediaType = declared.mediaType ?? (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? 'application/octet-stream';
      const ref = await o.artifacts.put(data, mediaType || 'application/octet-stream');
      return { ok: true, image: { uri, sha256: ref.sha256, bytes: ref.bytes, mediaType: ref.mediaType } };
    } catch (e) {
      const d = describeError(e);
      if (d.code === 'BL_ERR_ARTIFACT_TOO_LARGE') return { ok: false, permanent: true, why: d.message };
      return { ok: false, permanent: false, why: ac.signal.aborted ? `no answer within ${o.timeoutMs} ms` : d.message };
    } finally {
      clearTimeout(timer);
    }
  };

  const push = async (frame: DocumentFrame): Promise<PushOutcome> => {
    if (frame.transport !== 'http-poll') return o.sink.push(frame);
    let text: string;
    let page: unknown;
    try {
      text = frame.data.toString('utf8').replace(/^\uFEFF/, '');
      page = JSON.parse(text);
    } catch {
      return o.sink.push(frame); // not JSON: the codec quarantines it
    }
    const wanted = imageUrisOfPage(page, cursorOf(o.sink.committedState?.(), o.cursorKey ?? 'cursor'));
    if (wanted.length > maxImages) log.warn({ images: wanted.length, maxImagesPerPage: maxImages }, 'page references more images than fetched per page; the rest are left out');
    const fetched: FetchedImage[] = [];
    for (const w of wanted.slice(0, maxImages)) {
      const r = await fetchOne(w.uri, w);
      if (r.ok) {
        fetched.push(r.image);
      } else if (r.permanent) {
        log.warn({ uri: w.uri.slice(0, 300), why: r.why }, 'scanner image left out');
      } else {
        log.warn({ uri: w.uri.slice(0, 300), why: r.why }, 'scanner image could not be fetched; the page is polled again');
        return { status: 'failed', eventIds: [], reason: { code: 'BL_ERR_SCANNER_IMAGE_FETCH', message: `image ${w.uri.slice(0, 200)}: ${r.why}` } };
      }
    }
    return o.sink.push({
      transport: 'http-poll',
      receivedAt: frame.receivedAt,
      name: `${POLL_FRAME_PREFIX}${frame.name}`,
      mediaType: 'application/json',
      data: encodePollEnvelope(text, fetched),
    });
  };

  const wrapped: Sink<DocumentFrame> = {
    push,
    status: (s: LinkStatus) => o.sink.status(s),
    reject: (r: RejectedInput) => o.sink.reject(r),
  };
  if (o.sink.committedState) {
    const committed = o.sink.committedState.bind(o.sink);
    wrapped.committedState = () => committed();
  }
  return wrapped;
}
