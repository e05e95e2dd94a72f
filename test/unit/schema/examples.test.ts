/**
 * The worked examples in schemas/README.md are documentation users copy from, so they are held
 * to the contract: each README block is byte-for-byte its file in schemas/examples/, validates,
 * survives a protobuf round trip, and is internally consistent.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src/package-root.js';
import type { DetectionEvent } from '../../../src/schema/detection-event.js';
import { createProtobufCodec } from '../../../src/schema/protobuf.js';
import { createEventValidator } from '../../../src/schema/validator.js';

const root = packageRoot();
const readme = readFileSync(resolve(root, 'schemas/README.md'), 'utf8');
const EXAMPLES = [
  { file: 'examples/rpm.json', deviceClass: 'radiation-portal-monitor' },
  { file: 'examples/spectrometer.json', deviceClass: 'spectrometer' },
  { file: 'examples/xray.json', deviceClass: 'xray-scanner' },
] as const;

/** README blocks marked `<!-- example: examples/x.json -->` followed by a json code fence. */
function readmeBlocks(): Map<string, string> {
  const blocks = new Map<string, string>();
  for (const m of readme.matchAll(/<!-- example: (\S+) -->\n```json\n([\s\S]*?)```/g)) {
    blocks.set(m[1] ?? '', m[2] ?? '');
  }
  return blocks;
}

/** ISO 6346 check digit, also used for EU MRNs: letters skip multiples of 11. */
function iso6346CheckDigit(s: string): number {
  let sum = 0;
  [...s].forEach((c, i) => {
    let v = Number(c);
    if (Number.isNaN(v)) {
      v = 10;
      for (let code = 65; code < c.charCodeAt(0); code++) {
        v += 1;
        if (v % 11 === 0) v += 1;
      }
    }
    sum += v * 2 ** i;
  });
  return (sum % 11) % 10;
}

function casValid(cas: string): boolean {
  const digits = cas.replace(/-/g, '');
  const body = [...digits.slice(0, -1)].reverse();
  const sum = body.reduce((acc, d, i) => acc + Number(d) * (i + 1), 0);
  return sum % 10 === Number(digits.slice(-1));
}

describe('worked examples', () => {
  const validator = createEventValidator();
  const codec = createProtobufCodec();

  it('README has exactly one block per example file and each equals its file', () => {
    const blocks = readmeBlocks();
    expect([...blocks.keys()]).toEqual(EXAMPLES.map((e) => e.file));
    for (const { file } of EXAMPLES) {
      expect(blocks.get(file), file).toBe(readFileSync(resolve(root, 'schemas', file), 'utf8'));
    }
  });

  describe.each(EXAMPLES)('$file', ({ file, deviceClass }) => {
    const event = JSON.parse(readFileSync(resolve(root, 'schemas', file), 'utf8')) as DetectionEvent;

    it('validates against the schema', () => {
      expect(validator.validate(event)).toEqual({ ok: true });
    });

    it('round-trips through protobuf unchanged', () => {
      expect(codec.decode(codec.encode(event))).toStrictEqual(event);
    });

    it('is a result of its equipment class', () => {
      expect(event.eventType).toBe('result');
      expect(event.source.device.class).toBe(deviceClass);
    });

    it('is internally consistent', () => {
      const shas = new Set((event.artifacts ?? []).map((a) => a.sha256));
      expect(shas.size).toBeGreaterThan(0);
      for (const a of event.artifacts ?? []) expect(a.uri).toContain(a.sha256);
      for (const f of event.findings ?? []) {
        if (f.region?.artifactRef !== undefined) expect(shas.has(f.region.artifactRef)).toBe(true);
        if (f.codes?.cas !== undefined) expect(casValid(f.codes.cas), f.codes.cas).toBe(true);
        for (const d of f.detectors ?? []) expect((event.measurements ?? []).map((m) => m.detectorId)).toContain(d);
      }
      for (const c of event.subject?.conveyances ?? []) {
        if (c.scheme === 'iso6346' && c.id !== undefined) {
          expect(iso6346CheckDigit(c.id.slice(0, 10))).toBe(Number(c.id.slice(10)));
          expect(c.checkDigitValid).toBe(true);
        }
      }
      for (const d of event.subject?.documents ?? []) {
        if (d.type === 'mrn') expect(iso6346CheckDigit(d.id.slice(0, 17))).toBe(Number(d.id.slice(17)));
      }
      if (event.spectrum !== undefined) expect(event.spectrum.y).toHaveLength(event.spectrum.npoints);
      const ms = Date.parse(event.receivedAt);
      expect(parseInt(event.eventId.replace(/-/g, '').slice(0, 12), 16)).toBe(ms);
    });
  });

  it('the RPM example follows the portal alarm arithmetic', () => {
    const event = JSON.parse(readFileSync(resolve(root, 'schemas/examples/rpm.json'), 'utf8')) as DetectionEvent;
    const settings = event.source.algorithm?.settings ?? {};
    for (const m of event.measurements ?? []) {
      const b = m.backgroundRateCps ?? Number.NaN;
      const n = Number(m.category === 'gamma' ? settings['gammaNSigma'] : settings['neutronNSigma']);
      expect(m.thresholdCps).toBeCloseTo(b + n * Math.sqrt(b), 1);
      expect(m.sigma).toBeCloseTo(((m.countRateCps ?? Number.NaN) - b) / Math.sqrt(b), 2);
    }
    for (const f of event.findings ?? []) {
      const m = (event.measurements ?? []).find((x) => x.detectorId === f.detectors?.[0]);
      expect(f.score).toEqual({ value: m?.sigma, higherIsBetter: true, method: 'n-sigma' });
    }
  });
});
