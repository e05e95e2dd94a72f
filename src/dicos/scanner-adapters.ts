/**
 * Which adapters are X-ray scanners that report over HTTP with images: their devices take
 * multipart uploads (POST /v1/scanners/{ingestPath}/results) and, when polled, get the image
 * fetcher (poll-images.ts) between the http-poll connector and the pipeline. The composition root
 * and the connector factory ask here, so neither names an adapter itself.
 */
import type { AnyAdapter } from '../adapter/types.js';

export const HTTP_SCANNER_ADAPTERS: ReadonlySet<string> = new Set(['cargo-scanner-http']);

export function isHttpScannerAdapter(adapter: Pick<AnyAdapter, 'id'>): boolean {
  return HTTP_SCANNER_ADAPTERS.has(adapter.id);
}
