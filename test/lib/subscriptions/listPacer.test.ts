/**
 * The drift check's list pacing on a fake clock: Graph's list (a fake that judges every request with the
 * simulator's sliding-window limiter at Graph's documented list limits) is paged through without one request
 * over 25 per 20 s per app and tenant, or 40 per app; a run whose budget ends mid-list stops with the named
 * transient error instead of returning a partial list.
 */
import { describe, expect, it } from 'vitest';
import { SUBSCRIPTION_API_LIMITS } from '../../../dev/graph-simulator/limits';
import { SlidingWindowLimiter } from '../../../dev/graph-simulator/rateLimiter';
import { GraphThrottled, type GraphRequest } from '../../../src/lib/graph';
import { classifyFailure } from '../../../src/lib/shared/classifyFailure';
import { ManualClock } from '../../../src/lib/shared/clock';
import { SubscriptionListPaused } from '../../../src/lib/subscriptions/errors';
import { listGraphSubscriptions, type ListPacing } from '../../../src/lib/subscriptions/graphSubscriptionApi';
import {
  LIST_PAGES_PER_WINDOW_PER_APP,
  LIST_PAGES_PER_WINDOW_PER_TENANT,
  LIST_WINDOW_MS,
  ListPacer,
} from '../../../src/lib/subscriptions/listPacer';

const BASE_URL = 'https://graph.example.test/v1.0';
const PAGE_SIZE = 100;
const { windowMs, perAppAndTenant, perApp } = SUBSCRIPTION_API_LIMITS;

/**
 * Graph's list of `pages` full pages per tenant on `clock`: a request over the documented list limit is
 * answered 429 with the limiter's Retry-After; every request's virtual time is recorded.
 */
function listingGraph(clock: ManualClock, pages: number) {
  const limiter = new SlidingWindowLimiter(windowMs);
  const requests: { tenantId: string; atMs: number }[] = [];
  let throttled = 0;
  return {
    requests,
    get throttled() {
      return throttled;
    },
    send: (tenantId: string, request: GraphRequest) => {
      const atMs = clock.now().getTime();
      requests.push({ tenantId, atMs });
      const retryAfterSeconds = limiter.take(atMs, [
        { key: `list|${tenantId}`, limit: perAppAndTenant.list },
        { key: 'list', limit: perApp.list },
      ]);
      if (retryAfterSeconds !== undefined) {
        throttled += 1;
        return Promise.reject(
          new GraphThrottled('Graph GET /subscriptions answered 429', {
            retryAfterMs: retryAfterSeconds * 1000,
            retryAfterFromHeader: true,
          }),
        );
      }
      const page = Number(new URL(`${BASE_URL}${request.path}`).searchParams.get('page') ?? '0');
      const value = Array.from({ length: PAGE_SIZE }, (_, index) => ({
        id: `${tenantId}-${page * PAGE_SIZE + index}`,
        resource: 'users/u/messages',
        changeType: 'created',
        notificationUrl: 'https://app.example.test/api/notifications',
        expirationDateTime: '2026-05-08T08:00:00Z',
      }));
      const body =
        page + 1 < pages ? { value, '@odata.nextLink': `${BASE_URL}/subscriptions?page=${page + 1}` } : { value };
      return Promise.resolve({ status: 200, body, requestId: undefined, clientRequestId: 'c' });
    },
  };
}

/** Waits move the fake clock, as the reconciler's injected sleep does in virtual time. */
function sleepOn(clock: ManualClock) {
  return (ms: number): Promise<void> => {
    clock.advance(ms);
    return Promise.resolve();
  };
}

/** Waits out a 429 on the fake clock (what the reconciler does within its budget). */
function pacingFor(clock: ManualClock, pacer: ListPacer | undefined, tenantId: string): ListPacing {
  return {
    ...(pacer === undefined ? {} : { beforePage: () => pacer.nextPage(tenantId) }),
    waitAfterThrottling: async (retryAfterMs) => {
      await sleepOn(clock)(retryAfterMs);
      return true;
    },
  };
}

/** The most requests inside any `windowMs` (matching `filter`). */
function mostInAnyWindow(times: readonly number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  let first = 0;
  for (let last = 0; last < sorted.length; last += 1) {
    while ((sorted[first] ?? 0) <= (sorted[last] ?? 0) - windowMs) first += 1;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('ListPacer', () => {
  it('pages through a 100-page list (10,000 subscriptions) without one request over 25 per 20 s', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const graph = listingGraph(clock, 100);
    const pacer = new ListPacer(clock, clock.now().getTime() + 4 * 60_000, sleepOn(clock));

    const listed = await listGraphSubscriptions(graph, 'tenant-a', BASE_URL, pacingFor(clock, pacer, 'tenant-a'));

    expect(listed).toHaveLength(100 * PAGE_SIZE);
    expect(graph.throttled).toBe(0);
    expect(graph.requests).toHaveLength(100);
    expect(mostInAnyWindow(graph.requests.map((request) => request.atMs))).toBe(LIST_PAGES_PER_WINDOW_PER_TENANT);
    expect(LIST_PAGES_PER_WINDOW_PER_TENANT).toBeLessThan(perAppAndTenant.list);
    // 100 pages at 20 per window: four windows waited, well inside a run's budget.
    expect(clock.now().getTime() - Date.parse('2026-05-01T08:00:00Z')).toBe(4 * LIST_WINDOW_MS);
  });

  it('is what keeps the list from being throttled: unpaced, the same list takes 429s', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const graph = listingGraph(clock, 100);

    const listed = await listGraphSubscriptions(graph, 'tenant-a', BASE_URL, pacingFor(clock, undefined, 'tenant-a'));

    expect(listed).toHaveLength(100 * PAGE_SIZE);
    expect(graph.throttled).toBeGreaterThan(0);
  });

  it("keeps three tenants listing at once under the app's limit of 40 per 20 s", async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const graph = listingGraph(clock, 50);
    const pacer = new ListPacer(clock, clock.now().getTime() + 4 * 60_000, sleepOn(clock));
    const tenants = ['tenant-a', 'tenant-b', 'tenant-c'];

    const lists = await Promise.all(
      tenants.map((tenantId) => listGraphSubscriptions(graph, tenantId, BASE_URL, pacingFor(clock, pacer, tenantId))),
    );

    expect(lists.map((list) => list.length)).toEqual([5_000, 5_000, 5_000]);
    expect(graph.throttled).toBe(0);
    expect(mostInAnyWindow(graph.requests.map((request) => request.atMs))).toBeLessThanOrEqual(
      LIST_PAGES_PER_WINDOW_PER_APP,
    );
    expect(LIST_PAGES_PER_WINDOW_PER_APP).toBeLessThan(perApp.list);
    for (const tenantId of tenants)
      expect(
        mostInAnyWindow(graph.requests.filter((request) => request.tenantId === tenantId).map((r) => r.atMs)),
      ).toBeLessThanOrEqual(LIST_PAGES_PER_WINDOW_PER_TENANT);
  });

  it('admits only the lists that fit in the budget, so those finish rather than every tenant stopping half way', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const graph = listingGraph(clock, 100);
    // 4 minutes: 13 windows of 32 pages for the app, 416 pages: four 100-page lists, not five.
    const pacer = new ListPacer(clock, clock.now().getTime() + 4 * 60_000, sleepOn(clock));
    const tenants = ['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d', 'tenant-e'];

    const admitted = tenants.filter(() => pacer.admit(100));
    const lists = await Promise.all(
      admitted.map((tenantId) => listGraphSubscriptions(graph, tenantId, BASE_URL, pacingFor(clock, pacer, tenantId))),
    );

    expect(admitted).toEqual(['tenant-a', 'tenant-b', 'tenant-c', 'tenant-d']);
    expect(lists.map((list) => list.length)).toEqual([10_000, 10_000, 10_000, 10_000]);
    expect(graph.throttled).toBe(0);
    expect(clock.now().getTime()).toBeLessThanOrEqual(Date.parse('2026-05-01T08:04:00Z'));
    // A list longer than one tenant may page in the budget is not started either.
    expect(new ListPacer(clock, clock.now().getTime() + 4 * 60_000).admit(261)).toBe(false);
  });

  it('stops at the run deadline with ERR_SUBSCRIPTION_LIST_PAUSED (transient), never a partial list', async () => {
    const clock = new ManualClock('2026-05-01T08:00:00Z');
    const graph = listingGraph(clock, 100);
    // 30 s: two windows of pages fit, the third would start past the deadline.
    const pacer = new ListPacer(clock, clock.now().getTime() + 30_000, sleepOn(clock));

    const listing = listGraphSubscriptions(graph, 'tenant-a', BASE_URL, pacingFor(clock, pacer, 'tenant-a'));

    const error = await listing.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(SubscriptionListPaused);
    expect(error).toMatchObject({ code: 'ERR_SUBSCRIPTION_LIST_PAUSED' });
    expect((error as Error).message).toContain('after 40 page(s)');
    expect(classifyFailure(error).kind).toBe('transient');
    expect(graph.requests).toHaveLength(2 * LIST_PAGES_PER_WINDOW_PER_TENANT);
    expect(graph.throttled).toBe(0);
    // It did not wait for a page it could not ask.
    expect(clock.now().getTime()).toBe(Date.parse('2026-05-01T08:00:00Z') + LIST_WINDOW_MS);
  });
});
