/** The configuration after validation, defaults, environment overlay and secret resolution. Frozen. */
import type { LevelWithSilent } from 'pino';
import type { DeviceClass } from '../schema/detection-event.js';

export interface GatewaySection {
  id: string;
  siteId: string;
  dataDir: string;
  logLevel: LevelWithSilent;
  shutdownTimeoutMs: number;
}

export interface TlsFiles {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  rejectUnauthorized: boolean;
}

export interface EmbeddedBrokerUser {
  username: string;
  /** resolved from password or passwordFile */
  password: string;
}

export interface MqttSection {
  /** external broker; undefined means the embedded broker */
  url?: string;
  username?: string;
  password?: string;
  clientId?: string;
  protocolVersion?: 4 | 5;
  payloadFormat: 'json' | 'protobuf';
  inflightWindow: number;
  keepaliveSeconds: number;
  tls?: TlsFiles;
  embedded: { host: string; port: number; users: EmbeddedBrokerUser[] };
}

export interface HttpSection {
  enabled: boolean;
  host: string;
  port: number;
  apiKeys: string[];
  maxPageSize: number;
  bodyLimitBytes: number;
  /** limits of X-ray scanner result uploads (POST /v1/scanners/{path}/results) */
  scannerUpload: ScannerUploadSection;
}

export interface ScannerUploadSection {
  maxImageBytes: number;
  maxImages: number;
  maxResultBytes: number;
}

/** Artifacts (raw documents, images) under {dataDir}/artifacts. */
export interface ArtifactsSection {
  /** largest single artifact, bytes */
  maxBytes: number;
  retention: {
    /** 0: no age limit */
    maxAgeDays: number;
    /** 0: no cap */
    maxTotalBytes: number;
    intervalMinutes: number;
  };
}

export interface OutboxSection {
  batchMaxEvents: number;
  retentionHours: number;
}

export interface IdentificationSection {
  enabled: boolean;
  /** absolute folder of library.yaml; undefined: the seed library in the package */
  library?: string;
  top: number;
}

export interface SimulatorConfig {
  id: string;
  /** rpm: Modbus TCP portal; rpm-line: the tagged line protocol over TCP; n42-drop: N42 files into a folder */
  kind: 'rpm' | 'rpm-line' | 'rpm-rtu' | 'n42-drop' | 'spectrometer-serial' | 'xray-opcua' | 'cargo-scanner' | 'sync-station';
  /** cargo-scanner: POST scans to webhookUrl (webhook) or serve them for polling (poll, the default) */
  mode?: 'webhook' | 'poll';
  /** cargo-scanner webhook mode: the gateway's /v1/scanners/{path}/results */
  webhookUrl?: string;
  /** spectrometer-serial: ms between measurements */
  intervalMs?: number;
  /** rpm-rtu: the unit ids on the simulated RS-485 line */
  units?: number[];
  /** n42-drop: the watched folder (documents go to its incoming/); xray-opcua: its state folder (PKI, scan counter) */
  folder?: string;
  host: string;
  port: number;
  scenario: string;
  seed?: number;
  unitId: number;
}

export interface SerialLine {
  path: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
}

export type OpcUaSecurityPolicy = 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep';
export type OpcUaSecurityMode = 'SignAndEncrypt' | 'Sign' | 'None';

export type OpcUaIdentity =
  | { type: 'anonymous' }
  /** password resolved from password or passwordFile */
  | { type: 'username'; username: string; password: string }
  /** PEM files, read when the connector starts */
  | { type: 'certificate'; certFile: string; keyFile: string };

/** OPC UA client settings of one device, defaults applied (src/connectors/opcua.ts). */
export interface OpcUaConnection {
  /** absent when the device names a built-in simulator */
  endpointUrl?: string;
  security: { policy: OpcUaSecurityPolicy; mode: OpcUaSecurityMode; allowInsecure: boolean };
  identity: OpcUaIdentity;
  /** trust on first use (pinned per device); default false */
  trustUnknownServer: boolean;
  /** absolute: the client PKI folder (own/, trusted/, rejected/), default {dataDir}/pki/opcua */
  pkiDir: string;
  applicationUri?: string;
  connectTimeoutMs?: number;
}

/** Exactly one way to reach the device (the schema enforces it). */
export interface DeviceConnection {
  host?: string;
  port?: number;
  simulator?: string;
  unitId: number;
  serial?: SerialLine;
  folder?: string;
  ingestPath?: string;
  /** OPC UA client settings: with endpointUrl, or next to a simulator */
  opcua?: OpcUaConnection;
  /** a vendor REST API polled with a since-id cursor */
  url?: string;
  pageSize?: number;
  bearerToken?: string;
  /** ingestPath: requests must carry an HMAC-SHA256 signature under this secret */
  webhookSecret?: string;
  replayWindowS?: number;
}

export interface DeviceConfig {
  id: string;
  adapter: string;
  /** overrides the adapter's class and technique for this device */
  deviceClass?: DeviceClass;
  technique?: string;
  enabled: boolean;
  laneId?: string;
  vendor?: string;
  model?: string;
  serial?: string;
  firmware?: string;
  pollIntervalMs?: number;
  timeoutMs?: number;
  options: Record<string, unknown>;
  connection: DeviceConnection;
}

export interface GatewayConfig {
  gateway: GatewaySection;
  mqtt: MqttSection;
  http: HttpSection;
  outbox: OutboxSection;
  identification: IdentificationSection;
  artifacts: ArtifactsSection;
  simulators: SimulatorConfig[];
  devices: DeviceConfig[];
  /** where the file was read from, for relative paths */
  baseDir: string;
}
