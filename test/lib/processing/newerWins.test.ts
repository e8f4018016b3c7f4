import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decideSinkWrite, type ResourceState, type SinkEntry } from '../../../src/lib/processing';

const at = (second: number): string => new Date(Date.UTC(2026, 4, 1, 10, 0, second)).toISOString();

function state(overrides: Partial<ResourceState> = {}): ResourceState {
  return {
    tenantId: 'tenant-1',
    resourcePath: 'users/u1',
    changeType: 'updated',
    subscriptionId: 'sub-1',
    etag: 'W/"2"',
    observedAt: at(10),
    receivedAt: at(5),
    body: { id: 'u1' },
    ...overrides,
  };
}

const held = (overrides: Partial<SinkEntry> = {}): SinkEntry => ({
  observedAt: at(10),
  etag: 'W/"1"',
  deleted: false,
  ...overrides,
});

describe('decideSinkWrite', () => {
  it('writes into an empty sink and over older state, and drops state older than what is held', () => {
    expect(decideSinkWrite(undefined, state())).toBe('write');
    expect(decideSinkWrite(held({ observedAt: at(9) }), state())).toBe('write');
    expect(decideSinkWrite(held({ observedAt: at(11) }), state())).toBe('stale');
  });

  it('answers unchanged for the same state of the same instant, tombstone or not', () => {
    expect(decideSinkWrite(held({ etag: 'W/"2"' }), state())).toBe('unchanged');
    expect(decideSinkWrite(held({ etag: undefined, deleted: true }), state({ etag: undefined, body: undefined }))).toBe(
      'unchanged',
    );
  });

  it('replaces different state of the same instant unless the writer refuses, then answers tied', () => {
    expect(decideSinkWrite(held(), state())).toBe('write');
    expect(decideSinkWrite(held(), state({ onSameInstant: 'replace' }))).toBe('write');
    expect(decideSinkWrite(held(), state({ onSameInstant: 'refuse' }))).toBe('tied');
    expect(decideSinkWrite(held({ etag: 'W/"2"', deleted: true }), state({ onSameInstant: 'refuse' }))).toBe('tied');
  });

  it('converges on the newest state whatever order the writes arrive in', () => {
    const write = fc.record({
      second: fc.integer({ min: 0, max: 59 }),
      etag: fc.constantFrom('W/"1"', 'W/"2"', undefined),
      deleted: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(write, { minLength: 1, maxLength: 12 }), (writes) => {
        let entry: SinkEntry | undefined;
        for (const { second, etag, deleted } of writes) {
          const incoming = state({ observedAt: at(second), etag, body: deleted ? undefined : { id: 'u1' } });
          if (decideSinkWrite(entry, incoming) === 'write') entry = { observedAt: incoming.observedAt, etag, deleted };
        }
        const newest = Math.max(...writes.map((w) => w.second));
        expect(entry?.observedAt).toBe(at(newest));
      }),
    );
  });
});
