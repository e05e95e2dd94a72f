import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load-config.js';

const base = 'gateway:\n  id: gw-1\n  siteId: BGSOF\n  dataDir: /tmp/bl-config-test\n';

describe('artifacts and scanner upload configuration', () => {
  it('has defaults: 64 MiB artifacts, no retention limits, upload limits', () => {
    const c = parseConfig(base, 'test.yaml', { env: {} });
    expect(c.artifacts).toEqual({ maxBytes: 64 * 1024 * 1024, retention: { maxAgeDays: 0, maxTotalBytes: 0, intervalMinutes: 60 } });
    expect(c.http.scannerUpload).toEqual({ maxImageBytes: 20 * 1024 * 1024, maxImages: 8, maxResultBytes: 1024 * 1024 });
  });

  it('reads retention, upload limits and a cargo-scanner simulator', () => {
    const c = parseConfig(`${base}artifacts:
  maxBytes: 1048576
  retention: { maxAgeDays: 30, maxTotalBytes: 10737418240, intervalMinutes: 15 }
http:
  scannerUpload: { maxImageBytes: 4096, maxImages: 2, maxResultBytes: 2048 }
simulators:
  - { id: cargo, kind: cargo-scanner, mode: webhook, webhookUrl: "http://127.0.0.1:8080/v1/scanners/lane3/results", scenario: alarm }
`, 'test.yaml', { env: {} });
    expect(c.artifacts).toEqual({ maxBytes: 1048576, retention: { maxAgeDays: 30, maxTotalBytes: 10737418240, intervalMinutes: 15 } });
    expect(c.http.scannerUpload).toEqual({ maxImageBytes: 4096, maxImages: 2, maxResultBytes: 2048 });
    expect(c.simulators[0]).toMatchObject({ kind: 'cargo-scanner', mode: 'webhook', webhookUrl: 'http://127.0.0.1:8080/v1/scanners/lane3/results', scenario: 'alarm' });
  });

  it('refuses nonsense', () => {
    expect(() => parseConfig(`${base}artifacts:\n  retention: { maxAgeDays: -1 }\n`, 'test.yaml', { env: {} })).toThrow(/maxAgeDays/);
    expect(() => parseConfig(`${base}http:\n  scannerUpload: { maxImages: 0 }\n`, 'test.yaml', { env: {} })).toThrow(/maxImages/);
  });
});
