import { TableClient } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableReceiptLog } from '../../../src/adapters/azure/tableReceiptLog';
import { azuriteConnectionString, uniqueTableName } from '../../support/storage';

const tenant = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
const path = "users/u1/messages/AAMk'x/y=";

function log() {
  return createTableReceiptLog(TableClient.fromConnectionString(azuriteConnectionString(), uniqueTableName('Receipts'), { allowInsecureConnection: true }));
}

describe('table receipt log (Azurite)', () => {
  it('keeps the latest receipt whatever order concurrent messages record in, and the pending mark beside it', async () => {
    const receipts = log();
    const at = (second: number): string => `2026-05-01T10:00:${String(second).padStart(2, '0')}.000Z`;

    expect(await receipts.read(tenant, path)).toBeUndefined();
    await Promise.all([3, 9, 1, 7, 5].map((second) => receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(second) }])));
    await receipts.record([{ tenantId: tenant, resourcePath: path, receivedAt: at(2) }]);
    await receipts.markPending(tenant, path, at(1));

    expect(await receipts.read(tenant, path)).toEqual({ lastReceivedAt: at(9), pendingSince: at(1) });
    expect(await receipts.read(tenant, 'users/u1/messages/other')).toBeUndefined();
  });
});
