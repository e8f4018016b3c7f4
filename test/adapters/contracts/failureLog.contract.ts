/**
 * The `FailureLog` contract (permanent failures, one entry per tenant + resource + reason), run against the
 * in-memory log and the table log on Azurite (failureLog.test.ts). The port only records, so each adapter
 * comes with a way to read back what it holds.
 */
import { describe, expect, it } from 'vitest';
import type { FailureLog, PermanentFailure } from '../../../src/lib/processing';

export interface FailureLogUnderTest {
  readonly log: FailureLog;
  /** What the log holds: tenant, resource, reason and detail of each entry. */
  readonly entries: () => Promise<Array<Pick<PermanentFailure, 'tenantId' | 'resourcePath' | 'reason' | 'detail'>>>;
}

const tenant = '84bd8158-6d4d-4958-8b9f-9d6445542f95';

function failure(overrides: Partial<PermanentFailure> = {}): PermanentFailure {
  return {
    tenantId: tenant,
    resourcePath: "users/u1/messages/AAMk'x/y=",
    subscriptionId: 'sub-1',
    reason: 'access-denied',
    detail: 'status 403, code ErrorAccessDenied, request-id r-1',
    at: '2026-05-01T10:00:00.000Z',
    ...overrides,
  };
}

const sorted = <T extends { resourcePath: string; reason: string }>(rows: T[]): T[] =>
  rows.sort((a, b) => (`${a.resourcePath}|${a.reason}` < `${b.resourcePath}|${b.reason}` ? -1 : 1));

/** Registers the contract's tests; `createLog` gives a new, empty log for each test. */
export function failureLogContract(adapter: string, createLog: () => FailureLogUnderTest): void {
  describe(`FailureLog contract: ${adapter}`, () => {
    it('keeps one entry per resource and reason, the latest recording winning', async () => {
      const { log, entries } = createLog();

      await log.record(failure({ detail: 'first' }));
      await log.record(failure({ detail: 'second' }));
      await log.record(failure({ reason: 'undecryptable', detail: 'key k-1 unknown' }));
      await log.record(failure({ resourcePath: 'users/u1/messages/b', detail: 'other' }));

      expect(sorted(await entries())).toEqual([
        { tenantId: tenant, resourcePath: "users/u1/messages/AAMk'x/y=", reason: 'access-denied', detail: 'second' },
        {
          tenantId: tenant,
          resourcePath: "users/u1/messages/AAMk'x/y=",
          reason: 'undecryptable',
          detail: 'key k-1 unknown',
        },
        { tenantId: tenant, resourcePath: 'users/u1/messages/b', reason: 'access-denied', detail: 'other' },
      ]);
    });

    it('records a failure whose detail is larger than a table property holds, keeping its first 2,000 characters', async () => {
      const { log, entries } = createLog();
      const detail = `${'d'.repeat(1_990)}0123456789${'e'.repeat(70_000)}`;

      await log.record(failure({ detail }));

      expect((await entries()).map((entry) => entry.detail)).toEqual([detail.slice(0, 2_000)]);
    });
  });
}
