/**
 * Transport hardening of the REST API: TLS from certificate files, security headers (helmet),
 * rate limits. The pieces are built here and installed by src/http/server.ts.
 *
 * Why these settings:
 *   - helmet: the API serves JSON, SSE and opaque artifact bytes, never HTML, so the content
 *     security policy denies everything (`default-src 'none'; frame-ancestors 'none'`): a
 *     response opened in a browser cannot run or embed anything. HSTS only over TLS (over plain
 *     HTTP the header is meaningless and would pin a loopback name to HTTPS).
 *   - rate limit: per identity (key name, token subject) when the request has one, else per
 *     client address, so one busy control room does not starve another and a client guessing
 *     keys is limited by its address. 429 is a problem+json with Retry-After.
 *   - TLS: TLS 1.2 at least. With caFile, clients must present a certificate signed by that CA
 *     (mutual TLS) on top of their API key or token.
 */
import { readFileSync } from 'node:fs';
import type { FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyRequest } from 'fastify';
import { BorderlinkError } from '../errors.js';

export interface HttpTlsFiles {
  /** PEM certificate chain of the server (absolute) */
  certFile: string;
  /** PEM private key (absolute) */
  keyFile: string;
  /** PEM CA bundle: when set, clients must present a certificate it signed (mTLS) */
  caFile?: string;
}

export interface HttpsOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  minVersion: 'TLSv1.2';
}

export interface RateLimitSettings {
  /** requests per window per identity (or client address) */
  max: number;
  timeWindowMs: number;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    // the path is configuration, not a secret; the content never appears in a message
    throw new BorderlinkError('BL_ERR_CONFIG_SECRET_FILE', `cannot read http.tls.${what} from ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Reads the certificate files once, at start: fastify's https options. */
export function readHttpsOptions(tls: HttpTlsFiles): HttpsOptions {
  const options: HttpsOptions = { cert: readPem(tls.certFile, 'certFile'), key: readPem(tls.keyFile, 'keyFile'), minVersion: 'TLSv1.2' };
  if (tls.caFile !== undefined) {
    options.ca = readPem(tls.caFile, 'caFile');
    options.requestCert = true;
    options.rejectUnauthorized = true;
  }
  return options;
}

/** Security headers for a JSON API; HSTS only when served over TLS. */
export function helmetOptions(tls: boolean): FastifyHelmetOptions {
  return {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    hsts: tls ? { maxAge: 31_536_000, includeSubDomains: false, preload: false } : false,
    // cross-origin pages may not read API responses through the browser (no CORS is offered either)
    crossOriginResourcePolicy: { policy: 'same-origin' },
    referrerPolicy: { policy: 'no-referrer' },
  };
}

/** The rate-limit bucket of a request: its identity once known, else its client address. */
export function rateLimitKey(request: FastifyRequest): string {
  const identity = request.identity;
  return identity !== undefined ? `${identity.via}:${identity.name}` : `ip:${request.ip}`;
}

/** What the rate limiter throws once a bucket is over: the problem handler answers 429 with it. */
export function rateLimitedError(_request: FastifyRequest, context: { after: string }): BorderlinkError {
  return new BorderlinkError('BL_ERR_HTTP_RATE_LIMITED', `Too many requests; retry in ${context.after}.`);
}

export const RATE_LIMIT_DEFAULTS: RateLimitSettings = { max: 1200, timeWindowMs: 60_000 };
