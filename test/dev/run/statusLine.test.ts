import { describe, expect, it } from 'vitest';
import { formatStatusLine, type PipelineStatus } from '../../../dev/run';

const status: PipelineStatus = {
  received: 42,
  enqueued: 42,
  processed: 51,
  lifecycleProcessed: 2,
  resources: 36,
  tombstones: 16,
  renewals: 3,
  reauthorizations: 1,
  failures: 0,
  poison: 0,
  queued: 0,
  delivery: {
    total: 42,
    pending: 0,
    delivered: 42,
    dropped: 0,
    discarded: 0,
    abandoned: 0,
    lost: 0,
    duplicatesDelivered: 0,
  },
  storageReachable: true,
};

describe('the npm run dev status line', () => {
  it('says what each figure counts: items received, queue messages processed, blobs in the sink now', () => {
    const line = formatStatusLine(status);

    expect(line).toContain('notifications received 42');
    // Queue messages are counted apart from notification items, so more of them (retries) reads right.
    expect(line).toContain('queue messages processed 51');
    expect(line).toContain('sink now 36 blobs (+16 tombstones)');
    expect(line).toContain('poison now 0');
    expect(line).toContain('renewals 3 (+1 reauthorized)');
    expect(line).toContain('Graph delivered 42/42');
    expect(line).not.toMatch(/(^|· )processed \d/);
  });

  it('shows a dash for a figure whose source is unavailable and flags storage that cannot be reached', () => {
    const line = formatStatusLine({
      ...status,
      received: undefined,
      resources: undefined,
      tombstones: undefined,
      poison: undefined,
      storageReachable: false,
    });

    expect(line).toContain('notifications received -');
    expect(line).toContain('sink now - blobs');
    expect(line).toContain('STORAGE UNREACHABLE');
  });
});
