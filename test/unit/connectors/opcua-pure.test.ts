/**
 * The pure parts of the OPC UA connector: node id and browse path text, value conversion, frame
 * assembly, the watchdog formula, certificate chains.
 */
import { describe, expect, it } from 'vitest';
import { frameBytes, type OpcUaPlan } from '../../../src/adapter/types.js';
import {
  eventFieldKey, looksLikeNodeId, nodeIdText, parseBrowsePath, parseNodeId, parseNotifier, planProblems,
} from '../../../src/connectors/opcua-address.js';
import { createFrameAssembler } from '../../../src/connectors/opcua-frames.js';
import { leafCertificate } from '../../../src/connectors/opcua-pki.js';
import { dataValueToJson, qualityOf, variantToJson } from '../../../src/connectors/opcua-values.js';
import { watchdogMs } from '../../../src/connectors/opcua.js';
import { xrayPlan } from '../../helpers/opcua.js';

const NS = ['http://opcfoundation.org/UA/', 'urn:vendor:server', 'urn:borderlink:sim:xray'];

describe('node ids and browse paths', () => {
  it('parses node ids by index and by namespace URI', () => {
    expect(parseNodeId('i=2253')).toEqual({ ok: true, value: { ns: { index: 0 }, identifier: 'i=2253' } });
    expect(parseNodeId('ns=2;s=Scanner.State')).toEqual({ ok: true, value: { ns: { index: 2 }, identifier: 's=Scanner.State' } });
    const r = parseNodeId('nsu=urn:borderlink:sim:xray;s=Scanner.LastScan.ScanId');
    expect(r).toEqual({ ok: true, value: { ns: { uri: 'urn:borderlink:sim:xray' }, identifier: 's=Scanner.LastScan.ScanId' } });
    if (r.ok) expect(nodeIdText(r.value, NS)).toEqual({ ok: true, value: 'ns=2;s=Scanner.LastScan.ScanId' });
    const unknown = parseNodeId('nsu=urn:nobody;i=5');
    if (unknown.ok) expect(nodeIdText(unknown.value, NS).ok).toBe(false);
    expect(parseNodeId('Scanner.State').ok).toBe(false);
    expect(parseNodeId('ns=70000;i=1').ok).toBe(false);
  });

  it('parses browse paths with namespace 0, an index, or a URI in braces', () => {
    expect(parseBrowsePath('/{urn:borderlink:sim:xray}Scanner/2:LastScan/Name')).toEqual({
      ok: true,
      value: [
        { ns: { uri: 'urn:borderlink:sim:xray' }, name: 'Scanner' },
        { ns: { index: 2 }, name: 'LastScan' },
        { ns: { index: 0 }, name: 'Name' },
      ],
    });
    // a URI may hold slashes and colons: the braces delimit it
    expect(parseBrowsePath('{http://vendor.example/UA/Scanner}Scanner')).toEqual({ ok: true, value: [{ ns: { uri: 'http://vendor.example/UA/Scanner' }, name: 'Scanner' }] });
    expect(parseBrowsePath('a//b').ok).toBe(false);
    expect(parseBrowsePath('{urn:x').ok).toBe(false);
    expect(parseBrowsePath('').ok).toBe(false);
    expect(eventFieldKey([{ ns: { uri: 'u' }, name: 'EnabledState' }, { ns: { index: 0 }, name: 'Id' }])).toBe('EnabledState/Id');
  });

  it('tells a node id from a browse path for the event notifier', () => {
    expect(looksLikeNodeId('i=2253')).toBe(true);
    expect(looksLikeNodeId('nsu=urn:x;s=Scanner')).toBe(true);
    expect(looksLikeNodeId('{urn:x}Scanner')).toBe(false);
    expect(parseNotifier('{urn:x}Scanner')).toMatchObject({ ok: true, value: { kind: 'browsePath' } });
  });

  it('checks a plan before anything connects, every problem at once', () => {
    expect(planProblems(xrayPlan())).toEqual([]);
    const bad: OpcUaPlan = {
      kind: 'opcua',
      nodes: [
        { name: 'a', nodeId: 'i=1', browsePath: 'X', samplingIntervalMs: 0, queueSize: 1 },
        { name: 'a', nodeId: 'i=2', samplingIntervalMs: -1, queueSize: 0 },
      ],
      events: { notifier: 'i=2253', fields: ['{u}ScanId', '{v}ScanId'] },
      publishingIntervalMs: 0,
      keepAliveCount: 0,
    };
    const problems = planProblems(bad);
    expect(problems).toEqual(expect.arrayContaining([
      'node "a": give exactly one of nodeId and browsePath',
      'node name "a" is used twice',
      expect.stringMatching(/samplingIntervalMs must be >= 0/),
      expect.stringMatching(/queueSize must be an integer >= 1/),
      'publishingIntervalMs must be > 0',
      'keepAliveCount must be an integer >= 1',
      expect.stringMatching(/two fields read as "ScanId"/),
    ]));
  });
});

describe('values to JSON', () => {
  it('turns every built-in type into JSON', () => {
    expect(variantToJson({ dataType: 1, value: true }, NS)).toBe(true);
    expect(variantToJson({ dataType: 11, value: 0.25 }, NS)).toBe(0.25);
    expect(variantToJson({ dataType: 11, value: Number.NaN }, NS)).toBe('NaN');
    expect(variantToJson({ dataType: 10, value: Number.NEGATIVE_INFINITY }, NS)).toBe('-Infinity');
    expect(variantToJson({ dataType: 8, value: [0xffffffff, 0xfffffffe] }, NS)).toBe(-2);
    expect(variantToJson({ dataType: 9, value: [0x00000001, 0x00000000] }, NS)).toBe(4294967296);
    expect(variantToJson({ dataType: 9, value: [0xffffffff, 0xffffffff] }, NS)).toBe('18446744073709551615');
    expect(variantToJson({ dataType: 13, value: new Date('2026-03-01T10:00:00.123Z') }, NS)).toBe('2026-03-01T10:00:00.123Z');
    expect(variantToJson({ dataType: 13, value: new Date(Date.UTC(1601, 0, 1)) }, NS)).toBeNull();
    expect(variantToJson({ dataType: 15, value: Buffer.from('hi') }, NS)).toBe('aGk=');
    expect(variantToJson({ dataType: 21, value: { text: 'scan done', locale: 'en' } }, NS)).toBe('scan done');
    expect(variantToJson({ dataType: 20, value: { namespaceIndex: 2, name: 'ScanId' } }, NS)).toBe('{urn:borderlink:sim:xray}ScanId');
    expect(variantToJson({ dataType: 17, value: { toString: () => 'ns=2;s=ScanCompletedEventType' } }, NS)).toBe('nsu=urn:borderlink:sim:xray;s=ScanCompletedEventType');
    expect(variantToJson({ dataType: 17, value: { toString: () => 'i=2041' } }, NS)).toBe('i=2041');
    expect(variantToJson({ dataType: 19, value: { value: 0x80340000, name: 'BadNodeIdUnknown' } }, NS)).toBe('BadNodeIdUnknown');
    expect(variantToJson({ dataType: 12, value: null }, NS)).toBeNull();
    expect(variantToJson({ dataType: 0, value: null }, NS)).toBeNull();
  });

  it('converts arrays, typed arrays included', () => {
    expect(variantToJson({ dataType: 10, arrayType: 1, value: new Float32Array([1.5, 2]) }, NS)).toEqual([1.5, 2]);
    expect(variantToJson({ dataType: 12, arrayType: 1, value: ['a', 'b'] }, NS)).toEqual(['a', 'b']);
    expect(variantToJson({ dataType: 12, arrayType: 1, value: null }, NS)).toEqual([]);
  });

  it('reads quality from the status severity; a bad value is null', () => {
    expect(qualityOf({ value: 0 })).toBe('good');
    expect(qualityOf({ value: 0x40000000 })).toBe('uncertain');
    expect(qualityOf({ value: 0x80000000 })).toBe('bad');
    expect(dataValueToJson({ value: { dataType: 11, value: 3 }, statusCode: { value: 0x808a0000 } }, NS)).toEqual({ value: null, quality: 'bad' });
    expect(dataValueToJson({ value: { dataType: 11, value: 3 }, statusCode: { value: 0x40000000 } }, NS)).toEqual({ value: 3, quality: 'uncertain' });
  });
});

describe('frames', () => {
  it('a snapshot lists what differs from what was last pushed, all of it the first time', () => {
    const a = createFrameAssembler(['seq', 'state']);
    const first = a.snapshot([{ name: 'seq', value: 4, quality: 'good' }, { name: 'state', value: 'ready', quality: 'good' }], 1);
    expect(first).toEqual({ transport: 'opcua', receivedAt: 1, source: 'data-change', values: { seq: 4, state: 'ready' }, changed: ['seq', 'state'], quality: 'good' });
    const same = a.snapshot([{ name: 'seq', value: 4, quality: 'good' }, { name: 'state', value: 'ready', quality: 'good' }], 2);
    expect(same.changed).toEqual([]);
    const gap = a.snapshot([{ name: 'seq', value: 5, quality: 'good' }, { name: 'state', value: 'ready', quality: 'good' }], 3);
    expect(gap.changed).toEqual(['seq']);
  });

  it('a data change makes a frame only for real changes; a repeated item flushes first', () => {
    const a = createFrameAssembler(['seq', 'state']);
    a.snapshot([{ name: 'seq', value: 1, quality: 'good' }, { name: 'state', value: 'ready', quality: 'good' }], 0);
    // the initial notification after a rebuild repeats the snapshot: nothing
    expect(a.dataChange([{ name: 'seq', value: 1, quality: 'good' }, { name: 'state', value: 'ready', quality: 'good' }], 1)).toEqual([]);
    const frames = a.dataChange([
      { name: 'state', value: 'scanning', quality: 'good' },
      { name: 'seq', value: 2, quality: 'good' },
      { name: 'state', value: 'ready', quality: 'uncertain' },
      { name: 'ghost', value: 1, quality: 'good' },
    ], 2);
    expect(frames.map((f) => [f.values, f.changed, f.quality])).toEqual([
      [{ seq: 2, state: 'scanning' }, ['state', 'seq'], 'good'],
      [{ seq: 2, state: 'ready' }, ['state'], 'uncertain'],
    ]);
    // two results queued in one notification, listed item by item: put back in time order
    const two = a.dataChange([
      { name: 'state', value: 'A', quality: 'good', at: 100 },
      { name: 'state', value: 'B', quality: 'good', at: 200 },
      { name: 'seq', value: 3, quality: 'good', at: 100 },
      { name: 'seq', value: 4, quality: 'good', at: 200 },
    ], 3);
    expect(two.map((f) => f.values)).toEqual([{ seq: 3, state: 'A' }, { seq: 4, state: 'B' }]);
    a.dataChange([{ name: 'seq', value: 2, quality: 'good' }, { name: 'state', value: 'ready', quality: 'uncertain' }], 3);
    const ev = a.event({ ScanSequence: 2 }, 3);
    expect(ev).toMatchObject({ source: 'event', changed: [], event: { ScanSequence: 2 }, values: { seq: 2, state: 'ready' } });
    expect(JSON.parse(frameBytes(ev).toString('utf8'))).toEqual({ source: 'event', values: { seq: 2, state: 'ready' }, changed: [], quality: 'good', event: { ScanSequence: 2 } });
  });
});

describe('watchdog and certificates', () => {
  it('watchdog = (keepAliveCount + 1) x publishingInterval x 2', () => {
    expect(watchdogMs(1000, 10)).toBe(22_000);
    expect(watchdogMs(100, 3)).toBe(800);
  });

  it('takes the leaf of a DER chain', () => {
    const short = Buffer.from([0x30, 0x03, 1, 2, 3]);
    const long = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x00]), Buffer.alloc(256, 7)]);
    expect(leafCertificate(Buffer.concat([short, long]))).toEqual(short);
    expect(leafCertificate(Buffer.concat([long, short]))).toEqual(long);
    expect(leafCertificate(Buffer.from([1, 2]))).toEqual(Buffer.from([1, 2]));
  });
});
