/**
 * A device's link state as connectors report it: only changes go to the sink (state or code), one
 * log line each. Connectors stop reporting once stopped.
 */
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { LinkStatus, Sink } from './types.js';

export interface LinkStatusReporter {
  /** Reports a status if its state or code differs from the last one; true when it did. */
  report(status: LinkStatus): boolean;
  last(): LinkStatus | null;
}

export function createLinkStatusReporter(sink: Pick<Sink, 'status'>, log: Logger): LinkStatusReporter {
  let lastStatus: LinkStatus | null = null;
  return {
    report(status) {
      if (lastStatus !== null && lastStatus.state === status.state && lastStatus.code === status.code) return false;
      lastStatus = status;
      log.info({ state: status.state, code: status.code, detail: status.detail }, 'device link status changed');
      try {
        sink.status(status);
      } catch (e) {
        log.error({ err: describeError(e) }, 'sink.status threw');
      }
      return true;
    },
    last: () => lastStatus,
  };
}
