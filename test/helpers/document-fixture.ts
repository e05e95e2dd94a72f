/**
 * Golden inputs for document adapters (watched folder, HTTP ingest): an input.json entry names a
 * document file in the case folder, so the document itself stays a plain file a person can open
 * (and run `borderlink inspect` on). `padToBytes` appends whitespace, which XML allows after the
 * root element, to make an oversize document without storing megabytes in the repository.
 * The artifact reference is the one the pipeline's artifact store would make for those bytes.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AcquisitionPlan, ArtifactRef, DocumentFrame } from '../../src/adapter/types.js';

export interface DocumentFrameFixture {
  receivedAt: number;
  /** file name, relative to the case folder (no '..') */
  document: string;
  /** defaults to the adapter's transport */
  transport?: DocumentFrame['transport'];
  mediaType?: string;
  /** defaults to the document's file name */
  name?: string;
  /** pad the document with spaces up to this many bytes */
  padToBytes?: number;
}

export function isDocumentFrameFixture(f: unknown): f is DocumentFrameFixture {
  if (typeof f !== 'object' || f === null) return false;
  const r = f as { [k: string]: unknown };
  return typeof r.receivedAt === 'number' && typeof r.document === 'string';
}

export function toDocumentFrame(f: DocumentFrameFixture, transport: DocumentFrame['transport'], caseDir: string | undefined): DocumentFrame {
  if (caseDir === undefined) throw new Error(`document fixture ${f.document} needs the case folder to be resolved`);
  const file = path.resolve(caseDir, f.document);
  if (path.dirname(file) !== path.resolve(caseDir)) throw new Error(`document fixture ${f.document} must be a file in its case folder`);
  let data = readFileSync(file);
  if (f.padToBytes !== undefined && f.padToBytes > data.length) data = Buffer.concat([data, Buffer.alloc(f.padToBytes - data.length, 0x20)]);
  const frame: DocumentFrame = { transport: f.transport ?? transport, receivedAt: f.receivedAt, name: f.name ?? f.document, data };
  if (f.mediaType !== undefined) frame.mediaType = f.mediaType;
  return frame;
}

/** What the pipeline's artifact store returns for a document frame before decode. */
export function documentArtifact(frame: DocumentFrame, plan: AcquisitionPlan): ArtifactRef {
  const sha256 = createHash('sha256').update(frame.data).digest('hex');
  const mediaType = frame.mediaType ?? (plan.kind === 'document' ? plan.artifactMediaType : 'application/octet-stream');
  return { sha256, bytes: frame.data.length, mediaType, uri: `/v1/artifacts/${sha256}` };
}
