/**
 * What an identity may see (multi-agency sharing): the composition root builds these from the
 * compiled policies (src/sharing), the routes only apply them, so REST lists and lookups, the SSE
 * stream and artifacts all enforce one policy. An identity without agency (the operating
 * authority, or no credentials configured) sees everything.
 */
import type { DeviceRecord } from '../outbox/types.js';
import type { DetectionEvent } from '../schema/detection-event.js';
import type { Identity } from '../security/identity.js';

/** The copy of an event this identity may see, or undefined when its policy does not admit it. */
export type EventView = (identity: Identity | undefined, event: DetectionEvent) => DetectionEvent | undefined;

/** Whether this identity may download the artifact with this sha256. */
export type ArtifactAccess = (identity: Identity | undefined, sha256: string) => boolean;

/**
 * The device record this identity may see: undefined when the device's site or class is outside
 * its policy; otherwise with `lastEvent` replaced by the identity's view of it (or left out).
 */
export type DeviceView = (identity: Identity | undefined, device: DeviceRecord) => DeviceRecord | undefined;
