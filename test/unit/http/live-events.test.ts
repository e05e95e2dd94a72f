import { describe, expect, it } from 'vitest';
import { createLiveEvents, type LiveRow } from '../../../src/http/live-events.js';
import { sampleEvent } from '../../helpers/sample-events.js';

const row = (id: number): LiveRow => {
  const event = sampleEvent({ n: id, site: 'BGSOF', device: 'd', deviceClass: 'spectrometer', eventType: 'measurement', sequence: id });
  return { id, event, json: JSON.stringify(event) };
};

describe('createLiveEvents', () => {
  it('fans out to every subscriber and stops after unsubscribe', () => {
    const hub = createLiveEvents();
    const a: number[] = [];
    const b: number[] = [];
    const offA = hub.subscribe((r) => a.push(r.id));
    const offB = hub.subscribe((r) => b.push(r.id));
    expect(hub.subscriberCount()).toBe(2);
    hub.publish(row(1));
    offA();
    offA();
    hub.publish(row(2));
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
    offB();
    expect(hub.subscriberCount()).toBe(0);
  });

  it('isolates a throwing listener', () => {
    const hub = createLiveEvents();
    const got: number[] = [];
    hub.subscribe(() => { throw new Error('boom'); });
    hub.subscribe((r) => got.push(r.id));
    expect(() => hub.publish(row(1))).not.toThrow();
    expect(got).toEqual([1]);
  });

  it('the same function subscribed twice is two subscriptions', () => {
    const hub = createLiveEvents();
    const got: number[] = [];
    const f = (r: LiveRow): void => { got.push(r.id); };
    const off1 = hub.subscribe(f);
    hub.subscribe(f);
    off1();
    hub.publish(row(3));
    expect(got).toEqual([3]);
  });
});
