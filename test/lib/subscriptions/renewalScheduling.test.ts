import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/shared/clock';
import {
  isRenewalDue,
  jitterFraction,
  maxRenewalWindowMs,
  renewalWindowMs,
  TenantBackoff,
  type SubscriptionSettings,
} from '../../../src/lib/subscriptions';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const settings: SubscriptionSettings = {
  notificationUrl: 'https://app.example.com/api/notifications?code=k',
  lifecycleNotificationUrl: undefined,
  renewalWindowMinutes: 720,
  renewalJitterPercent: 50,
  expirationMarginMinutes: 15,
  maxLifetimeMinutes: undefined,
  driftCheckIntervalMinutes: 60,
  concurrencyPerTenant: 4,
  defaultTenantId: 'tenant',
  graphBaseUrl: 'https://graph.microsoft.com/v1.0',
  encryption: undefined,
};
const ids = Array.from(
  { length: 2000 },
  (_, index) => `3f2a${index.toString(16).padStart(4, '0')}-0000-4000-8000-00000000${String(index).padStart(4, '0')}`,
);
const outlook = (
  subscriptionId: string,
): { subscriptionId: string; resource: string; includeResourceData: boolean } => ({
  subscriptionId,
  resource: 'users/u1/messages',
  includeResourceData: false,
});

describe('renewal jitter', () => {
  it('gives every id a fixed share in [0, 1), spread evenly', () => {
    const shares = ids.map(jitterFraction);
    expect(ids.map(jitterFraction)).toEqual(shares);
    expect(shares.every((share) => share >= 0 && share < 1)).toBe(true);
    const buckets = Array.from(
      { length: 10 },
      (_, bucket) => shares.filter((share) => Math.floor(share * 10) === bucket).length,
    );
    for (const count of buckets) expect(count).toBeGreaterThan(140);
  });

  it('widens the window by up to the percentage: a 7-day Outlook subscription is renewed 12 to 18 hours before expiry', () => {
    const windows = ids.map((id) => renewalWindowMs(outlook(id), settings));
    expect(Math.min(...windows)).toBeGreaterThanOrEqual(12 * HOUR);
    expect(Math.max(...windows)).toBeLessThan(18 * HOUR);
    expect(Math.max(...windows) - Math.min(...windows)).toBeGreaterThan(5.9 * HOUR);
    expect(maxRenewalWindowMs(settings)).toBe(18 * HOUR);
    // Without jitter (or without an id) every subscription has the plain window.
    expect(new Set(ids.map((id) => renewalWindowMs(outlook(id), { ...settings, renewalJitterPercent: 0 })))).toEqual(
      new Set([12 * HOUR]),
    );
    expect(renewalWindowMs({ resource: 'users/u1/messages', includeResourceData: false }, settings)).toBe(12 * HOUR);
  });

  it('spreads subscriptions that expire together over the band instead of one run', () => {
    const expiry = Date.parse('2026-05-08T08:00:00Z');
    // The first 5-minute run at which each one is due.
    const run = 5 * MINUTE;
    const dueAt = (id: string): number => Math.ceil((expiry - renewalWindowMs(outlook(id), settings) + 1) / run) * run;
    for (const id of ids.slice(0, 50)) {
      const record = { ...outlook(id), expirationDateTime: new Date(expiry).toISOString() };
      expect(isRenewalDue(record, settings, new Date(dueAt(id)))).toBe(true);
      expect(isRenewalDue(record, settings, new Date(dueAt(id) - run))).toBe(false);
    }
    const perRun = new Map<number, number>();
    for (const id of ids) perRun.set(dueAt(id), (perRun.get(dueAt(id)) ?? 0) + 1);
    // 6 hours of 5-minute runs: about 28 of 2,000 per run, never hundreds.
    expect(perRun.size).toBeGreaterThan(60);
    expect(Math.max(...perRun.values())).toBeLessThan(80);
  });

  it('never widens the window past three quarters of the lifetime (short-lived kinds stay renewable)', () => {
    const capped = { ...settings, maxLifetimeMinutes: 240, renewalJitterPercent: 100 };
    for (const id of ids) expect(renewalWindowMs(outlook(id), capped)).toBeLessThanOrEqual(0.75 * (240 - 15) * MINUTE);
  });
});

describe('per-tenant backoff', () => {
  it('waits out Retry-After (the latest one wins) and then lets calls go on', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const slept: number[] = [];
    const backoff = new TenantBackoff(clock, clock.now().getTime() + 4 * MINUTE, (ms) => {
      slept.push(ms);
      clock.advance(ms);
      return Promise.resolve();
    });
    expect(await backoff.ready()).toBe(true);
    expect(backoff.wasThrottled).toBe(false);

    backoff.throttled(10_000);
    backoff.throttled(30_000);
    backoff.throttled(5_000);

    expect(await backoff.ready()).toBe(true);
    expect(slept).toEqual([30_000]);
    expect(backoff.wasThrottled).toBe(true);
  });

  it('does not wait past the run deadline: the work is left for the next run', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const backoff = new TenantBackoff(clock, clock.now().getTime() + 20_000, () =>
      Promise.reject(new Error('must not sleep')),
    );
    backoff.throttled(30_000);
    expect(await backoff.ready()).toBe(false);
  });

  it('keeps tenants apart: one throttled tenant does not hold another', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    let wake: (() => void) | undefined;
    const sleep = (): Promise<void> => new Promise((resolve) => (wake = resolve));
    const throttled = new TenantBackoff(clock, clock.now().getTime() + 4 * MINUTE, sleep);
    const other = new TenantBackoff(clock, clock.now().getTime() + 4 * MINUTE, sleep);
    throttled.throttled(30_000);

    const waiting = throttled.ready();
    expect(await other.ready()).toBe(true);
    expect(wake).toBeDefined();
    clock.advance(30_000);
    wake?.();
    expect(await waiting).toBe(true);
  });
});
