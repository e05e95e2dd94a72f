/** Cursor paging shared by the list routes: the page size cap and the RFC 8288 `Link: rel="next"`. */
import type { FastifyReply } from 'fastify';

export interface PageLimits {
  maxPageSize: number;
  defaultPageSize: number;
}

/** An oversized limit is capped rather than refused, so generic clients that ask big still work. */
export function pageSize(requested: number | undefined, limits: PageLimits): number {
  return Math.min(requested ?? limits.defaultPageSize, limits.maxPageSize);
}

/** The same request with `cursor` set to the next page's, as a path-absolute reference. */
export function nextPageUrl(requestUrl: string, cursor: string): string {
  const url = new URL(requestUrl, 'http://localhost');
  url.searchParams.set('cursor', cursor);
  return `${url.pathname}${url.search}`;
}

export function setNextLink(reply: FastifyReply, requestUrl: string, cursor: string | undefined): void {
  if (cursor !== undefined) reply.header('link', `<${nextPageUrl(requestUrl, cursor)}>; rel="next"`);
}
