/** In-memory `ReceiptLog` with the table adapter's rules (latest receipt per resource), for tests and simulations. */
import type { ReceiptEntry, ReceiptLog, ResourceReceipt } from '../../lib/processing';

export class MemoryReceiptLog implements ReceiptLog {
  readonly entries = new Map<string, ReceiptEntry>();
  /** Pending marks of resources with no receipt yet: like the table's entity, a later receipt keeps them. */
  readonly #marksWithoutReceipt = new Map<string, string>();

  static key(tenantId: string, resourcePath: string): string {
    return `${tenantId}/${resourcePath}`;
  }

  record(receipts: readonly ResourceReceipt[]): Promise<void> {
    for (const receipt of receipts) {
      const key = MemoryReceiptLog.key(receipt.tenantId, receipt.resourcePath);
      const current = this.entries.get(key);
      const pendingSince = current === undefined ? this.#marksWithoutReceipt.get(key) : current.pendingSince;
      if (current === undefined || receipt.receivedAt > current.lastReceivedAt)
        this.entries.set(key, { lastReceivedAt: receipt.receivedAt, pendingSince });
      this.#marksWithoutReceipt.delete(key);
    }
    return Promise.resolve();
  }

  read(tenantId: string, resourcePath: string): Promise<ReceiptEntry | undefined> {
    return Promise.resolve(this.entries.get(MemoryReceiptLog.key(tenantId, resourcePath)));
  }

  markPending(tenantId: string, resourcePath: string, since: string): Promise<void> {
    const key = MemoryReceiptLog.key(tenantId, resourcePath);
    const current = this.entries.get(key);
    if (current === undefined) this.#marksWithoutReceipt.set(key, since);
    else this.entries.set(key, { ...current, pendingSince: since });
    return Promise.resolve();
  }
}
