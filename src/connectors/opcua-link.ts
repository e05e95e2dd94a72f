/**
 * One OPC UA connection of the connector, start to finish, over node-opcua: discovery, trust,
 * secure channel, session, node resolution, subscription and monitored items. The connector
 * (opcua.ts) owns the loop, the watchdog and the frames; this module owns every node-opcua call,
 * and is loaded lazily (node-opcua takes seconds and ~100 MB to load), so a gateway without OPC UA
 * devices never pays for it.
 *
 * node-opcua's own reconnection (secure channel repair, session reactivation, subscription
 * transfer) is switched off (connectionStrategy.maxRetry 0): when anything breaks the connector
 * throws the whole link away and opens a new one, which is simpler to reason about than the
 * library's repair state machine and always ends with fresh, verified subscriptions.
 *
 * Relied on from node-opcua 2.182 beyond its documented API: ClientSubscription emits
 * 'raw_notification' with every PublishResponse's NotificationMessage (keep-alives included)
 * before it dispatches the items, and monitored items carry the clientHandle the server echoes.
 */
import { readFileSync } from 'node:fs';
import { format } from 'node:util';
import {
  AttributeIds, DataChangeNotification, EventNotificationList, MessageSecurityMode, OPCUAClient,
  SecurityPolicy, TimestampsToReturn, UserTokenType, constructEventFilter, setDebugLogger, setErrorLogger, setWarningLogger,
  BrowsePath, type ClientMonitoredItem, type ClientSession, type DataValue, type EndpointDescription,
  type NotificationMessage, type ReadValueIdOptions, type UserIdentityInfo,
} from 'node-opcua';
import type { OpcUaPlan } from '../adapter/types.js';
import type { OpcUaIdentity, OpcUaSecurityMode, OpcUaSecurityPolicy } from '../config/types.js';
import { describeError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import type { JsonValue } from '../schema/detection-event.js';
import {
  eventFieldKey, namespaceIndex, nodeIdText, parseBrowsePath, parseNodeRef, parseNotifier, type NodeRef, type QualifiedNameRef,
} from './opcua-address.js';
import type { ItemValue } from './opcua-frames.js';
import { APPLICATION_NAME, type ClientPki } from './opcua-pki.js';
import { dataValueToJson, variantToJson } from './opcua-values.js';

export { openClientPki, DEFAULT_APPLICATION_URI } from './opcua-pki.js';

export type PublishEntry = { kind: 'data'; items: ItemValue[] } | { kind: 'event'; fields: { [name: string]: JsonValue } };

/** One PublishResponse: no entries is a keep-alive. */
export interface PublishBatch {
  entries: PublishEntry[];
}

export interface LinkParams {
  deviceId: string;
  endpointUrl: string;
  policy: OpcUaSecurityPolicy;
  mode: OpcUaSecurityMode;
  identity: OpcUaIdentity;
  trustUnknownServer: boolean;
  pinnedServerCertificate?: Buffer;
  pki: ClientPki;
  applicationUri: string;
  plan: OpcUaPlan;
  /** the whole opening (discovery to the last monitored item) must fit in this */
  timeoutMs: number;
  /** aborts an opening under way (stop) */
  signal: AbortSignal;
  log: Logger;
  /** every PublishResponse, in order */
  onPublish(batch: PublishBatch): void;
  /** the link broke (channel closed, session closed, subscription terminated); called at most once */
  onLost(reason: string): void;
}

export interface OpcUaLink {
  /** as revised by the server */
  readonly publishingIntervalMs: number;
  readonly keepAliveCount: number;
  /** security actually in use, for logs */
  readonly security: string;
  /** the current value of every plan node, in plan order */
  readAll(): Promise<ItemValue[]>;
  /** graceful: close the session (deleting its subscription) first; bounded by timeoutMs either way */
  close(graceful: boolean, timeoutMs: number): Promise<void>;
}

export type OpenOutcome =
  | { ok: true; link: OpcUaLink }
  | { ok: false; state: 'offline' | 'degraded'; code: ErrorCode; message: string };

export type OpenOpcUaLink = (p: LinkParams) => Promise<OpenOutcome>;

class StepFailure extends Error {
  constructor(readonly state: 'offline' | 'degraded', readonly code: ErrorCode, message: string) {
    super(message);
  }
}

let routed = false;

/**
 * node-opcua writes its diagnostics with console.log (stdout, where the daemon's JSON logs and a
 * simulator's ready line go): route them into pino once per process, at debug level, since our own
 * log lines already say what matters.
 */
export function routeNodeOpcuaLogs(log: Logger): void {
  if (routed) return;
  routed = true;
  const child = log.child({ component: 'node-opcua' });
  const sink = (level: 'debug' | 'trace') => (...args: unknown[]): void => {
    // the first argument is node-opcua's caller context ({ filename, callerline })
    child[level]({ detail: format(...args.slice(1)).slice(0, 2000) }, 'node-opcua');
  };
  setWarningLogger(sink('debug'));
  setErrorLogger(sink('debug'));
  setDebugLogger(sink('trace'));
}

const MODE: Record<OpcUaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

function policyUri(mode: OpcUaSecurityMode, policy: OpcUaSecurityPolicy): SecurityPolicy {
  if (mode === 'None') return SecurityPolicy.None;
  return policy === 'Aes128_Sha256_RsaOaep' ? SecurityPolicy.Aes128_Sha256_RsaOaep : SecurityPolicy.Basic256Sha256;
}

const TOKEN_NAMES: Record<number, string> = { [UserTokenType.Anonymous]: 'anonymous', [UserTokenType.UserName]: 'username', [UserTokenType.Certificate]: 'certificate', [UserTokenType.IssuedToken]: 'issued token' };

function describeEndpoint(e: EndpointDescription): string {
  const policy = (e.securityPolicyUri ?? '').replace(/^.*#/, '');
  return `${MessageSecurityMode[e.securityMode] ?? String(e.securityMode)}/${policy}`;
}

function readIdentity(identity: OpcUaIdentity): UserIdentityInfo {
  switch (identity.type) {
    case 'anonymous':
      return { type: UserTokenType.Anonymous };
    case 'username':
      return { type: UserTokenType.UserName, userName: identity.username, password: identity.password };
    case 'certificate': {
      let certPem: string;
      let keyPem: string;
      try {
        certPem = readFileSync(identity.certFile, 'utf8');
        keyPem = readFileSync(identity.keyFile, 'utf8');
      } catch (e) {
        throw new StepFailure('offline', 'BL_ERR_OPCUA_SESSION_REFUSED', `identity certificate or key cannot be read: ${(e as NodeJS.ErrnoException).code ?? describeError(e).message}`);
      }
      const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(certPem);
      if (!m) throw new StepFailure('offline', 'BL_ERR_OPCUA_SESSION_REFUSED', `identity certificate ${identity.certFile} holds no PEM certificate`);
      const certificateData = Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64');
      return { type: UserTokenType.Certificate, certificateData, privateKey: keyPem };
    }
  }
}

const TOKEN_OF: Record<OpcUaIdentity['type'], UserTokenType> = { anonymous: UserTokenType.Anonymous, username: UserTokenType.UserName, certificate: UserTokenType.Certificate };

export const openOpcUaLink: OpenOpcUaLink = async (p) => {
  const deadline = Date.now() + p.timeoutMs;
  const clients: OPCUAClient[] = [];
  let step = 'discovery';

  /** Races a step against the deadline and stop; the step's own promise is left to settle (its client gets disconnected). */
  const within = <T>(what: string, work: Promise<T>): Promise<T> => {
    step = what;
    return new Promise<T>((resolve, reject) => {
      const left = deadline - Date.now();
      const timer = setTimeout(() => reject(new StepFailure('offline', 'BL_ERR_CONNECT_FAILED', `timed out after ${p.timeoutMs} ms (${what})`)), Math.max(0, left));
      const onAbort = (): void => reject(new StepFailure('offline', 'BL_ERR_CONNECT_FAILED', 'stopped'));
      p.signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (v) => { clearTimeout(timer); p.signal.removeEventListener('abort', onAbort); resolve(v); },
        (e: unknown) => { clearTimeout(timer); p.signal.removeEventListener('abort', onAbort); reject(e); },
      );
    });
  };

  const common = {
    applicationName: APPLICATION_NAME,
    applicationUri: p.applicationUri,
    clientCertificateManager: p.pki.cm,
    certificateFile: p.pki.certificateFile,
    privateKeyFile: p.pki.privateKeyFile,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 500 },
    keepSessionAlive: false,
    keepPendingSessionsOnDisconnect: true,
    requestedSessionTimeout: 60_000,
    defaultTransactionTimeout: Math.max(1_000, p.timeoutMs),
  };

  const disconnectAll = async (): Promise<void> => {
    await Promise.allSettled(clients.map((c) => Promise.race([c.disconnect(), new Promise((r) => setTimeout(r, 2_000))])));
  };

  try {
    if (p.signal.aborted) throw new StepFailure('offline', 'BL_ERR_CONNECT_FAILED', 'stopped');
    // 1. discovery over an unsecured channel (GetEndpoints is always allowed there): the server's
    //    endpoints, and its certificate, which we judge ourselves before trusting anything it says
    const discovery = OPCUAClient.create({ ...common, securityMode: MessageSecurityMode.None, securityPolicy: SecurityPolicy.None });
    clients.push(discovery);
    let endpoints: EndpointDescription[];
    try {
      await within('connect', discovery.connect(p.endpointUrl));
      endpoints = await within('GetEndpoints', discovery.getEndpoints());
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure('offline', 'BL_ERR_CONNECT_FAILED', `connect to ${p.endpointUrl} failed: ${describeError(e).message}`);
    } finally {
      await Promise.race([discovery.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 2_000))]);
      clients.splice(clients.indexOf(discovery), 1);
    }
    const wantMode = MODE[p.mode];
    const wantPolicy = policyUri(p.mode, p.policy);
    const endpoint = endpoints.find((e) => e.securityMode === wantMode && e.securityPolicyUri === wantPolicy);
    const security = `${p.mode}/${wantPolicy.replace(/^.*#/, '')}`;
    if (!endpoint) {
      throw new StepFailure('offline', 'BL_ERR_OPCUA_SESSION_REFUSED',
        `server offers no endpoint with ${security} (it offers: ${[...new Set(endpoints.map(describeEndpoint))].join(', ') || 'none'})`);
    }
    const tokenType = TOKEN_OF[p.identity.type];
    if (!(endpoint.userIdentityTokens ?? []).some((t) => t.tokenType === tokenType)) {
      const offered = (endpoint.userIdentityTokens ?? []).map((t) => TOKEN_NAMES[t.tokenType] ?? String(t.tokenType));
      throw new StepFailure('offline', 'BL_ERR_OPCUA_SESSION_REFUSED', `the ${security} endpoint does not accept a ${p.identity.type} identity (it accepts: ${[...new Set(offered)].join(', ') || 'none'})`);
    }

    // 2. trust
    const serverCertificate = endpoint.serverCertificate && endpoint.serverCertificate.length > 0 ? endpoint.serverCertificate : undefined;
    if (p.mode !== 'None') {
      if (!serverCertificate) throw new StepFailure('offline', 'BL_ERR_OPCUA_SERVER_UNTRUSTED', 'the server sent no certificate for a secure endpoint');
      step = 'certificate check';
      const decision = await p.pki.checkServer(serverCertificate, { deviceId: p.deviceId, trustUnknownServer: p.trustUnknownServer, ...(p.pinnedServerCertificate ? { pinned: p.pinnedServerCertificate } : {}) });
      if (!decision.ok) throw new StepFailure('offline', 'BL_ERR_OPCUA_SERVER_UNTRUSTED', decision.message);
      if (decision.how === 'first-use') {
        p.log.warn({ thumbprint: decision.thumbprint, trustedDir: p.pki.trustedDir }, 'OPC UA server certificate trusted on first use (trustUnknownServer) and pinned for this device');
      }
    }

    // 3. secure channel and session, with the certificate we accepted (node-opcua checks the
    //    server's signature against it, so a server holding another key cannot answer)
    const client = OPCUAClient.create({ ...common, securityMode: wantMode, securityPolicy: wantPolicy, ...(p.mode !== 'None' && serverCertificate ? { serverCertificate } : {}) });
    clients.push(client);
    try {
      await within('secure channel', client.connect(p.endpointUrl));
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure('offline', 'BL_ERR_OPCUA_SESSION_REFUSED',
        `secure channel ${security} refused: ${describeError(e).message} (does the server trust the gateway's certificate ${p.pki.certificateFile}?)`);
    }
    let session: ClientSession;
    try {
      session = await within('session', client.createSession(readIdentity(p.identity)));
    } catch (e) {
      if (e instanceof StepFailure) throw e;
      throw new StepFailure('offline', 'BL_ERR_OPCUA_SESSION_REFUSED', `session refused (${p.identity.type} identity): ${describeError(e).message}`);
    }

    // 4. the plan's nodes
    const namespaces = await within('NamespaceArray', session.readNamespaceArray());
    const resolved = await resolvePlan(p.plan, session, namespaces, within);

    // 5. subscription and monitored items
    const sub = await within('CreateSubscription', session.createSubscription2({
      requestedPublishingInterval: p.plan.publishingIntervalMs,
      requestedMaxKeepAliveCount: p.plan.keepAliveCount,
      requestedLifetimeCount: Math.max(p.plan.keepAliveCount * 10, 30),
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    }));
    const handleToName = new Map<number, string>();
    let eventHandle: number | undefined;
    const eventKeys = resolved.eventFields.map((f) => f.key);

    let closing = false;
    let lost = false;
    const lose = (reason: string): void => {
      if (closing || lost) return;
      lost = true;
      p.onLost(reason);
    };
    const onNotification = (msg: NotificationMessage): void => {
      if (closing) return;
      const entries: PublishEntry[] = [];
      for (const nd of msg.notificationData ?? []) {
        if (nd instanceof DataChangeNotification) {
          const items: ItemValue[] = [];
          for (const it of nd.monitoredItems ?? []) {
            const name = handleToName.get(it.clientHandle);
            if (name !== undefined) items.push({ name, ...dataValueToJson(it.value, namespaces) });
          }
          if (items.length > 0) entries.push({ kind: 'data', items });
        } else if (nd instanceof EventNotificationList) {
          for (const ev of nd.events ?? []) {
            if (ev.clientHandle !== eventHandle) continue;
            const fields: { [name: string]: JsonValue } = {};
            (ev.eventFields ?? []).forEach((v, i) => {
              const key = eventKeys[i];
              if (key !== undefined) fields[key] = variantToJson(v, namespaces);
            });
            entries.push({ kind: 'event', fields });
          }
        }
      }
      p.onPublish({ entries });
    };
    sub.on('raw_notification', onNotification);
    sub.on('terminated', () => lose('subscription terminated'));
    sub.on('status_changed', (status: { name?: string }) => lose(`subscription status ${status.name ?? 'changed'}`));
    sub.on('internal_error', (err: Error) => lose(`subscription error: ${err.message}`));
    session.on('session_closed', () => lose('session closed by the server'));
    client.on('connection_lost', () => lose('connection lost'));
    client.on('close', (err?: Error | null) => lose(err ? `connection closed: ${err.message}` : 'connection closed'));

    const monitored = await within('CreateMonitoredItems', Promise.all(resolved.nodes.map(async (n) => {
      let mi: ClientMonitoredItem;
      try {
        mi = await sub.monitor({ nodeId: n.nodeId, attributeId: AttributeIds.Value },
          { samplingInterval: n.samplingIntervalMs, queueSize: n.queueSize, discardOldest: true }, TimestampsToReturn.Both);
      } catch (e) {
        throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `node "${n.name}" (${n.nodeId}) cannot be monitored: ${describeError(e).message}`);
      }
      handleToName.set(mi.monitoringParameters.clientHandle, n.name);
      return mi;
    })));
    void monitored;
    if (resolved.events) {
      const filter = constructEventFilter(resolved.eventFields.map((f) => f.path.map((q) => ({ namespaceIndex: q.index, name: q.name }))));
      try {
        const emi = await within('CreateMonitoredItems (events)', sub.monitor({ nodeId: resolved.events, attributeId: AttributeIds.EventNotifier },
          { samplingInterval: 0, queueSize: 1000, discardOldest: true, filter }, TimestampsToReturn.Both));
        eventHandle = emi.monitoringParameters.clientHandle;
      } catch (e) {
        if (e instanceof StepFailure) throw e;
        throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `events of ${p.plan.events?.notifier ?? ''} cannot be monitored: ${describeError(e).message}`);
      }
    }

    const toRead: ReadValueIdOptions[] = resolved.nodes.map((n) => ({ nodeId: n.nodeId, attributeId: AttributeIds.Value }));
    const link: OpcUaLink = {
      publishingIntervalMs: sub.publishingInterval,
      keepAliveCount: sub.maxKeepAliveCount,
      security,
      async readAll() {
        if (toRead.length === 0) return [];
        const values: DataValue[] = await session.read(toRead, 0);
        return resolved.nodes.map((n, i) => {
          const dv = values[i];
          return dv ? { name: n.name, ...dataValueToJson(dv, namespaces) } : { name: n.name, value: null, quality: 'bad' as const };
        });
      },
      async close(graceful, timeoutMs) {
        closing = true;
        sub.removeListener('raw_notification', onNotification);
        const until = Date.now() + timeoutMs;
        const bounded = (work: Promise<unknown>, ms: number): Promise<unknown> =>
          Promise.race([work.catch(() => undefined), new Promise((r) => setTimeout(r, Math.max(0, ms)))]);
        if (graceful) await bounded(session.close(true), Math.min(1_000, (until - Date.now()) / 2));
        await bounded(client.disconnect(), until - Date.now());
      },
    };
    return { ok: true, link };
  } catch (e) {
    await disconnectAll();
    if (e instanceof StepFailure) return { ok: false, state: e.state, code: e.code, message: e.message };
    return { ok: false, state: 'offline', code: 'BL_ERR_CONNECT_FAILED', message: `${step} failed: ${describeError(e).message}` };
  }
};

interface ResolvedPlan {
  nodes: Array<{ name: string; nodeId: string; samplingIntervalMs: number; queueSize: number }>;
  /** the event notifier's node id */
  events?: string;
  eventFields: Array<{ key: string; path: Array<{ index: number; name: string }> }>;
}

type Within = <T>(what: string, work: Promise<T>) => Promise<T>;

function qualified(path: readonly QualifiedNameRef[], namespaces: readonly string[], what: string): Array<{ index: number; name: string }> {
  return path.map((q) => {
    const index = namespaceIndex(q.ns, namespaces);
    if (index === undefined) throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `${what}: namespace ${'uri' in q.ns ? q.ns.uri : ''} is not in the server's NamespaceArray`);
    return { index, name: q.name };
  });
}

/** Node ids of every plan node and of the notifier; browse paths in one TranslateBrowsePathsToNodeIds call. */
async function resolvePlan(plan: OpcUaPlan, session: ClientSession, namespaces: readonly string[], within: Within): Promise<ResolvedPlan> {
  const refs: Array<{ what: string; ref: NodeRef }> = plan.nodes.map((n) => {
    const r = parseNodeRef(n);
    if (!r.ok) throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `node "${n.name}": ${r.error}`);
    return { what: `node "${n.name}"`, ref: r.value };
  });
  if (plan.events) {
    const r = parseNotifier(plan.events.notifier);
    if (!r.ok) throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `events.notifier: ${r.error}`);
    refs.push({ what: `event notifier "${plan.events.notifier}"`, ref: r.value });
  }
  const ids: Array<string | undefined> = refs.map(({ what, ref }) => {
    if (ref.kind !== 'nodeId') return undefined;
    const t = nodeIdText(ref.nodeId, namespaces);
    if (!t.ok) throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `${what}: ${t.error}`);
    return t.value;
  });
  const paths: Array<{ at: number; path: BrowsePath }> = [];
  refs.forEach(({ what, ref }, at) => {
    if (ref.kind !== 'browsePath') return;
    paths.push({
      at,
      path: new BrowsePath({
        startingNode: 'i=85', // Objects folder
        relativePath: {
          elements: qualified(ref.path, namespaces, what).map((q) => ({
            referenceTypeId: 'i=33', // HierarchicalReferences
            isInverse: false,
            includeSubtypes: true,
            targetName: { namespaceIndex: q.index, name: q.name },
          })),
        },
      }),
    });
  });
  if (paths.length > 0) {
    const results = await within('TranslateBrowsePathsToNodeIds', session.translateBrowsePath(paths.map((x) => x.path)));
    const missing: string[] = [];
    results.forEach((r, i) => {
      const at = (paths[i] as { at: number }).at;
      const target = r.targets?.[0];
      if (r.statusCode.isNotGood() || !target) missing.push(`${(refs[at] as { what: string }).what} (${r.statusCode.name})`);
      else ids[at] = target.targetId.toString();
    });
    if (missing.length > 0) throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `browse path not found on the server: ${missing.join(', ')}`);
  }
  const eventFields = (plan.events?.fields ?? []).map((f) => {
    const r = parseBrowsePath(f);
    if (!r.ok) throw new StepFailure('degraded', 'BL_ERR_OPCUA_NODE_UNRESOLVED', `events.fields: ${r.error}`);
    return { key: eventFieldKey(r.value), path: qualified(r.value, namespaces, `event field "${f}"`) };
  });
  return {
    nodes: plan.nodes.map((n, i) => ({ name: n.name, nodeId: ids[i] as string, samplingIntervalMs: n.samplingIntervalMs, queueSize: n.queueSize })),
    ...(plan.events ? { events: ids[plan.nodes.length] as string } : {}),
    eventFields,
  };
}
