/** The configuration after validation, defaults, environment overlay and secret resolution. Frozen. */
import type { LevelWithSilent } from 'pino';
import type { DeviceClass } from '../schema/detection-event.js';
import type { JwtSpec } from '../security/authenticator.js';

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

export type Role = 'viewer' | 'operator' | 'integrator' | 'admin';

export interface EmbeddedBrokerUser {
  username: string;
  /** resolved from password or passwordFile; undefined: certificate only (mTLS listener) */
  password?: string;
  /** the agency the user belongs to; undefined: the operating authority (reads everything) */
  agency?: string;
  roles: Role[];
}

/** The embedded broker's TLS listener (files absolute). */
export interface EmbeddedBrokerTls {
  host: string;
  port: number;
  certFile: string;
  keyFile: string;
  caFile?: string;
  /** mTLS: a client must present a certificate signed by caFile whose CN is a configured user */
  requireClientCert: boolean;
}

/** One agency's policy as configured (compiled and checked by src/sharing). */
export interface AgencyConfig {
  id: string;
  name?: string;
  receive: { sites?: string[]; deviceClasses?: DeviceClass[]; eventTypes?: string[] };
  redact: string[];
}

export type Classification = 'public' | 'internal' | 'restricted';

export interface SharingSection {
  defaultClassification: Classification;
  rules: { match: { site?: string | string[]; deviceClass?: DeviceClass | DeviceClass[]; eventType?: string | string[]; outcomeState?: string | string[] }; classification: Classification }[];
}

export interface AuditSection {
  enabled: boolean;
  /** absolute */
  file: string;
  accessReads: 'all' | 'denied';
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
  embedded: { host: string; port: number; users: EmbeddedBrokerUser[]; tls?: EmbeddedBrokerTls };
  /** external broker: agency accounts for the generated Mosquitto ACL file */
  agencyUsers: { username: string; agency?: string }[];
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
  /** time to receive a whole request; 0: none (responses such as SSE are not bounded by it) */
  requestTimeoutMs: number;
  /** idle socket timeout; 0: none */
  connectionTimeoutMs: number;
  /** per identity, or per client address before one is known */
  rateLimit: { max: number; timeWindowMs: number };
  /** HTTPS from these files (absolute); caFile: clients must present a certificate it signed */
  tls?: { certFile: string; keyFile: string; caFile?: string };
}

/** One scoped REST API key (identities.apiKeys), its secret resolved from key or keyFile. */
export interface ApiKeyIdentityConfig {
  name: string;
  key: string;
  /** undefined: the operating authority */
  agency?: string;
  roles: Role[];
}

/** JWT bearer tokens (identities.jwt); jwksFile absolute, read when the REST server starts. */
export type JwtIdentityConfig = JwtSpec;

export interface IdentitiesSection {
  apiKeys: ApiKeyIdentityConfig[];
  jwt?: JwtIdentityConfig;
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
  /** published events older than this are pruned; 0: no age limit */
  retentionHours: number;
  /** at most this many published events are kept; 0: no count limit */
  retainMaxEvents: number;
  /** size cap of the outbox database (live pages), bytes */
  maxBytes: number;
  /** fraction of maxBytes where the cap is announced and published events are pruned to make room */
  warnAtFraction: number;
  /** budget of quarantine records, bytes */
  quarantineMaxBytes: number;
  /** quarantine records older than this are pruned; 0: kept */
  quarantineRetentionHours: number;
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
  /** empty: single-operator mode */
  agencies: AgencyConfig[];
  sharing: SharingSection;
  audit: AuditSection;
  /** REST identities besides the legacy http.apiKeys */
  identities: IdentitiesSection;
  /** where the file was read from, for relative paths */
  baseDir: string;
}
