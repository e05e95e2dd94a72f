/**
 * MQTT topic layout (EVENT-MODEL.md): borderlink/v1/{siteId}/{deviceClass}/{deviceId}/{eventType}.
 * Status events land on .../{deviceId}/status and are retained; the gateway's own state lives at
 * borderlink/v1/{siteId}/gateway/{gatewayId}/status with a last will.
 */
import type { DetectionEvent } from '../schema/detection-event.js';

export const TOPIC_ROOT = 'borderlink/v1';

/** Topic levels must not carry MQTT wildcards or separators; config ids are already checked. */
function level(s: string): string {
  return s.replace(/[/+#\u0000]/g, '_');
}

export function eventTopic(e: Pick<DetectionEvent, 'eventType' | 'source'>): string {
  return `${TOPIC_ROOT}/${level(e.source.siteId)}/${e.source.device.class}/${level(e.source.device.id)}/${e.eventType}`;
}

export function isRetained(e: Pick<DetectionEvent, 'eventType'>): boolean {
  return e.eventType === 'status';
}

export function gatewayStatusTopic(siteId: string, gatewayId: string): string {
  return `${TOPIC_ROOT}/${level(siteId)}/gateway/${level(gatewayId)}/status`;
}
