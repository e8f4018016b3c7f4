/** In-memory `FailureLog`: one entry per tenant + resource + reason, like the table adapter. */
import type { FailureLog, PermanentFailure } from '../../lib/processing';

export class MemoryFailureLog implements FailureLog {
  readonly failures = new Map<string, PermanentFailure>();

  record(failure: PermanentFailure): Promise<void> {
    this.failures.set(`${failure.tenantId}|${failure.resourcePath}|${failure.reason}`, failure);
    return Promise.resolve();
  }
}
