/**
 * The `ReceiptLog` contract (the latest notification receipt per resource, and the pending mark), seen only
 * through the port. Run against the in-memory log and the table log on Azurite (receiptLog.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { ReceiptLog } from '../../../src/lib/processing';

const tenant = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
const path = "users/u1/messages/AAMk'x/y=";
const at = (second: number): string => `2026-05-01T10:00:${String(second).padStart(2, '0')}.000Z`;

/** Registers the contract's tests; `createLog` gives a new, empty log for each test. */
export function receiptLogContract(adapter: string, createLog: () => ReceiptLog): void {
  describe(`ReceiptLog contract: ${adapter}`, () => {
    it('keeps the latest receipt whatever order concurrent messages record in, and the pending mark beside it', async () => {
      const receipts = createLog();

      expect(await receipts.read(tenant, path)).toBeUndefined();
      await Promise.all(
        [3, 9, 1, 7, 5].map((second) =>
          receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(second) }]),
        ),
      );
      await receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(2) }]);
      await receipts.markPending(tenant, path, at(1));

      expect(await receipts.read(tenant, path)).toEqual({ lastReceivedAt: at(9), pendingSince: at(1) });
      expect(await receipts.read(tenant, 'users/u1/messages/other')).toBeUndefined();
      expect(await receipts.read('other-tenant', path)).toBeUndefined();
    });

    it('takes the latest of one batch that names a resource several times, and records nothing for an empty batch', async () => {
      const receipts = createLog();

      await receipts.record([]);
      await receipts.record([
        { tenantId: tenant, resourcePath: path, receivedAt: at(4) },
        { tenantId: tenant, resourcePath: path, receivedAt: at(8) },
        { tenantId: tenant, resourcePath: 'users/u1/messages/b', receivedAt: at(1) },
        { tenantId: tenant, resourcePath: path, receivedAt: at(6) },
      ]);

      expect(await receipts.read(tenant, path)).toEqual({ lastReceivedAt: at(8), pendingSince: undefined });
      expect(await receipts.read(tenant, 'users/u1/messages/b')).toEqual({
        lastReceivedAt: at(1),
        pendingSince: undefined,
      });
    });

    it('keeps the pending mark when a later receipt moves the entry forward, and moves the mark when told to', async () => {
      const receipts = createLog();
      await receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(1) }]);
      await receipts.markPending(tenant, path, at(1));

      await receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(5) }]);
      const afterReceipt = await receipts.read(tenant, path);
      await receipts.markPending(tenant, path, at(3));

      expect(afterReceipt).toEqual({ lastReceivedAt: at(5), pendingSince: at(1) });
      expect(await receipts.read(tenant, path)).toEqual({ lastReceivedAt: at(5), pendingSince: at(3) });
    });

    it('answers nothing for a resource only marked pending, and keeps the mark once a receipt arrives', async () => {
      const receipts = createLog();

      await receipts.markPending(tenant, path, at(1));
      const marked = await receipts.read(tenant, path);
      await receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(2) }]);

      expect(marked).toBeUndefined();
      expect(await receipts.read(tenant, path)).toEqual({ lastReceivedAt: at(2), pendingSince: at(1) });
    });
  });
}
