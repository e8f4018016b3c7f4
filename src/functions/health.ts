/**
 * GET /api/health — what works and what does not (docs/operations.md#health): the configuration the app read at
 * start-up, the subscriptions that need an operator (`subscriptionsNeedingOperator`: refused by Graph, or lapsed
 * while the table counts on them) and the active ones without a lifecycle URL (`subscriptionsWithoutLifecycleUrl`),
 * read from the subscriptions table. 200 when ingest and processing work (`healthy`, or `degraded` when a part such
 * as subscription management does not, a subscription needs an operator or runs without a lifecycle URL), 503 when
 * ingest or processing does not (`unhealthy`). Settings are named, never their values; no
 * subscription's clientState is shown. It never calls Graph; the table read is bounded by HEALTH_TABLE_READ_MS.
 *
 * authLevel `admin`: the answer describes the app's configuration, which is for operators, as the
 * management API is; monitoring calls it with the master key (`x-functions-key` header). Only the webhooks
 * take a function key (docs/security.md).
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { appHealth, appServices } from '../index';
import { describeError } from '../lib/shared/redact';
import { subscriptionsHealth, type SubscriptionsHealth } from '../lib/subscriptions';

/** The longest health waits for the subscriptions table: monitoring probes time out, and health must answer. */
export const HEALTH_TABLE_READ_MS = 5_000;

export interface HealthSources {
  readonly read: () => ReturnType<typeof appHealth>;
  /** What the subscriptions table says now; not asked when subscription management is unavailable. */
  readonly subscriptions: () => Promise<SubscriptionsHealth>;
}

const appSources: HealthSources = {
  read: appHealth,
  subscriptions: async () => {
    const { repository, clock } = appServices().subscriptionServices;
    return subscriptionsHealth(await repository.list(), clock.now());
  },
};

/** `health` is for host-free tests; the runtime passes the request and gets the app's own answer. */
export async function health(_request?: HttpRequest, sources: HealthSources = appSources): Promise<HttpResponseInit> {
  const answer = sources.read();
  const subscriptions = answer.available.subscriptions ? await readSubscriptions(sources) : undefined;
  const degraded =
    subscriptions !== undefined &&
    ('error' in subscriptions ||
      subscriptions.needingOperator.length > 0 ||
      subscriptions.withoutLifecycleUrl.length > 0);
  const status = answer.status === 'healthy' && degraded ? 'degraded' : answer.status;
  return {
    status: status === 'unhealthy' ? 503 : 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body: JSON.stringify({
      ...answer,
      status,
      ...(subscriptions === undefined
        ? {}
        : 'error' in subscriptions
          ? {
              subscriptionsNeedingOperator: null,
              subscriptionsWithoutLifecycleUrl: null,
              subscriptionsUnreadable: subscriptions.error,
            }
          : {
              subscriptionsNeedingOperator: subscriptions.needingOperator,
              subscriptionsWithoutLifecycleUrl: subscriptions.withoutLifecycleUrl,
            }),
    }),
  };
}

async function readSubscriptions(sources: HealthSources): Promise<SubscriptionsHealth | { readonly error: string }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`the subscriptions table did not answer within ${HEALTH_TABLE_READ_MS} ms`));
    }, HEALTH_TABLE_READ_MS);
  });
  try {
    return await Promise.race([sources.subscriptions(), timeout]);
  } catch (error) {
    return { error: `could not read the subscriptions table: ${describeError(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'admin', handler: (request) => health(request) });
