/**
 * End to end: Graph runs the validation handshake again when a subscription is renewed (PATCH), as field
 * reports show and the simulator does by default. Once, the webhook answers it later than Graph's 10-s
 * limit (a cold start, a deployment), so the renewal fails with Graph's 400 "Subscription validation request
 * timed out.". That says nothing about the subscription: it must stay active and be renewed on a later run
 * of the app's real timer, never lapse and never wait for an operator as `failed`.
 *
 * As in lifecycle.test.ts only `Date` is faked; each step sets it, Graph's clock and the timer scheduler one
 * hour further (Graph's kept GRAPH_CLOCK_LAG_MS behind).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GRAPH_CLOCK_LAG_MS, startE2ePipeline, untilQuiet, type E2ePipeline } from './support';

const HOUR = 3_600_000;
const STEPS = 8;
const LIFETIME_MINUTES = 240;

let e2e: E2ePipeline;
/** Per step: the subscription's status in the app, and whether Graph still had it. */
const seen: { readonly status: string | undefined; readonly liveInGraph: boolean; readonly expiry: string }[] = [];
/** The step whose renewal met the slow handshake (undefined: no renewal was attempted while the fault waited). */
let timedOutAt: number | undefined;

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  e2e = await startE2ePipeline({
    // Reauthorize validates again too by default; off here, so the slow handshake meets a renewal (PATCH).
    simulator: { subscriptions: { validateOnReauthorize: false } },
    subscriptions: () => [{ resource: 'users', changeType: 'updated,deleted' }],
    settings: {
      SUBSCRIPTION_MAX_LIFETIME_MINUTES: String(LIFETIME_MINUTES),
      RECONCILE_SCHEDULE: '0 0 * * * *',
      COALESCE_DELAY_SECONDS: '0',
    },
  });
  const { sim, scheduler, pipeline } = e2e;
  await untilQuiet(e2e);
  const simStart = sim.clock.now().getTime();
  for (let step = 1; step <= STEPS; step += 1) {
    const graphTime = simStart + step * HOUR;
    // Until a renewal has met it: the next handshake at the webhook is answered too late.
    const rule =
      timedOutAt === undefined
        ? sim.faults.inject({ target: 'handshake', path: '/api/notifications', action: 'timeout' })
        : undefined;
    vi.setSystemTime(graphTime + GRAPH_CLOCK_LAG_MS);
    await sim.clock.advanceTo(graphTime);
    await scheduler.advanceTo(graphTime + GRAPH_CLOCK_LAG_MS);
    // A lifecycle event whose renewal is retried waits on the queue for a minute of wall time.
    await untilQuiet(e2e, { timeoutMs: 180_000 });
    if (rule !== undefined) {
      // The only rule: still there means no handshake met it this hour.
      if (sim.faults.rules().length > 0) sim.faults.remove(rule);
      else timedOutAt = step;
    }
    const [view] = await pipeline.management.list();
    const live = sim.subscriptions().find((subscription) => subscription.id === view?.id);
    seen.push({
      status: view?.status,
      liveInGraph: live !== undefined && Date.parse(live.expirationDateTime) > graphTime,
      expiry: live?.expirationDateTime ?? '',
    });
  }
}, 600_000);

afterAll(async () => {
  vi.useRealTimers();
  await e2e.pipeline.stop();
});

describe('a renewal whose repeated validation handshake times out', () => {
  it('keeps the subscription active and renews it on a later run', async () => {
    expect(timedOutAt).toBeDefined();
    const at = timedOutAt ?? STEPS;
    expect(seen.map((step) => step.status)).toEqual(Array.from({ length: STEPS }, () => 'active'));
    // The renewal that met the slow handshake was answered with Graph's text and retried, not failed.
    expect(
      e2e.logs.some((entry) => /renewal failed transiently.*validation request timed out/i.test(entry.message)),
    ).toBe(true);
    expect(seen.every((step) => step.liveInGraph)).toBe(true);
    // A later run renewed it: Graph's expiry moved on after the failed attempt.
    expect(seen.slice(at).some((step) => step.expiry > (seen[at - 1]?.expiry ?? ''))).toBe(true);
    expect(e2e.pipeline.invocations.failed()).toBe(0);
    expect((await e2e.pipeline.status()).poison).toBe(0);
  });
});
