/**
 * The reconcile timer's Event Grid step. Graph creates the partner topic with the first eventGrid subscription,
 * but nothing is delivered until the topic is activated and has an event subscription to
 * receiveEventGridNotifications (docs/graph-protocol.md §14.1). While any eventGrid subscription is active and
 * EVENT_GRID_FUNCTION_APP_RESOURCE_ID and EVENT_GRID_DEAD_LETTER_STORAGE_ACCOUNT_ID are set, every run does what
 * `graph-notify eventgrid activate` does (activateEventGridRoute: every step idempotent), so a topic Graph
 * created since the last run, or an event subscription someone deleted, is back within one timer period.
 *
 * A failure never fails the run: it is in the maintenance report, logged, and shown as the `lastError` of each
 * active eventGrid subscription (prefixed EVENT_GRID_ROUTE_ERROR_PREFIX, never over an error Graph gave), and
 * cleared from them once the route is set up again.
 */
import {
  activateEventGridRoute,
  type ArmDependencies,
  type EventGridActivationRequest,
  type EventGridActivationResult,
} from '../delivery/activateEventGrid';
import { routeOfUrl } from '../delivery/deliveryUrls';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import { describeError } from '../shared/redact';
import type { StoredSubscription, SubscriptionRepository } from '../subscriptions';

export const EVENT_GRID_ROUTE_ERROR_PREFIX = 'Event Grid route: ';

/** What the step needs when the route is to be kept active: the activation built from the settings, and ARM. */
export interface EventGridRouteDependencies {
  readonly request: EventGridActivationRequest;
  readonly arm: ArmDependencies;
}

export type EventGridRouteReport =
  /** The activation settings are not set: the route is left to `graph-notify eventgrid activate`. */
  | { readonly status: 'notConfigured' }
  /** No active eventGrid subscription, so Graph may not have created the topic: nothing to do yet. */
  | { readonly status: 'noSubscriptions' }
  | ({ readonly status: 'active' } & EventGridActivationResult)
  | { readonly status: 'failed'; readonly error: string };

export interface EventGridRouteStepDependencies {
  readonly repository: SubscriptionRepository;
  readonly clock: Clock;
  readonly log: Logger;
  readonly eventGridRoute?: EventGridRouteDependencies | undefined;
}

export async function keepEventGridRouteActive(deps: EventGridRouteStepDependencies): Promise<EventGridRouteReport> {
  const route = deps.eventGridRoute;
  if (route === undefined) return { status: 'notConfigured' };
  const onRoute = (await deps.repository.list()).filter(
    (record) => record.status === 'active' && routeOfUrl(record.notificationUrl) === 'eventGrid',
  );
  if (onRoute.length === 0) return { status: 'noSubscriptions' };
  try {
    const result = await activateEventGridRoute(route.request, route.arm);
    if (result.topic === 'activated' || result.eventSubscription === 'created')
      deps.log.info(
        `Event Grid route set up: partner topic ${route.request.partnerTopic} ${result.topic === 'activated' ? 'activated' : 'already active'}, event subscription ${route.request.eventSubscriptionName} ${result.eventSubscription}`,
      );
    await showRouteError(onRoute, undefined, deps);
    return { status: 'active', ...result };
  } catch (error) {
    const message = describeError(error);
    deps.log.error(
      `Could not keep the Event Grid route active for ${onRoute.length} subscription(s) (partner topic ${route.request.partnerTopic}); the next reconcile run tries again: ${message}`,
    );
    await showRouteError(onRoute, message, deps);
    return { status: 'failed', error: message };
  }
}

/** Sets (or, with `error` undefined, clears) the route's error on each record; a concurrent write wins. */
async function showRouteError(
  records: readonly StoredSubscription[],
  error: string | undefined,
  deps: EventGridRouteStepDependencies,
): Promise<void> {
  const ours = (lastError: string | undefined): boolean =>
    lastError?.startsWith(EVENT_GRID_ROUTE_ERROR_PREFIX) ?? false;
  const wanted = error === undefined ? undefined : `${EVENT_GRID_ROUTE_ERROR_PREFIX}${error}`;
  for (const record of records) {
    // Never hide what Graph said about the subscription; only our own note is replaced or cleared.
    if (record.lastError === wanted || (record.lastError !== undefined && !ours(record.lastError))) continue;
    const { etag, ...rest } = record;
    try {
      await deps.repository.update({ ...rest, lastError: wanted, updatedAt: deps.clock.now().toISOString() }, etag);
    } catch (updateError) {
      // Another worker wrote it meanwhile (renewal, lifecycle): the next run shows the route's state again.
      deps.log.warn(
        `Could not note the Event Grid route's state on subscription ${record.subscriptionId}: ${describeError(updateError)}`,
      );
    }
  }
}
