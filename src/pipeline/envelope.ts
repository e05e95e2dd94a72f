/**
 * Wraps an adapter's draft in the envelope the gateway owns: ids, versions, the gateway clock,
 * and a `source` merged from configuration (authoritative), the device's own report, and the
 * adapter's defaults, in that order of precedence.
 */
import type { AnyAdapter, DeviceIdentity, EventDraft } from '../adapter/types.js';
import { isoTime } from '../clock.js';
import type { UnsequencedEvent } from '../outbox/types.js';
import { SCHEMA_VERSION, type DeviceRef } from '../schema/detection-event.js';

export function buildEnvelope(args: {
  draft: EventDraft;
  device: DeviceIdentity;
  adapter: AnyAdapter;
  gatewayId: string;
  eventId: string;
  receivedAt: number;
}): UnsequencedEvent {
  const { draft, device, adapter } = args;
  const reported = draft.source?.device ?? {};
  const pick = (k: 'vendor' | 'model' | 'serial' | 'firmware'): string | undefined => device[k] ?? reported[k] ?? (k === 'vendor' || k === 'model' ? adapter[k] : undefined);
  const technique = device.technique ?? reported.technique ?? adapter.technique;
  const deviceRef: DeviceRef = { id: device.id, class: device.deviceClass ?? adapter.deviceClass };
  if (technique) deviceRef.technique = technique;
  for (const k of ['vendor', 'model', 'serial', 'firmware'] as const) {
    const v = pick(k);
    if (v !== undefined) deviceRef[k] = v;
  }
  const { source: draftSource, ...body } = draft;
  return {
    eventId: args.eventId,
    schemaVersion: SCHEMA_VERSION,
    ...body,
    receivedAt: isoTime(args.receivedAt),
    source: {
      gatewayId: args.gatewayId,
      siteId: device.siteId,
      ...(device.laneId ? { laneId: device.laneId } : {}),
      device: deviceRef,
      adapter: { id: adapter.id, version: adapter.version },
      ...(draftSource?.algorithm ? { algorithm: draftSource.algorithm } : {}),
      ...(draftSource?.operatorId ? { operatorId: draftSource.operatorId } : {}),
    },
  };
}
