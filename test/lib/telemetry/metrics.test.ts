import { RESOURCE_KIND_NAMES } from '../../../src/lib/resources';
import { SUBSCRIPTION_STATUSES as STORED_SUBSCRIPTION_STATUSES } from '../../../src/lib/subscriptions';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTRIBUTE,
  METRIC,
  METRICS,
  observeQueueDepths,
  observeSubscriptions,
  recordCoalescingSaved,
  recordEndToEndLatency,
  recordEnqueueLatency,
  recordGraphRequest,
  recordLifecycleEvent,
  recordMessageProcessed,
  recordNotificationRejected,
  recordNotificationsAccepted,
  recordNotificationsReceived,
  recordPoisonMessage,
  recordRenewal,
  toResourceKind,
} from '../../../src/lib/telemetry';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../../support/telemetry';

let telemetry: InMemoryTelemetry;

beforeEach(() => {
  telemetry = installInMemoryTelemetry();
});

afterEach(async () => {
  await telemetry.uninstall();
});

describe('ingest metrics', () => {
  it('counts received, accepted and rejected notifications per endpoint and reason', async () => {
    // Prepare / Act: one POST of 5 items, 3 accepted, 1 unknown subscription, 1 wrong clientState; one lifecycle POST.
    recordNotificationsReceived(5, { endpoint: 'notifications' });
    recordNotificationsAccepted(3, { endpoint: 'notifications' });
    recordNotificationRejected('unknownSubscription');
    recordNotificationRejected('clientStateMismatch', { endpoint: 'notifications' });
    recordNotificationsReceived(2, { endpoint: 'lifecycle' });
    recordNotificationRejected('malformedJson', { endpoint: 'lifecycle', count: 2 });

    // Assess
    expect(await telemetry.sum(METRIC.notificationsReceived, { [ATTRIBUTE.endpoint]: 'notifications' })).toBe(5);
    expect(await telemetry.sum(METRIC.notificationsReceived, { [ATTRIBUTE.endpoint]: 'lifecycle' })).toBe(2);
    expect(await telemetry.sum(METRIC.notificationsAccepted)).toBe(3);
    const rejected = await telemetry.pointsOf(METRIC.notificationsRejected);
    expect(rejected.map((point) => [point.attributes, point.value])).toEqual(
      expect.arrayContaining([
        [{ [ATTRIBUTE.endpoint]: 'notifications', [ATTRIBUTE.rejectionReason]: 'unknownSubscription' }, 1],
        [{ [ATTRIBUTE.endpoint]: 'notifications', [ATTRIBUTE.rejectionReason]: 'clientStateMismatch' }, 1],
        [{ [ATTRIBUTE.endpoint]: 'lifecycle', [ATTRIBUTE.rejectionReason]: 'malformedJson' }, 2],
      ]),
    );
    expect(rejected).toHaveLength(3);
  });

  it('records enqueue latency as a millisecond histogram by outcome', async () => {
    recordEnqueueLatency(12, { outcome: 'enqueued' });
    recordEnqueueLatency(30, { outcome: 'enqueued' });
    recordEnqueueLatency(2500, { outcome: 'failed' });

    const [enqueued] = await telemetry.pointsOf(METRIC.enqueueDuration, { [ATTRIBUTE.outcome]: 'enqueued' });
    expect(enqueued).toMatchObject({ unit: 'ms', value: 42, count: 2, min: 12, max: 30 });
    expect(await telemetry.sum(METRIC.enqueueDuration, { [ATTRIBUTE.outcome]: 'failed' })).toBe(2500);
  });

  it('drops negative and non-finite numbers instead of throwing', async () => {
    recordNotificationsReceived(-1, { endpoint: 'notifications' });
    recordNotificationsReceived(Number.NaN, { endpoint: 'notifications' });
    recordEnqueueLatency(Number.POSITIVE_INFINITY, { outcome: 'enqueued' });
    recordCoalescingSaved(0);

    expect(await telemetry.points()).toEqual([]);
  });
});

describe('processing metrics', () => {
  it('counts processed messages per queue and outcome, defaulting to the notifications queue', async () => {
    recordMessageProcessed('succeeded');
    recordMessageProcessed('succeeded');
    recordMessageProcessed('deferred');
    recordMessageProcessed('succeeded', { queue: 'lifecycle' });

    expect(
      await telemetry.sum(METRIC.messagesProcessed, {
        [ATTRIBUTE.queue]: 'notifications',
        [ATTRIBUTE.outcome]: 'succeeded',
      }),
    ).toBe(2);
    expect(
      await telemetry.sum(METRIC.messagesProcessed, {
        [ATTRIBUTE.queue]: 'notifications',
        [ATTRIBUTE.outcome]: 'deferred',
      }),
    ).toBe(1);
    expect(await telemetry.sum(METRIC.messagesProcessed, { [ATTRIBUTE.queue]: 'lifecycle' })).toBe(1);
  });

  it('counts Graph requests by operation, status and throttling, with duration when given', async () => {
    recordGraphRequest({ operation: 'getResource', status: 200, throttled: false, durationMs: 80 });
    recordGraphRequest({ operation: 'batch', status: 429, throttled: true, durationMs: 15 });
    recordGraphRequest({ operation: 'getResource', status: 429, throttled: true });
    recordGraphRequest({ throttled: false });

    expect(await telemetry.sum(METRIC.graphRequests, { [ATTRIBUTE.throttled]: true })).toBe(2);
    expect(
      await telemetry.sum(METRIC.graphRequests, {
        [ATTRIBUTE.graphOperation]: 'getResource',
        [ATTRIBUTE.statusCode]: 200,
        [ATTRIBUTE.throttled]: false,
      }),
    ).toBe(1);
    expect(
      await telemetry.sum(METRIC.graphRequests, { [ATTRIBUTE.graphOperation]: 'other', [ATTRIBUTE.statusCode]: 0 }),
    ).toBe(1);
    const durations = await telemetry.pointsOf(METRIC.graphRequestDuration);
    expect(durations.reduce((count, point) => count + point.count, 0)).toBe(2);
  });

  it('records end-to-end latency per resource kind, whatever spelling the caller uses', async () => {
    recordEndToEndLatency(1500, { resourceKind: 'message' });
    recordEndToEndLatency(500, { resourceKind: 'Messages' });
    recordEndToEndLatency(900, { resourceKind: 'users' });
    recordEndToEndLatency(700, { resourceKind: 'drive' });

    const [messages] = await telemetry.pointsOf(METRIC.endToEndDuration, { [ATTRIBUTE.resourceKind]: 'message' });
    expect(messages).toMatchObject({ value: 2000, count: 2, unit: 'ms' });
    expect(await telemetry.sum(METRIC.endToEndDuration, { [ATTRIBUTE.resourceKind]: 'user' })).toBe(900);
    expect(await telemetry.sum(METRIC.endToEndDuration, { [ATTRIBUTE.resourceKind]: 'driveRoot' })).toBe(700);
  });

  it('counts coalescing savings, poison messages, renewals and lifecycle events', async () => {
    recordCoalescingSaved(40);
    recordCoalescingSaved(2);
    recordPoisonMessage('notifications');
    recordRenewal('renewed');
    recordRenewal('renewed');
    recordRenewal('failed');
    recordLifecycleEvent('reauthorizationRequired');
    recordLifecycleEvent('somethingGraphAddsIn2030');

    expect(await telemetry.sum(METRIC.coalescingSaved)).toBe(42);
    expect(await telemetry.sum(METRIC.poisonMessages, { [ATTRIBUTE.queue]: 'notifications' })).toBe(1);
    expect(await telemetry.sum(METRIC.renewals, { [ATTRIBUTE.outcome]: 'renewed' })).toBe(2);
    expect(await telemetry.sum(METRIC.renewals, { [ATTRIBUTE.outcome]: 'failed' })).toBe(1);
    expect(await telemetry.sum(METRIC.lifecycleEvents, { [ATTRIBUTE.lifecycleEvent]: 'reauthorizationRequired' })).toBe(
      1,
    );
    expect(await telemetry.sum(METRIC.lifecycleEvents, { [ATTRIBUTE.lifecycleEvent]: 'unknown' })).toBe(1);
  });
});

describe('observable gauges', () => {
  it('reports subscriptions by status (zeros included) and the soonest expiry per kind of live subscriptions', async () => {
    // Prepare
    const unregister = observeSubscriptions(() => [
      { status: 'active', resourceKind: 'message', secondsToExpiry: 90_000 },
      { status: 'active', resourceKind: 'message', secondsToExpiry: 20_000.4 },
      { status: 'active', resourceKind: 'users', secondsToExpiry: 3_000 },
      { status: 'failed', resourceKind: 'group', secondsToExpiry: 10 },
      { status: 'madeUpStatus', resourceKind: 'group', secondsToExpiry: 5 },
    ]);

    // Act
    const byStatus = await telemetry.pointsOf(METRIC.subscriptions);
    const expiry = await telemetry.pointsOf(METRIC.subscriptionsTimeToExpiry);
    unregister();

    // Assess
    const counts = Object.fromEntries(
      byStatus.map((point) => [String(point.attributes[ATTRIBUTE.subscriptionStatus]), point.value]),
    );
    expect(counts).toEqual({
      pending: 0,
      active: 3,
      failed: 1,
      removed: 0,
      deleted: 0,
      other: 1,
    });
    // Failed and unknown-status subscriptions are not expected to deliver, so their expiry does not alert.
    expect(expiry.map((point) => [point.attributes[ATTRIBUTE.resourceKind], point.value, point.unit])).toEqual(
      expect.arrayContaining([
        ['message', 20_000, 's'],
        ['user', 3_000, 's'],
      ]),
    );
    expect(expiry).toHaveLength(2);
  });

  it('skips an observation when the snapshot source fails, and stops after unregistering', async () => {
    let fail = true;
    const unregister = observeSubscriptions(() => {
      if (fail) return Promise.reject(new Error('table unavailable'));
      return Promise.resolve([{ status: 'active', resourceKind: 'event', secondsToExpiry: 100 }]);
    });

    expect(await telemetry.pointsOf(METRIC.subscriptions)).toEqual([]);
    fail = false;
    expect(await telemetry.sum(METRIC.subscriptions, { [ATTRIBUTE.subscriptionStatus]: 'active' })).toBe(1);
    unregister();
    const afterUnregister = installInMemoryTelemetry();
    expect(await afterUnregister.pointsOf(METRIC.subscriptions)).toEqual([]);
    await afterUnregister.uninstall();
  });

  it('reports queue depths with the poison flag', async () => {
    const unregister = observeQueueDepths(() => [
      { queue: 'notifications', poison: false, messages: 12 },
      { queue: 'notifications', poison: true, messages: 3 },
    ]);

    expect(
      await telemetry.sum(METRIC.queueDepth, { [ATTRIBUTE.queue]: 'notifications', [ATTRIBUTE.poison]: true }),
    ).toBe(3);
    expect(
      await telemetry.sum(METRIC.queueDepth, { [ATTRIBUTE.queue]: 'notifications', [ATTRIBUTE.poison]: false }),
    ).toBe(12);
    unregister();
  });
});

describe('the catalogue', () => {
  it('describes every metric emitted, with the unit, description and attribute keys it is emitted with', async () => {
    // Prepare: exercise every recording function and gauge.
    const unregisterSubscriptions = observeSubscriptions(() => [
      { status: 'active', resourceKind: 'message', secondsToExpiry: 60 },
    ]);
    const unregisterQueues = observeQueueDepths(() => [{ queue: 'lifecycle', poison: true, messages: 1 }]);
    exerciseEveryRecorder();

    // Act
    const points = await telemetry.points();
    unregisterSubscriptions();
    unregisterQueues();

    // Assess
    expect(new Set(points.map((point) => point.name))).toEqual(new Set(METRICS.map((metric) => metric.name)));
    for (const point of points) {
      const row = METRICS.find((metric) => metric.name === point.name);
      expect(row, point.name).toBeDefined();
      expect(point.unit, point.name).toBe(row?.unit);
      expect(point.description, point.name).toBe(row?.description);
      expect(Object.keys(point.attributes).sort(), point.name).toEqual([...(row?.attributes ?? [])].sort());
    }
  });

  it('maps resource kinds in any case or number onto the closed list', () => {
    expect(toResourceKind('chatMessages')).toBe('chatMessage');
    expect(toResourceKind('DRIVEITEM')).toBe('driveItem');
    expect(toResourceKind('/users/42/messages')).toBe('other');
    expect(toResourceKind(undefined)).toBe('other');
  });
});

function exerciseEveryRecorder(): void {
  recordNotificationsReceived(1, { endpoint: 'notifications' });
  recordNotificationsAccepted(1, { endpoint: 'notifications' });
  recordNotificationRejected('invalidItem');
  recordEnqueueLatency(5, { outcome: 'enqueued' });
  recordMessageProcessed('succeeded');
  recordGraphRequest({ operation: 'getResource', status: 200, throttled: false, durationMs: 20 });
  recordEndToEndLatency(100, { resourceKind: 'message' });
  recordCoalescingSaved(1);
  recordRenewal('renewed');
  recordLifecycleEvent('missed');
  recordPoisonMessage('lifecycle');
}

describe('attribute values', () => {
  /** Every value an attribute may take: closed lists, booleans and HTTP status integers. Nothing else. */
  const allowed: Readonly<Record<string, (value: unknown) => boolean>> = (() => {
    const oneOf = (values: readonly string[]) => (value: unknown) =>
      typeof value === 'string' && values.includes(value);
    return {
      [ATTRIBUTE.endpoint]: oneOf(['notifications', 'lifecycle']),
      [ATTRIBUTE.rejectionReason]: oneOf([
        'bodyTooLarge',
        'unsupportedMediaType',
        'malformedJson',
        'invalidCollection',
        'invalidItem',
        'unknownSubscription',
        'clientStateMismatch',
        'tenantMismatch',
        'validationTokenInvalid',
        'decryptionFailed',
        'richContentMismatch',
        'other',
      ]),
      [ATTRIBUTE.outcome]: oneOf([
        'enqueued',
        'failed',
        'succeeded',
        'deferred',
        'retrying',
        'poisoned',
        'discarded',
        'other',
        'renewed',
        'reauthorized',
        'recreated',
        'skipped',
      ]),
      [ATTRIBUTE.queue]: oneOf(['notifications', 'lifecycle', 'changes', 'other']),
      [ATTRIBUTE.poison]: (value) => typeof value === 'boolean',
      [ATTRIBUTE.throttled]: (value) => typeof value === 'boolean',
      [ATTRIBUTE.statusCode]: (value) =>
        value === 0 || (Number.isInteger(value) && (value as number) >= 100 && (value as number) <= 599),
      [ATTRIBUTE.graphOperation]: oneOf([
        'getResource',
        'batch',
        'delta',
        'createSubscription',
        'renewSubscription',
        'deleteSubscription',
        'reauthorizeSubscription',
        'getSubscription',
        'listSubscriptions',
        'acquireToken',
        'other',
      ]),
      // The domain registries, not the telemetry catalogue: a metric may only name kinds and statuses that exist.
      [ATTRIBUTE.resourceKind]: oneOf([...RESOURCE_KIND_NAMES, 'driveItem', 'other']),
      [ATTRIBUTE.lifecycleEvent]: oneOf(['reauthorizationRequired', 'subscriptionRemoved', 'missed', 'unknown']),
      [ATTRIBUTE.subscriptionStatus]: oneOf([...STORED_SUBSCRIPTION_STATUSES, 'other']),
    };
  })();

  const secretLike = fc.oneof(
    fc.string(),
    fc.constantFrom(
      '__proto__',
      'constructor',
      'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln',
      'clientState=s3cr3t-value',
      'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----',
      'users/6f1c6a3b-1111-2222-3333-444455556666/messages/AAMkAD',
      'true',
      '200',
    ),
  );

  it('come only from closed lists, whatever free text a caller passes at runtime', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretLike,
        fc.oneof(fc.integer(), fc.double(), fc.constant(Number.NaN)),
        fc.anything(),
        async (text, number, anything) => {
          // Prepare: a fresh provider per run, so a failure shrinks to the input that caused it.
          const run = installInMemoryTelemetry();
          const free = text as never;

          // Act: every recorder and gauge fed the hostile value where a closed value belongs (a careless cast).
          recordNotificationsReceived(1, { endpoint: free });
          recordNotificationsAccepted(1, { endpoint: free });
          recordNotificationRejected(free, { endpoint: free, count: 1 });
          recordEnqueueLatency(1, { outcome: free });
          recordMessageProcessed(free, { queue: free });
          recordGraphRequest({ operation: free, status: number, throttled: anything as boolean, durationMs: 1 });
          recordEndToEndLatency(1, { resourceKind: text });
          recordRenewal(free);
          recordLifecycleEvent(text);
          recordPoisonMessage(free);
          const unregisterSubscriptions = observeSubscriptions(() => [
            { status: text, resourceKind: text, secondsToExpiry: 1 },
          ]);
          const unregisterQueues = observeQueueDepths(() => [
            { queue: free, poison: anything as boolean, messages: 1 },
          ]);
          const points = await run.points();
          unregisterSubscriptions();
          unregisterQueues();
          await run.uninstall();

          // Assess
          expect(points.length).toBeGreaterThan(0);
          for (const point of points) {
            for (const [key, value] of Object.entries(point.attributes)) {
              const isAllowed = allowed[key];
              expect(isAllowed, `${point.name} carries unexpected attribute ${key}`).toBeDefined();
              expect(isAllowed?.(value), `${point.name} ${key}=${JSON.stringify(value)}`).toBe(true);
            }
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
