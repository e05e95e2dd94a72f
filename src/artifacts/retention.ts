/**
 * Artifact retention, run periodically: the store's sweep (artifact-store.ts) with the gateway's
 * policy (config `artifacts.retention`), protecting every artifact an unpublished event refers to,
 * with metrics and one log line per sweep that removed something.
 *
 * "Unpublished" is read from the outbox: the rows the broker has not acknowledged yet (the
 * relay's lease). Their events' artifacts and region artifactRefs are kept whatever their age, so
 * a consumer that receives an event late (broker down for days) still finds its images. Events
 * already published may lose their artifacts to retention: that is the policy's purpose.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/types.js';
import type { DetectionEvent } from '../schema/detection-event.js';
import type { ArtifactStore, RetentionPolicy, SweepResult } from './types.js';

export interface ArtifactRetentionOptions {
  store: ArtifactStore;
  policy: RetentionPolicy;
  /** between sweeps; the first runs after one interval (or on runOnce) */
  intervalMs: number;
  /** sha256s that must stay (artifacts of unpublished events); see unpublishedArtifactRefs */
  protect?: () => ReadonlySet<string> | Promise<ReadonlySet<string>>;
  logger: Logger;
  /** where the borderlink_artifacts_* metrics are registered (the gateway's registry) */
  registry?: Registry;
}

export interface ArtifactRetention {
  /** one sweep now (sweeps never overlap: a call during one waits for it) */
  runOnce(): Promise<SweepResult | undefined>;
  stop(): Promise<void>;
}

/** Every sha256 an event refers to: its artifacts and its findings' regions. */
export function artifactRefsOf(e: Pick<DetectionEvent, 'artifacts' | 'findings'>): string[] {
  const out: string[] = [];
  for (const a of e.artifacts ?? []) out.push(a.sha256);
  for (const f of e.findings ?? []) if (f.region?.artifactRef !== undefined) out.push(f.region.artifactRef);
  return out;
}

/** The artifacts of the events the broker has not acknowledged, read page by page from the outbox. */
export function unpublishedArtifactRefs(outbox: Pick<Outbox, 'lease'>, pageSize = 500): Set<string> {
  const refs = new Set<string>();
  let after = 0;
  for (;;) {
    const rows = outbox.lease(after, pageSize);
    for (const r of rows) for (const sha of artifactRefsOf(r.event)) refs.add(sha);
    if (rows.length < pageSize) return refs;
    after = (rows[rows.length - 1] as { id: number }).id;
  }
}

interface RetentionMetrics {
  removed: Counter<'reason'>;
  removedBytes: Counter;
  storedBytes: Gauge;
  storedCount: Gauge;
  sweeps: Counter<'result'>;
}

function metricsOn(registry: Registry): RetentionMetrics {
  const existing = registry.getSingleMetric('borderlink_artifacts_removed_total');
  if (existing !== undefined) {
    return {
      removed: existing as Counter<'reason'>,
      removedBytes: registry.getSingleMetric('borderlink_artifacts_removed_bytes_total') as Counter,
      storedBytes: registry.getSingleMetric('borderlink_artifacts_stored_bytes') as Gauge,
      storedCount: registry.getSingleMetric('borderlink_artifacts_stored') as Gauge,
      sweeps: registry.getSingleMetric('borderlink_artifact_sweeps_total') as Counter<'result'>,
    };
  }
  return {
    removed: new Counter({ name: 'borderlink_artifacts_removed_total', help: 'Artifacts removed by retention, by reason (age, size, leftover).', labelNames: ['reason'] as const, registers: [registry] }),
    removedBytes: new Counter({ name: 'borderlink_artifacts_removed_bytes_total', help: 'Bytes of artifacts removed by retention.', registers: [registry] }),
    storedBytes: new Gauge({ name: 'borderlink_artifacts_stored_bytes', help: 'Bytes of artifacts stored, as of the last retention sweep.', registers: [registry] }),
    storedCount: new Gauge({ name: 'borderlink_artifacts_stored', help: 'Artifacts stored, as of the last retention sweep.', registers: [registry] }),
    sweeps: new Counter({ name: 'borderlink_artifact_sweeps_total', help: 'Artifact retention sweeps, by result (ok, failed).', labelNames: ['result'] as const, registers: [registry] }),
  };
}

export function startArtifactRetention(o: ArtifactRetentionOptions): ArtifactRetention {
  const log = o.logger.child({ component: 'artifact-retention' });
  const m = o.registry ? metricsOn(o.registry) : undefined;
  let running: Promise<SweepResult | undefined> | undefined;
  let stopped = false;

  const sweepOnce = async (): Promise<SweepResult | undefined> => {
    try {
      const r = await o.store.sweep(o.policy, o.protect);
      if (m) {
        if (r.removedByAge > 0) m.removed.inc({ reason: 'age' }, r.removedByAge);
        if (r.removedBySize > 0) m.removed.inc({ reason: 'size' }, r.removedBySize);
        if (r.leftoversRemoved > 0) m.removed.inc({ reason: 'leftover' }, r.leftoversRemoved);
        if (r.removedBytes > 0) m.removedBytes.inc(r.removedBytes);
        m.storedBytes.set(r.totalBytes);
        m.storedCount.set(r.totalCount);
        m.sweeps.inc({ result: 'ok' });
      }
      const removed = r.removedByAge + r.removedBySize;
      const line = { ...r, maxAgeDays: o.policy.maxAgeDays ?? 0, maxTotalBytes: o.policy.maxTotalBytes ?? 0 };
      if (removed > 0 || r.leftoversRemoved > 0) log.info(line, 'artifact retention removed artifacts');
      else log.debug(line, 'artifact retention sweep');
      if (o.policy.maxTotalBytes !== undefined && o.policy.maxTotalBytes > 0 && r.totalBytes > o.policy.maxTotalBytes) {
        log.warn({ totalBytes: r.totalBytes, maxTotalBytes: o.policy.maxTotalBytes, protectedKept: r.protectedKept }, 'artifacts stay above maxTotalBytes: the rest are recent or belong to unpublished events');
      }
      return r;
    } catch (e) {
      m?.sweeps.inc({ result: 'failed' });
      log.warn({ err: describeError(e) }, 'artifact retention sweep failed');
      return undefined;
    }
  };

  const runOnce = (): Promise<SweepResult | undefined> => {
    if (running) return running;
    running = sweepOnce().finally(() => {
      running = undefined;
    });
    return running;
  };

  const timer = setInterval(() => {
    if (!stopped) void runOnce();
  }, Math.max(1000, o.intervalMs));
  timer.unref();

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
