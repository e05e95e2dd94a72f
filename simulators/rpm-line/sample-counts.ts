/**
 * Recovers each 200 ms sample's per-panel counts from what RpmPhysics publishes, so the line
 * simulator reuses the physics unchanged. Gamma is direct: gammaRateCps is the last sample's
 * counts x 5. Neutron is published only as the rolling 1 s (5-sample) rate, so the new sample is
 * the window's change plus the sample that just left it:
 *   c[t] = W[t] - W[t-1] + c[t-5]
 * which holds exactly as long as every sample since the physics started is observed, in order
 * (RpmLineDevice steps the physics one sample at a time for this reason).
 */
import { BorderlinkError } from '../../src/errors.js';
import { SAMPLE_PERIOD_MS, WINDOW_SAMPLES, type RpmDeviceState } from '../rpm/rpm-model.js';

export class SampleCounts {
  private readonly history: number[][] = [];
  private previousWindow: number[] | undefined;
  private lastSample = 0;

  /** Call once after every sample, with the state right after it. */
  observe(state: RpmDeviceState): { gamma: number[]; neutron: number[] } {
    if (state.sampleCount !== this.lastSample + 1) {
      throw new BorderlinkError('BL_ERR_SIMULATOR', `sample ${this.lastSample + 1} expected, physics is at ${state.sampleCount}`);
    }
    this.lastSample = state.sampleCount;
    const sampleS = SAMPLE_PERIOD_MS / 1000;
    const gamma = state.gammaRateCps.map((r) => Math.round(r * sampleS));
    const windowS = Math.min(WINDOW_SAMPLES, state.sampleCount) * sampleS;
    const window = state.neutronRateCps.map((r) => Math.round(r * windowS));
    const previous = this.previousWindow ?? window.map(() => 0);
    const leaving = this.history.length === WINDOW_SAMPLES ? this.history[0] : undefined;
    const neutron = window.map((w, p) => Math.max(0, w - (previous[p] ?? 0) + (leaving?.[p] ?? 0)));
    this.history.push(neutron);
    if (this.history.length > WINDOW_SAMPLES) this.history.shift();
    this.previousWindow = window;
    return { gamma, neutron };
  }
}
