/** In-memory `FailureLog`: one entry per tenant + resource + reason, detail cut like the table adapter's. */
import type { FailureLog, PermanentFailure } from '../../lib/processing';

/** The table adapter keeps this much of a detail (a table property holds at most 64 KiB). */
const MAX_DETAIL_LENGTH = 2000;

export class MemoryFailureLog implements FailureLog {
  readonly failures = new Map<string, PermanentFailure>();

  record(failure: PermanentFailure): Promise<void> {
    this.failures.set(`${failure.tenantId}|${failure.resourcePath}|${failure.reason}`, {
      ...failure,
      detail: failure.detail.slice(0, MAX_DETAIL_LENGTH),
    });
    return Promise.resolve();
  }
}
