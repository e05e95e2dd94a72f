/**
 * GET /artifacts/:sha256: bulk data referenced by events, stored at <dir>/<aa>/<sha256> with an
 * optional sidecar <sha256>.json {"mediaType"}. The name is checked to be exactly 64 hex digits
 * before it touches the file system, so no request can name a path outside the artifacts dir.
 */
import { open, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import { BorderlinkError } from '../../errors.js';
import { problemResponses } from '../api-schemas.js';
import { badRequest, notFound, problemOf, sendProblem } from '../problem.js';
import type { ArtifactAccess } from '../event-view.js';

export interface ArtifactsRoutesOptions {
  artifactsDir: string;
  authenticated: boolean;
  /** multi-agency: may this identity read this artifact? (absent: yes) */
  mayRead?: ArtifactAccess;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TOKEN = "[A-Za-z0-9!#$%&'*+.^_`|~-]+";
/** type/subtype with optional parameters: anything else is not fit for a response header */
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=(?:${TOKEN}|"[^"\\\\\\r\\n]*"))*$`);
const DEFAULT_MEDIA_TYPE = 'application/octet-stream';

/** The file an artifact lives in; undefined when the name is not a lowercase sha256. */
export function artifactPath(artifactsDir: string, sha256: string): string | undefined {
  if (!SHA256_HEX.test(sha256)) return undefined;
  return path.join(artifactsDir, sha256.slice(0, 2), sha256);
}

function isMissing(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** The sidecar's media type when it names a valid one; a broken sidecar must not break downloads. */
async function mediaTypeOf(file: string): Promise<string> {
  try {
    const parsed: unknown = JSON.parse(await readFile(`${file}.json`, 'utf8'));
    const mediaType = (parsed as { mediaType?: unknown } | null)?.mediaType;
    if (typeof mediaType === 'string' && mediaType.length <= 255 && MEDIA_TYPE.test(mediaType)) return mediaType;
  } catch {
    // no sidecar, or not JSON: serve as opaque bytes
  }
  return DEFAULT_MEDIA_TYPE;
}

export const artifactsRoutes: FastifyPluginAsync<ArtifactsRoutesOptions> = async (app, opts) => {
  const auth = opts.authenticated ? [401, 403] : [];

  app.get<{ Params: { sha256: string } }>('/artifacts/:sha256', {
    schema: {
      summary: 'Download an artifact by its sha256',
      tags: ['artifacts'],
      params: {
        type: 'object',
        required: ['sha256'],
        properties: { sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$', description: 'hex SHA-256 of the content' } },
      },
      response: {
        200: {
          description: 'The artifact bytes, with the media type recorded when it was stored',
          content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
        },
        ...problemResponses(400, ...auth, 404),
      },
    },
  }, async (request, reply) => {
    const sha256 = request.params.sha256.toLowerCase();
    const file = artifactPath(opts.artifactsDir, sha256);
    if (file === undefined) {
      return sendProblem(reply, badRequest([{ in: 'path', name: 'sha256', message: 'must be 64 hex digits' }]));
    }
    if (opts.mayRead !== undefined && !opts.mayRead(request.identity, sha256)) {
      return sendProblem(reply, problemOf('BL_ERR_HTTP_FORBIDDEN', 403, "Your agency's sharing policy does not include this artifact."));
    }
    let handle;
    try {
      handle = await open(file, 'r');
    } catch (e) {
      if (isMissing(e)) return sendProblem(reply, notFound('No artifact is stored under that sha256.', 'BL_ERR_ARTIFACT_NOT_FOUND'));
      throw new BorderlinkError('BL_ERR_HTTP_INTERNAL', 'artifact could not be opened', { cause: e, detail: { sha256 } });
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) {
        await handle.close();
        return sendProblem(reply, notFound('No artifact is stored under that sha256.', 'BL_ERR_ARTIFACT_NOT_FOUND'));
      }
      const mediaType = await mediaTypeOf(file);
      reply
        .type(mediaType)
        .header('content-length', stat.size)
        .header('etag', `"${sha256}"`)
        .header('cache-control', 'private, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff');
      // the stream owns the handle from here and closes it when done or aborted
      return reply.send(handle.createReadStream());
    } catch (e) {
      await handle.close().catch(() => undefined);
      throw new BorderlinkError('BL_ERR_HTTP_INTERNAL', 'artifact could not be read', { cause: e, detail: { sha256 } });
    }
  });
};
