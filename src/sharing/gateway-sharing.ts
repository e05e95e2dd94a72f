/**
 * The gateway's multi-agency wiring in one place (the composition root calls this once): the
 * compiled policies, the labeller the pipeline applies before an event is durable, the views the
 * REST routes and the SSE stream apply per identity, the artifact check, the per-agency MQTT
 * fan-out and the broker's subscribe check. With no agencies and no classification rules
 * configured, nothing is labelled and every view is the identity (single-operator mode).
 */
import { BorderlinkError } from '../errors.js';
import type { GatewayConfig } from '../config/types.js';
import type { ArtifactAccess, DeviceView, EventView } from '../http/event-view.js';
import type { UnsequencedEvent } from '../outbox/types.js';
import type { AgencyView } from '../publish/agency-fanout.js';
import type { DetectionEvent, Sharing } from '../schema/detection-event.js';
import { agencyTopic, mayAgencySubscribe } from './agency-topics.js';
import { admitsEquipment, artifactAllowed, forAgency, sharingLabel } from './policy.js';
import { compileSharing, type CompiledSharing } from './policy-types.js';

export interface GatewaySharing {
  compiled: CompiledSharing | undefined;
  /** the pipeline's labeller (undefined: events are not labelled) */
  label?: (event: UnsequencedEvent) => Sharing;
  views?: { event: EventView; artifact: ArtifactAccess; device: DeviceView };
  /** the MQTT fan-out's view (no agencies: none) */
  fanout?: AgencyView;
  mayAgencySubscribe: (agency: string, filter: string) => boolean;
}

/**
 * @param eventsWithArtifact the stored events that reference an artifact (newest first, bounded),
 *   for the artifact check: an agency may download an artifact when its policy admits an event that
 *   references it and leaves that reference in place.
 */
export function createGatewaySharing(config: Pick<GatewayConfig, 'agencies' | 'sharing'>, eventsWithArtifact: (sha256: string) => DetectionEvent[]): GatewaySharing {
  const enabled = config.agencies.length > 0 || config.sharing.rules.length > 0;
  if (!enabled) return { compiled: undefined, mayAgencySubscribe: () => false };
  const c = compileSharing({ agencies: config.agencies, sharing: config.sharing });
  if (!c.ok) {
    throw new BorderlinkError('BL_ERR_CONFIG_INVALID', `sharing policies: ${c.error.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  }
  const compiled = c.value;
  const agencyIds = compiled.agencies.map((a) => a.id);
  const known = new Set(agencyIds);
  const out: GatewaySharing = {
    compiled,
    label: (event) => sharingLabel(compiled, event as DetectionEvent),
    mayAgencySubscribe: (agency, filter) => known.has(agency) && mayAgencySubscribe(agency, filter),
  };
  if (agencyIds.length > 0) {
    out.views = {
      event: (identity, event) => (identity?.agency === undefined ? event : forAgency(compiled, identity.agency, event)),
      device: (identity, device) => {
        const agency = identity?.agency;
        if (agency === undefined) return device;
        const p = compiled.byId.get(agency);
        if (p === undefined || !admitsEquipment(p, device.siteId, device.deviceClass)) return undefined;
        const { lastEvent, ...rest } = device;
        const seen = lastEvent === undefined ? undefined : forAgency(compiled, agency, lastEvent);
        return seen === undefined ? rest : { ...rest, lastEvent: seen };
      },
      artifact: (identity, sha256) => {
        const agency = identity?.agency;
        if (agency === undefined) return true;
        return eventsWithArtifact(sha256).some((e) => artifactAllowed(compiled, agency, e, sha256));
      },
    };
    out.fanout = {
      agencyIds,
      forAgency: (agency, event) => forAgency(compiled, agency, event),
      agencyTopic: (agency, topic) => agencyTopic(agency, topic),
    };
  }
  return out;
}
