/**
 * Subscriptions: the URLs Graph is given when graph-notify creates a subscription, when the reconciler
 * timer runs, how early it renews and how far ahead it asks Graph to keep a subscription alive, how often
 * it compares the table with Graph (the list API allows only 25 requests per 20 s per app and tenant,
 * docs/graph-protocol.md §1.7), how many Graph calls it makes at once per tenant, and the optional desired-state file.
 *
 * The notification URLs are optional at start-up so that ingest and processing run without them (locally,
 * or when subscriptions are managed elsewhere); creating, renewing into a new subscription or recreating
 * one then fails with ERR_SUBSCRIPTIONS_NOT_CONFIGURED naming NOTIFICATION_URL. A value that is an
 * unresolved Key Vault reference is a problem of this area: it takes down subscription management only
 * (appParts.ts), and ingest and processing keep running.
 */
import type { EnvReader } from '../envReader';
import { defineSetting, type SettingDefinition } from '../setting';

export const subscriptionSettings = {
  notificationUrl: defineSetting({
    name: 'NOTIFICATION_URL',
    description:
      'Public URL of the notifications webhook as Graph must call it, including the function key: https://<app>/api/notifications?code=<key>. Sent as notificationUrl on every subscription graph-notify creates. https is required except for loopback hosts (local simulator). A Key Vault reference in Azure.',
    secret: true,
    whenWrong:
      'Subscriptions cannot be created or recreated (ERR_SUBSCRIPTIONS_NOT_CONFIGURED when unset); a wrong URL or key makes Graph refuse the create (validation handshake failed) or deliver to nowhere.',
  }),
  lifecycleNotificationUrl: defineSetting({
    name: 'LIFECYCLE_NOTIFICATION_URL',
    description:
      'Public URL of the lifecycle webhook including the function key: https://<app>/api/lifecycle?code=<key>. Sent as lifecycleNotificationUrl on create (Graph cannot add it later). Optional, but without it Graph sends no reauthorizationRequired, subscriptionRemoved or missed events, so webhook creates are refused (rule lifecycle-url) unless they opt out with withoutLifecycleUrl, and Teams subscriptions longer than 1 hour are refused. A Key Vault reference in Azure.',
    secret: true,
    whenWrong:
      'Unset: webhook creates are refused unless they opt out; an opted-out subscription is paused unannounced when its token lapses (health degraded, subscriptionsWithoutLifecycleUrl), removed subscriptions are only noticed by the periodic drift check and paused deliveries are only resumed by renewals. Wrong: Graph refuses every create (validation handshake failed).',
  }),
  reconcileSchedule: defineSetting({
    name: 'RECONCILE_SCHEDULE',
    description:
      'NCRONTAB schedule (six fields, seconds first) of the reconcileSubscriptions timer, which renews, repairs and recreates subscriptions from the subscriptions table.',
    default: '0 */5 * * * *',
    whenWrong:
      'Too rare: renewals and repairs come late (keep it well under RENEWAL_WINDOW_MINUTES). Malformed: the timer does not start.',
  }),
  renewalWindowMinutes: defineSetting({
    name: 'RENEWAL_WINDOW_MINUTES',
    description:
      'A subscription is renewed once its remaining lifetime falls under this many minutes (capped at half of its lifetime, so short-lived kinds still renew early). Every reconcile run inside the window is another chance to renew.',
    default: '720',
    whenWrong:
      'Too small for the schedule: a Graph outage shorter than the window can still let a subscription expire (it is then recreated and resynced).',
  }),
  renewalJitterPercent: defineSetting({
    name: 'RENEWAL_JITTER_PERCENT',
    description:
      "Widens each subscription's renewal window by 0 to this many percent, a fixed share per subscription id, so subscriptions created together fall due spread over hours (with the defaults, between 12 and 18 hours before expiry) instead of in one run.",
    default: '50',
    whenWrong:
      "0: subscriptions created together are renewed together, and a tenant's renewals can exceed Graph's 500 writes per 20 s in one run. Very high: renewals come earlier than needed (never later).",
  }),
  expirationMarginMinutes: defineSetting({
    name: 'EXPIRATION_MARGIN_MINUTES',
    description:
      "Safety margin below each resource kind's maximum lifetime: creates and renewals ask Graph for now + maximum - margin, so clock skew never makes Graph refuse the expiry as too far ahead.",
    default: '15',
    whenWrong:
      'Too small: Graph may refuse renewals with "Subscription expiration can only be N minutes in the future". Too large: more renewals than needed.',
  }),
  maxLifetimeMinutes: defineSetting({
    name: 'SUBSCRIPTION_MAX_LIFETIME_MINUTES',
    description:
      "Optional cap, in minutes, on every resource kind's maximum lifetime (at least 45 + EXPIRATION_MARGIN_MINUTES). Leave unset in production; set it to exercise renewals with short-lived subscriptions (tests, the simulator).",
    whenWrong: 'Subscriptions live shorter than they could, costing more renewals.',
  }),
  driftCheckIntervalMinutes: defineSetting({
    name: 'DRIFT_CHECK_INTERVAL_MINUTES',
    description:
      'How often the reconciler lists the subscriptions in Graph (one paged GET per tenant) and repairs differences with the table: subscriptions missing in Graph are recreated and resynced, interrupted creates are adopted or cleaned up. A tenant with more than 500 subscriptions is listed less often, at least 12 minutes per 100 subscriptions apart (10,000: every 20 h), so its list costs at most 840 pages a week whatever its size (at 10,000, under a tenth of its Graph requests). Other runs work from the table only.',
    default: '60',
    whenWrong:
      'Too high: a subscription Graph dropped without a lifecycle event stays missing that long. Too low: the list API (25 requests per 20 s per tenant) throttles.',
  }),
  concurrencyPerTenant: defineSetting({
    name: 'RECONCILE_CONCURRENCY_PER_TENANT',
    description:
      'Graph calls the reconciler makes at once per tenant (renewals, recreations, resyncs); each renewal call is a $batch of up to 20 PATCHes. A 429 pauses that tenant for its Retry-After, then the run goes on; what would wait past 4 minutes is left to the next run.',
    default: '4',
    whenWrong:
      'Too high: more inner 429s to wait out (Graph allows 500 subscription writes per 20 s per tenant whatever the concurrency). Too low: a large round of renewals takes longer within a run.',
  }),
  desiredSubscriptionsPath: defineSetting({
    name: 'DESIRED_SUBSCRIPTIONS_PATH',
    description:
      "Optional path of a JSON file listing the subscriptions that must exist (docs/subscriptions.md#desired-state). The reconciler creates missing ones and deletes ones it created from this file that are no longer listed; it never touches subscriptions created through the API or CLI. A relative path is resolved against the function app's root.",
    whenWrong:
      'An unreadable or invalid file is reported on every run and the desired-state pass is skipped (nothing is deleted because of it).',
  }),
} as const;

export interface SubscriptionsConfig {
  /** Undefined when NOTIFICATION_URL is unset: nothing can be created. */
  readonly notificationUrl: string | undefined;
  readonly lifecycleNotificationUrl: string | undefined;
  readonly reconcileSchedule: string;
  readonly renewalWindowMinutes: number;
  readonly renewalJitterPercent: number;
  readonly expirationMarginMinutes: number;
  readonly maxLifetimeMinutes: number | undefined;
  readonly driftCheckIntervalMinutes: number;
  readonly concurrencyPerTenant: number;
  readonly desiredSubscriptionsPath: string | undefined;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Graph raises any expiry under now + 45 minutes to 45 minutes (docs/graph-protocol.md §1.1). */
const GRAPH_MINIMUM_LIFETIME_MINUTES = 45;

export function readSubscriptionsConfig(env: EnvReader): SubscriptionsConfig {
  const s = subscriptionSettings;
  const margin = env.integer(s.expirationMarginMinutes, { min: 1, max: 1440 });
  const cap =
    env.optionalString(s.maxLifetimeMinutes) === undefined
      ? undefined
      : env.integer(s.maxLifetimeMinutes, { min: GRAPH_MINIMUM_LIFETIME_MINUTES + margin, max: 43_200 });
  return {
    notificationUrl: readWebhookUrl(env, s.notificationUrl),
    lifecycleNotificationUrl: readWebhookUrl(env, s.lifecycleNotificationUrl),
    reconcileSchedule: readSchedule(env, s.reconcileSchedule),
    renewalWindowMinutes: env.integer(s.renewalWindowMinutes, { min: 10, max: 43_200 }),
    renewalJitterPercent: env.integer(s.renewalJitterPercent, { min: 0, max: 100 }),
    expirationMarginMinutes: margin,
    maxLifetimeMinutes: cap,
    driftCheckIntervalMinutes: env.integer(s.driftCheckIntervalMinutes, { min: 5, max: 10_080 }),
    concurrencyPerTenant: env.integer(s.concurrencyPerTenant, { min: 1, max: 32 }),
    desiredSubscriptionsPath: env.optionalString(s.desiredSubscriptionsPath),
  };
}

/** https, or http on a loopback host (the simulator delivers to the local host over plain http). */
function readWebhookUrl(env: EnvReader, setting: SettingDefinition): string | undefined {
  const text = env.optionalString(setting);
  if (text === undefined) return undefined;
  // The value carries a function key: never echo it in a problem.
  if (!URL.canParse(text)) {
    env.problem(
      setting,
      'must be an absolute URL such as https://<app>.azurewebsites.net/api/notifications?code=<key>',
    );
    return text;
  }
  const url = new URL(text);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    env.problem(
      setting,
      `must use https (Graph refuses other schemes; http is accepted for loopback hosts only), got ${url.protocol}`,
    );
  }
  if (url.searchParams.has('validationToken'))
    env.problem(setting, 'must not contain validationToken (Graph appends it for the handshake)');
  return text;
}

/** Six NCRONTAB fields, seconds first, or a %SETTING% the host resolves ("Timer trigger for Azure Functions", https://learn.microsoft.com/azure/azure-functions/functions-bindings-timer). */
function readSchedule(env: EnvReader, setting: SettingDefinition): string {
  const text = env.string(setting);
  const fields = text.split(/\s+/);
  if (text !== '' && (fields.length !== 6 || !fields.every((field) => /^[0-9A-Za-z*/,-]+$/.test(field)))) {
    env.problem(
      setting,
      `must be an NCRONTAB expression with six fields ({second} {minute} {hour} {day} {month} {day-of-week}), got "${text}"`,
    );
  }
  return text;
}
