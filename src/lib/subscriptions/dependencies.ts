/**
 * What the subscription use cases need: the table (repository port), the one Graph client, the lease
 * store and sink for resyncs, a clock, a logger, and the settings read once at start-up. The
 * composition roots (src/index.ts for the app, src/cli for the CLI) build one of these from `AppConfig`
 * with `subscriptionSettingsFrom`.
 */
import type { AppConfig, DeliveryConfig } from '../config';
import type { GraphClient } from '../graph';
import type { ChangeSink } from '../processing';
import type { LeaseStore } from '../resync/ports';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { SubscriptionRepository } from './subscriptionRepository';
import type { Sleep } from './tenantBackoff';

export interface SubscriptionSettings {
  /** Undefined when NOTIFICATION_URL is unset: creates and recreations fail with ERR_SUBSCRIPTIONS_NOT_CONFIGURED. */
  readonly notificationUrl: string | undefined;
  readonly lifecycleNotificationUrl: string | undefined;
  readonly renewalWindowMinutes: number;
  /** Widens each subscription's renewal window by up to this percentage, fixed per id (spreads renewals). Undefined = 0. */
  readonly renewalJitterPercent?: number;
  readonly expirationMarginMinutes: number;
  /** Caps every kind's maximum lifetime (tests, short-lived subscriptions). */
  readonly maxLifetimeMinutes: number | undefined;
  readonly driftCheckIntervalMinutes: number;
  readonly concurrencyPerTenant: number;
  /** Tenant used when a request names none (GRAPH_TENANT_ID). */
  readonly defaultTenantId: string;
  /** Graph root with version, to turn list nextLinks back into paths. */
  readonly graphBaseUrl: string;
  /** The current rich-notification certificate; undefined = includeResourceData is refused. */
  readonly encryption: { readonly certificateId: string; readonly certificateBase64Der: string } | undefined;
  /** The resync safety net and the event window (RESYNC_INTERVAL_MINUTES, EVENT_RESYNC_WINDOW_DAYS); absent = their defaults. */
  readonly resync?: ResyncSettings;
  /** The route a request without `delivery` takes and the Event Grid / Event Hubs settings; absent = webhooks only. */
  readonly delivery?: DeliveryConfig;
}

export interface ResyncSettings {
  /** 0 = no periodic resync. */
  readonly intervalMinutes: number;
  readonly eventWindowDays: number;
}

/** The documented defaults of RESYNC_INTERVAL_MINUTES and EVENT_RESYNC_WINDOW_DAYS. */
export const DEFAULT_RESYNC_SETTINGS: ResyncSettings = { intervalMinutes: 360, eventWindowDays: 90 };

export interface SubscriptionDependencies {
  readonly repository: SubscriptionRepository;
  readonly graph: Pick<GraphClient, 'send' | 'sendBatch' | 'deltaPages'>;
  readonly leases: LeaseStore;
  readonly sink: ChangeSink;
  readonly clock: Clock;
  readonly log: Logger;
  readonly settings: SubscriptionSettings;
  /** Text of the desired-state file, undefined when none is configured; read on every reconcile run. */
  readonly readDesiredState?: () => Promise<string | undefined>;
  /** Waits out a tenant's Retry-After inside a reconcile run; tests and the bench move virtual time instead. Default: a timer. */
  readonly sleep?: Sleep;
  /** Tests replace the generators of secrets and ids; production uses crypto.randomBytes / randomUUID. */
  readonly newClientState?: () => string;
  readonly newIntentId?: () => string;
}

export function subscriptionSettingsFrom(config: AppConfig): SubscriptionSettings {
  const s = config.subscriptions;
  const current = config.graph.encryption.current;
  return {
    notificationUrl: s.notificationUrl,
    lifecycleNotificationUrl: s.lifecycleNotificationUrl,
    renewalWindowMinutes: s.renewalWindowMinutes,
    renewalJitterPercent: s.renewalJitterPercent,
    expirationMarginMinutes: s.expirationMarginMinutes,
    maxLifetimeMinutes: s.maxLifetimeMinutes,
    driftCheckIntervalMinutes: s.driftCheckIntervalMinutes,
    concurrencyPerTenant: s.concurrencyPerTenant,
    defaultTenantId: config.graph.tenantId,
    graphBaseUrl: config.graph.baseUrl,
    encryption:
      current === undefined
        ? undefined
        : { certificateId: current.certificateId, certificateBase64Der: current.certificateBase64Der },
    resync: {
      intervalMinutes: config.resync.resyncIntervalMinutes,
      eventWindowDays: config.resync.eventResyncWindowDays,
    },
    delivery: config.delivery,
  };
}
