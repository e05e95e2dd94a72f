/** Content-addressed storage of bulk data (raw documents, spectra, images), served over REST. */
import type { ArtifactRef } from '../adapter/types.js';

export interface ArtifactStore {
  /**
   * Stores the bytes under their sha256 (once: the same bytes stored twice are one file) and
   * resolves when they are on disk (fsynced). Rejects with BL_ERR_ARTIFACT_TOO_LARGE past the limit.
   */
  put(data: Buffer, mediaType: string): Promise<ArtifactRef>;
  has(sha256: string): boolean;
}
