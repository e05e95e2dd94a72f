/**
 * The normalise reducer: one decoded line and the device's state in, drafts and the next state out.
 * Sample lines accumulate into the open occupancy silently; GX turns it into one result event.
 * Background lines also close an occupancy whose GX never came (a device reports backgrounds only
 * while the lane is empty), fault lines raise and clear faults on their edges, setup lines update
 * the algorithm settings.
 */
import { ok, type CodecContext, type DecodeFailure, type EventDraft, type Result } from '../../src/adapter/types.js';
import { backgroundDraft, faultDraft, resultDraft, setupStatusDraft } from './line-events.js';
import { GAMMA_CHANNELS, NEUTRON_CHANNELS, type LineRecord } from './line-messages.js';
import { addSample, openOccupancy } from './occupancy.js';
import { DEFAULT_MEASUREMENT_INTERVAL_MS, samplePeriodMs, type LineOptions, type LineState, type Occupancy, type Settings } from './line-state.js';

type Step = Result<{ drafts: EventDraft[]; state: LineState }, DecodeFailure>;

/** A report a few hundred ms early (line jitter) still counts as a full interval. */
const INTERVAL_TOLERANCE = 0.95;

export function normaliseLine(record: LineRecord, state: LineState, ctx: CodecContext<LineOptions>): Step {
  const now = ctx.now;
  switch (record.tag) {
    case 'GS':
    case 'GA':
    case 'NS':
    case 'NA': {
      const occ = state.occupancy ?? openOccupancy(now, GAMMA_CHANNELS.length, NEUTRON_CHANNELS.length);
      const period = samplePeriodMs(state);
      const alarm = record.tag === 'GA' || record.tag === 'NA';
      const next: Occupancy =
        record.tag === 'GS' || record.tag === 'GA'
          ? { ...occ, lastAt: now, gamma: addSample(occ.gamma, record.counts, alarm, state.gammaBackgroundCps, period) }
          : { ...occ, lastAt: now, neutron: addSample(occ.neutron, record.counts, alarm, state.neutronBackgroundCps, period) };
      return ok({ drafts: [], state: { ...state, occupancy: next } });
    }
    case 'SP': {
      const occ = state.occupancy ?? openOccupancy(now, GAMMA_CHANNELS.length, NEUTRON_CHANNELS.length);
      const next: Occupancy = { ...occ, lastAt: now, speedSumKmh: occ.speedSumKmh + record.speedKmh, speedReports: occ.speedReports + 1 };
      return ok({ drafts: [], state: { ...state, occupancy: next } });
    }
    case 'GX': {
      const last = state.lastOccupancyCount;
      const missed = last !== null && record.occupancyCount > last + 1 ? record.occupancyCount - last - 1 : 0;
      const draft = resultDraft(
        state,
        { kind: 'complete', occupancy: state.occupancy, occupancyCount: record.occupancyCount, neutronBackgroundCps: record.neutronBackgroundCps, missed },
        now,
      );
      return ok({ drafts: [draft], state: { ...state, occupancy: null, lastOccupancyCount: record.occupancyCount } });
    }
    case 'GB':
    case 'GH':
    case 'GL': {
      const { drafts, state: closed } = closeOpenOccupancy(state, record.tag, now);
      const high = record.tag === 'GH';
      const low = record.tag === 'GL';
      const next: LineState = { ...closed, gammaBackgroundCps: [...record.backgroundCps], gammaHighBackground: high, gammaLowBackground: low };
      // a clear comes before a raise: GH straight after GL first clears low, then raises high
      if (closed.gammaLowBackground && !low) drafts.push(faultDraft('gamma-low-background', false, record.tag, now, record.backgroundCps));
      if (closed.gammaHighBackground && !high) drafts.push(faultDraft('gamma-high-background', false, record.tag, now, record.backgroundCps));
      if (!closed.gammaHighBackground && high) drafts.push(faultDraft('gamma-high-background', true, record.tag, now, record.backgroundCps));
      if (!closed.gammaLowBackground && low) drafts.push(faultDraft('gamma-low-background', true, record.tag, now, record.backgroundCps));
      const interval = (ctx.options ?? {}).measurementIntervalMs ?? DEFAULT_MEASUREMENT_INTERVAL_MS;
      const due = next.lastMeasurementAt === null || now - next.lastMeasurementAt >= interval * INTERVAL_TOLERANCE || now < next.lastMeasurementAt;
      if (!due) return ok({ drafts, state: next });
      drafts.push(backgroundDraft(next, record.tag, now));
      return ok({ drafts, state: { ...next, lastMeasurementAt: now } });
    }
    case 'NB':
    case 'NH': {
      const { drafts, state: closed } = closeOpenOccupancy(state, record.tag, now);
      const high = record.tag === 'NH';
      if (closed.neutronHighBackground !== high) drafts.push(faultDraft('neutron-high-background', high, record.tag, now, record.backgroundCps));
      return ok({ drafts, state: { ...closed, neutronBackgroundCps: [...record.backgroundCps], neutronHighBackground: high } });
    }
    case 'TT':
    case 'TC': {
      const tripped = record.tag === 'TT';
      if (state.tamper === tripped) return ok({ drafts: [], state });
      return ok({ drafts: [faultDraft('tamper', tripped, record.tag, now)], state: { ...state, tamper: tripped } });
    }
    case 'SG':
    case 'SN': {
      const settings: Settings =
        record.tag === 'SG'
          ? { ...state.settings, gammaNSigma: record.nSigma, gammaHighBackgroundCps: record.highBackgroundCps, gammaLowBackgroundCps: record.lowBackgroundCps, samplePeriodMs: record.samplePeriodMs }
          : { ...state.settings, neutronNSigma: record.nSigma, neutronHighBackgroundCps: record.highBackgroundCps };
      const changed = (Object.keys(settings) as Array<keyof Settings>).some((k) => settings[k] !== state.settings[k]);
      if (!changed) return ok({ drafts: [], state });
      const next: LineState = { ...state, settings };
      return ok({ drafts: [setupStatusDraft(next, record.tag, now)], state: next });
    }
  }
}

/** Background lines come only from an empty lane: an occupancy still open lost its GX. */
function closeOpenOccupancy(state: LineState, tag: string, now: number): { drafts: EventDraft[]; state: LineState } {
  if (state.occupancy === null) return { drafts: [], state };
  const draft = resultDraft(state, { kind: 'incomplete', occupancy: state.occupancy, closedBy: tag }, now);
  return { drafts: [draft], state: { ...state, occupancy: null } };
}
