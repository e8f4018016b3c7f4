import { describe, expect, it } from 'vitest';
import { driftCheckIntervalMs, MINUTES_PER_LIST_PAGE } from '../../../src/lib/subscriptions/driftCheck';

const MINUTE = 60_000;

describe('driftCheckIntervalMs', () => {
  it('keeps the setting for a tenant whose list is a few pages', () => {
    expect(driftCheckIntervalMs(60, 0)).toBe(60 * MINUTE);
    expect(driftCheckIntervalMs(60, 100)).toBe(60 * MINUTE);
    expect(driftCheckIntervalMs(60, 500)).toBe(60 * MINUTE);
  });

  it('waits longer for a large tenant: at 10,000 subscriptions its list pages stay under a tenth of the Graph requests', () => {
    const interval = driftCheckIntervalMs(60, 10_000);
    expect(interval).toBe(100 * MINUTES_PER_LIST_PAGE * MINUTE);

    // An Outlook subscription is renewed about every 6.5 days (7-day lifetime, 12-hour window).
    const week = 7 * 24 * 60 * MINUTE;
    const listPages = Math.ceil(week / interval) * 100;
    const renewals = (10_000 * 7) / 6.5;
    expect(listPages / (listPages + renewals)).toBeLessThan(0.1);
  });

  it('counts a partly filled page as a page', () => {
    expect(driftCheckIntervalMs(1, 101)).toBe(2 * MINUTES_PER_LIST_PAGE * MINUTE);
  });
});
