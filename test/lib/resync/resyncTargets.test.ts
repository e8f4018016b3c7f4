import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventWindow } from '../../../src/lib/resync';

const DAY = 86_400_000;

describe('the calendarView window of event resyncs', () => {
  it('always reaches at least the configured days back and ahead, and moves only once a period', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2040-01-01T00:00:00Z') }),
        fc.integer({ min: 1, max: 400 }),
        (nowMs, days) => {
          const window = eventWindow(new Date(nowMs), days);
          const start = Date.parse(window.start);
          const end = Date.parse(window.end);

          expect(nowMs - start).toBeGreaterThanOrEqual(days * DAY);
          expect(end - nowMs).toBeGreaterThan(days * DAY);
          expect(end - start).toBe(3 * days * DAY);
          // The same window a moment later in the same period: the deltaLink stays usable.
          const periodEnd = (Math.floor(nowMs / (days * DAY)) + 1) * days * DAY;
          expect(eventWindow(new Date(periodEnd - 1), days)).toEqual(window);
        },
      ),
    );
  });

  it('writes instants Graph accepts: whole seconds in UTC', () => {
    expect(eventWindow(new Date('2026-05-01T10:11:12.345Z'), 90)).toEqual({
      start: '2025-12-08T00:00:00Z',
      end: '2026-09-04T00:00:00Z',
    });
  });
});
