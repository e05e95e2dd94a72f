/**
 * A simulated X-ray scanner served as an OPC UA server (node-opcua): the address space of
 * address-space.ts, scans on a timer (or on demand), a PKI of its own that survives restarts,
 * security None and SignAndEncrypt with Basic256Sha256 or Aes128_Sha256_RsaOaep, anonymous and/or
 * user/password identities. README.md has the node ids and the scenarios.
 *
 * Faults for tests: `stallPublishing(true)` makes the server swallow Publish requests while the
 * channel, the session and every other service keep working: the "subscription silently stops
 * delivering" case a client can only notice by the missing keep-alives. It replaces the server's
 * handler of PublishRequest (node-opcua dispatches each request to `_on_<RequestName>` looked up
 * on the instance): a node-opcua internal, acceptable in a simulator, checked by the tests.
 */
import { X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy } from 'node-opcua';
import { routeNodeOpcuaLogs } from '../../src/connectors/opcua-link.js';
import { BorderlinkError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { buildScannerAddressSpace, XRAY_NAMESPACE_URI, type ScannerNodes, type ScannerStateName } from './address-space.js';
import {
  isXrayScenario, makeScan, operatorDecisionFor, scenarioFor, XRAY_SCENARIOS, type OperatorDecision, type ScanResult, type ScanScenarioName, type XrayScenario,
} from './scenarios.js';
import { loadMemory, saveMemory, type ScannerMemory } from './state-store.js';

export { XRAY_NAMESPACE_URI };

export interface XrayOpcuaSimulatorOptions {
  host?: string;
  /** 0: an ephemeral port (reported as `port`) */
  port?: number;
  /** PKI (pki/) and scan memory (scanner-state.json) live here */
  stateDir: string;
  /** an XrayScenario (scenarios.ts); anything else is refused */
  scenario?: string;
  /** ms between scans (default 5000); scenario idle never scans on its own */
  intervalMs?: number;
  /** ms a scan takes (State scanning) before its result is published (default min(300, intervalMs / 3)) */
  scanMs?: number;
  /** ms from a reviewed scan to the operator's decision (default 200) */
  decisionDelayMs?: number;
  /** user/password identities the server accepts */
  users?: Array<{ username: string; password: string }>;
  /** default: true when no users are given */
  allowAnonymous?: boolean;
  /** accept any client certificate (default true: a simulator); false: only those in pki/trusted/certs */
  trustAnyClient?: boolean;
  logger: Logger;
  /** clock for scan times (default Date.now) */
  now?: () => number;
}

export interface XrayOpcuaSimulator {
  readonly host: string;
  readonly port: number;
  readonly endpointUrl: string;
  readonly namespaceUri: string;
  /** the server's certificate (DER) */
  readonly certificate: Buffer;
  readonly scenario: XrayScenario;
  /** Runs one scan now (scenario: the configured one's for the next ScanSequence) and publishes it. */
  scan(scenario?: ScanScenarioName): ScanResult;
  /** Pauses or resumes the automatic scans. */
  setScanning(on: boolean): void;
  setState(state: ScannerStateName): void;
  /** Swallow Publish requests (a subscription that silently stops) or answer them again. */
  stallPublishing(on: boolean): void;
  lastScan(): ScanResult | null;
  /** ScanSequence of the last scan */
  scanSequence(): number;
  /** sessions currently open on the server */
  sessionCount(): number;
  close(): Promise<void>;
}

type RequestHandler = (message: unknown, channel: unknown) => void;

export async function startXrayOpcuaSimulator(opts: XrayOpcuaSimulatorOptions): Promise<XrayOpcuaSimulator> {
  routeNodeOpcuaLogs(opts.logger); // node-opcua's console.log diagnostics would pollute stdout (the ready line)
  const log = opts.logger;
  const host = opts.host ?? '127.0.0.1';
  const wanted = opts.scenario ?? 'cycle';
  if (!isXrayScenario(wanted)) throw new BorderlinkError('BL_ERR_SIMULATOR', `unknown xray-opcua scenario "${wanted}"; valid: ${XRAY_SCENARIOS.join(', ')}`);
  const scenario: XrayScenario = wanted;
  const intervalMs = opts.intervalMs ?? 5_000;
  const scanMs = opts.scanMs ?? Math.min(300, Math.floor(intervalMs / 3));
  const decisionDelayMs = opts.decisionDelayMs ?? 200;
  const now = opts.now ?? Date.now;
  const users = opts.users ?? [];
  const allowAnonymous = opts.allowAnonymous ?? users.length === 0;
  mkdirSync(opts.stateDir, { recursive: true });
  const memory: ScannerMemory = loadMemory(opts.stateDir);

  const cm = new OPCUACertificateManager({ rootFolder: path.join(opts.stateDir, 'pki'), automaticallyAcceptUnknownCertificate: opts.trustAnyClient ?? true });
  await cm.initialize();
  // user certificates (X.509 identities): in the state folder too, or node-opcua makes one in ~/.config
  const userCm = new OPCUACertificateManager({ rootFolder: path.join(opts.stateDir, 'user-pki'), automaticallyAcceptUnknownCertificate: opts.trustAnyClient ?? true });
  await userCm.initialize();
  const server = new OPCUAServer({
    host,
    hostname: host,
    port: opts.port ?? 0,
    serverCertificateManager: cm,
    userCertificateManager: userCm,
    securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
    securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256, SecurityPolicy.Aes128_Sha256_RsaOaep],
    allowAnonymous,
    userManager: { isValidUser: (u: string, p: string) => users.some((x) => x.username === u && x.password === p) },
    serverInfo: { applicationUri: `${XRAY_NAMESPACE_URI}:server`, productUri: XRAY_NAMESPACE_URI, applicationName: { text: 'BorderLink X-ray scanner simulator' } },
    buildInfo: { productName: 'BorderLink X-ray scanner simulator', manufacturerName: 'BorderLink (simulated)', softwareVersion: '1.0.0' },
    disableDiscovery: false,
    // 0: an item that asks for sampling interval 0 gets every change, as written (node-opcua
    // otherwise coalesces the changes of each 50 ms window, so two scans 10 ms apart lose one)
    serverCapabilities: { minSupportedSampleRate: 0 },
  });
  let nodes: ScannerNodes;
  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('the OPC UA server has no address space');
    nodes = buildScannerAddressSpace(addressSpace, {
      manufacturer: 'BorderLink Simulated Imaging', model: 'XR-SIM 6040', serialNumber: 'XRSIM-0001', softwareVersion: '1.0.0',
      algorithmName: 'SIM-ATR', algorithmVersion: '2.3',
    });
    nodes.restore(memory.lastScan, memory.lastDecision);
    await server.start();
  } catch (e) {
    await server.shutdown(0).catch(() => undefined);
    await cm.dispose().catch(() => undefined);
    await userCm.dispose().catch(() => undefined);
    throw e;
  }
  const port = server.endpoints[0]?.port ?? 0;
  const endpointUrl = `opc.tcp://${host}:${port}`;
  const certificate = server.getCertificate();

  // ---- scans ----
  let closed = false;
  let scanning = scenario !== 'idle';
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      timers.delete(t);
      if (!closed) fn();
    }, ms);
    timers.add(t);
  };

  function completeScan(which: ScanScenarioName | undefined): ScanResult {
    const seq = memory.scanSequence + 1;
    const scan = makeScan(which ?? scenarioFor(scenario, seq), seq, now());
    memory.scanSequence = seq;
    memory.lastScan = scan;
    saveMemory(opts.stateDir, memory); // before publishing: a kill never reuses the number
    nodes.publishScan(scan);
    nodes.setState('ready');
    log.info({ scanId: scan.scanId, scanSequence: seq, scenario: scan.scenario, alarmDecision: scan.alarmDecision, abort: scan.abortFlag }, 'scan completed');
    if (scan.scenario === 'operator-override') {
      later(decisionDelayMs, () => {
        const d: OperatorDecision | undefined = operatorDecisionFor(scan, memory.operatorSequence + 1, now());
        if (!d) return;
        memory.operatorSequence = d.sequence;
        memory.lastDecision = d;
        saveMemory(opts.stateDir, memory);
        nodes.publishDecision(d);
        log.info({ scanId: d.scanId, decision: d.decision, operatorId: d.operatorId }, 'operator decision');
      });
    }
    return scan;
  }

  function tick(): void {
    if (!scanning) return;
    nodes.setState('scanning');
    later(scanMs, () => {
      if (scanning) completeScan(undefined);
      else nodes.setState('ready');
    });
  }
  let interval: NodeJS.Timeout | undefined;
  const startTimer = (): void => {
    clearInterval(interval);
    interval = setInterval(() => {
      if (!closed) tick();
    }, intervalMs);
  };
  if (scenario !== 'idle') startTimer();

  // ---- faults ----
  const dispatch = server as unknown as Record<string, RequestHandler | undefined>;
  const originalPublish = dispatch._on_PublishRequest;
  if (typeof originalPublish !== 'function') log.warn('node-opcua has no _on_PublishRequest: stallPublishing will not work');

  log.info({ endpointUrl, namespaceUri: XRAY_NAMESPACE_URI, scenario, intervalMs, allowAnonymous, users: users.length, scanSequence: memory.scanSequence }, 'X-ray OPC UA simulator listening');

  return {
    host,
    port,
    endpointUrl,
    namespaceUri: XRAY_NAMESPACE_URI,
    certificate,
    scenario,
    scan(which) {
      return completeScan(which);
    },
    setScanning(on) {
      scanning = on;
      if (on && interval === undefined) startTimer();
    },
    setState(s) {
      nodes.setState(s);
    },
    stallPublishing(on) {
      if (typeof originalPublish !== 'function') return;
      if (on) dispatch._on_PublishRequest = () => undefined;
      else delete dispatch._on_PublishRequest;
      log.info({ stalled: on }, 'publish requests');
    },
    lastScan: () => memory.lastScan,
    scanSequence: () => memory.scanSequence,
    sessionCount: () => server.currentSessionCount,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(interval);
      for (const t of timers) clearTimeout(t);
      timers.clear();
      await server.shutdown(0);
      await cm.dispose().catch(() => undefined);
      await userCm.dispose().catch(() => undefined);
      log.info({ endpointUrl }, 'X-ray OPC UA simulator stopped');
    },
  };
}

/** Subject and validity of a certificate, for logs and the CLI. */
export function certificateSummary(der: Buffer): string {
  try {
    const x = new X509Certificate(der);
    return `${x.subject.replace(/\n/g, ', ')} (valid to ${x.validTo})`;
  } catch {
    return 'unparsable certificate';
  }
}
