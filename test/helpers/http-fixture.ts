/** Builds the REST server over the in-memory store for tests; `close` releases everything. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { Counter, Registry } from 'prom-client';
import { createLiveEvents, type LiveEventsHub } from '../../src/http/live-events.js';
import { createHttpServer, type HttpDeps, type HttpLimits, type Readiness } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { createMemoryStore, type MemoryStore } from './memory-store.js';
import { sampleEvents } from './sample-events.js';

export interface HttpFixture {
  app: FastifyInstance;
  store: MemoryStore;
  hub: LiveEventsHub;
  registry: Registry;
  artifactsDir: string;
  readiness: { current: Readiness };
  close(): Promise<void>;
}

export async function httpFixture(opts: {
  apiKeys?: string[];
  limits?: HttpLimits;
  empty?: boolean;
  /** replaces auth: { apiKeys } (identities, JWT) */
  auth?: HttpDeps['auth'];
  onAccess?: HttpDeps['onAccess'];
  tls?: HttpDeps['tls'];
} = {}): Promise<HttpFixture> {
  const store = createMemoryStore(opts.empty === true ? [] : sampleEvents());
  const hub = createLiveEvents();
  const registry = new Registry();
  const counter = new Counter({ name: 'borderlink_test_events_total', help: 'test counter', registers: [registry] });
  counter.inc(3);
  const artifactsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bl-http-artifacts-'));
  const readiness = { current: { ready: true, checks: { outbox: true, mqtt: true } } as Readiness };
  const app = await createHttpServer({
    store,
    live: hub,
    metrics: registry,
    readiness: () => readiness.current,
    auth: opts.auth ?? { apiKeys: opts.apiKeys ?? [] },
    ...(opts.onAccess !== undefined ? { onAccess: opts.onAccess } : {}),
    ...(opts.tls !== undefined ? { tls: opts.tls } : {}),
    limits: { maxPageSize: 5, defaultPageSize: 3, ...opts.limits },
    artifactsDir,
    logger: silentLogger(),
    version: '0.1.0-test',
  });
  return {
    app, store, hub, registry, artifactsDir, readiness,
    async close() {
      await app.close();
      fs.rmSync(artifactsDir, { recursive: true, force: true });
    },
  };
}
