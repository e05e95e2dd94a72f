/** Content-addressed storage of bulk data (raw documents, spectra, images), served over REST. */
import type { ArtifactRef } from '../adapter/types.js';

export interface ArtifactStore {
  /**
   * Stores the bytes under their sha256 (once: the same bytes stored twice are one file) and
   * resolves when they are on disk (fsynced). Rejects with BL_ERR_ARTIFACT_TOO_LARGE past the limit.
   */
  put(data: Buffer, mediaType: string): Promise<ArtifactRef>;
  has(sha256: string): boolean;
  /**
   * Applies a retention policy once: removes, oldest "last stored" first, what is past its age
   * and, while the total is above its cap, more; never an artifact younger than the grace period,
   * one being written, or one `protect` names (referenced by an event not yet published).
   */
  sweep(policy: RetentionPolicy, protect?: () => ReadonlySet<string> | Promise<ReadonlySet<string>>): Promise<SweepResult>;
}

export interface RetentionPolicy {
  /** remove artifacts last stored longer ago than this (absent or 0: no age limit) */
  maxAgeDays?: number;
  /** keep the total at most this many bytes, removing the oldest first (absent or 0: no cap) */
  maxTotalBytes?: number;
  /** never remove an artifact stored less than this long ago, ms (default 10 minutes) */
  graceMs?: number;
}

export interface SweepResult {
  /** artifacts found */
  scanned: number;
  removedByAge: number;
  removedBySize: number;
  removedBytes: number;
  /** artifacts due for removal but referenced by an unpublished event */
  protectedKept: number;
  /** temp files and lone sidecars a crash left behind, removed */
  leftoversRemoved: number;
  /** what is stored after the sweep */
  totalBytes: number;
  totalCount: number;
}
