/**
 * The rules a subscription request must meet, checked before Graph is called (docs/graph-protocol.md §1.1-§1.3), all
 * read from the one resource-kind registry: a supported resource, change types the kind allows, rich
 * notifications only where Graph offers them and only with a certificate configured, an expiry within
 * the kind's maximum (the shorter rich limit included), a lifecycle URL where Graph requires one, and a lifecycle URL
 * on every subscription unless the request opts out (docs/subscriptions.md#subscriptions-without-a-lifecycle-url).
 * Each refusal names its rule and says how to fix the request. Also: how long to ask Graph for on
 * create and renewal (the maximum less a margin), and when a subscription is due for renewal.
 */
import * as z from 'zod/mini';
import { DELIVERY_ROUTES, type DeliveryRoute } from '../config/settings/delivery';
import { defaultRoute } from '../delivery/deliveryUrls';
import { isTenantId } from '../graph';
import {
  kindOfStoredSubscription,
  kindOfSubscriptionResource,
  normalizeResourcePath,
  RESOURCE_KINDS,
  UNLISTED_KIND,
  type ChangeType,
  type ResourceKind,
} from '../resources';
import { lazySchema } from '../shared/lazySchema';
import type { SubscriptionSettings } from './dependencies';
import { SubscriptionRequestInvalid, SubscriptionRuleViolated, SubscriptionSelectRequired } from './errors';

const MINUTE_MS = 60_000;
const CHANGE_TYPE_ORDER: readonly ChangeType[] = ['created', 'updated', 'deleted'];
/** Outlook resources send rich notifications only with `$select` in the resource (docs/graph-protocol.md §5.1). */
const OUTLOOK_KINDS: ReadonlySet<string> = new Set(['message', 'event', 'contact']);

/** True when the resource's query selects at least one property (`?$select=a,b`, case-insensitive). */
function hasSelect(resource: string): boolean {
  const query = resource.split('?')[1] ?? '';
  return query.split('&').some((option) => /^(%24|\$)select=\s*[^\s&]/i.test(option));
}

/** What an operator (API, CLI) or the desired-state file asks for. */
export interface SubscriptionRequest {
  readonly resource: string;
  readonly changeType: string;
  readonly tenantId?: string | undefined;
  readonly includeResourceData?: boolean | undefined;
  /** ISO 8601; default: the kind's maximum lifetime less the margin. */
  readonly expirationDateTime?: string | undefined;
  /**
   * Seed the sink with a full delta of the resource right after the create and keep its deltaLink, so
   * the mirror starts complete and later resyncs are incremental. Default false (docs/subscriptions.md
   * #initial-sync): the safety net seeds it within its first interval instead.
   */
  readonly initialSync?: boolean | undefined;
  /** How Graph delivers its notifications and lifecycle events; default DEFAULT_DELIVERY (docs/ingest.md#delivery-routes). */
  readonly delivery?: DeliveryRoute | undefined;
  /**
   * Subscribe to a resource the table does not list, at the notificationsOnly level (docs/resources.md
   * #unlisted-resources). Ignored for a listed resource.
   */
  readonly unlisted?: boolean | undefined;
  /**
   * Create the subscription even though Graph would get no lifecycle URL (a webhook with LIFECYCLE_NOTIFICATION_URL
   * unset), accepting that Graph pauses it unannounced when its token lapses (docs/subscriptions.md
   * #subscriptions-without-a-lifecycle-url). Default false: such a create is refused.
   */
  readonly withoutLifecycleUrl?: boolean | undefined;
}

/** A request that passed every rule, ready for Graph. */
export interface SubscriptionPlan {
  readonly kind: ResourceKind;
  readonly tenantId: string;
  /** As the operator wrote it, without a leading slash: Graph keeps OData options such as $select. */
  readonly resource: string;
  /** Canonical order, no duplicates: `created,updated,deleted`. */
  readonly changeType: string;
  readonly includeResourceData: boolean;
  readonly expirationDateTime: string;
  readonly initialSync: boolean;
  readonly delivery: DeliveryRoute;
  /** What the operator should know about the plan (an unlisted resource's level), for the create answer and the log. */
  readonly warnings: readonly string[];
}

/** Checks `request` against the rules; throws `SubscriptionRuleViolated` naming the first rule it breaks. */
export function planSubscription(
  request: SubscriptionRequest,
  settings: SubscriptionSettings,
  now: Date,
): SubscriptionPlan {
  const { resource, tenantId, kind } = checkTarget(request, settings);
  const changeType = checkChangeTypes(request.changeType, kind);
  const { initialSync, includeResourceData } = checkOptions(request, resource, kind, settings);
  const maxMinutes = maxLifetimeMinutes(kind, includeResourceData, settings);
  const expiresMs = plannedExpiryMs(request.expirationDateTime, maxMinutes, kind, includeResourceData, settings, now);
  const delivery = request.delivery ?? defaultRoute(settings);
  checkLifecycleUrl(
    delivery,
    kind,
    settings,
    (expiresMs - now.getTime()) / MINUTE_MS,
    request.withoutLifecycleUrl === true,
  );
  return {
    kind,
    tenantId,
    resource,
    changeType,
    includeResourceData,
    expirationDateTime: new Date(expiresMs).toISOString(),
    initialSync,
    delivery,
    warnings: kind === UNLISTED_KIND ? [unlistedWarning(resource)] : [],
  };
}

/** What an operator is told when a resource the table does not list is subscribed to. */
export function unlistedWarning(resource: string): string {
  return `resource "${resource}" is not in graph-notify's resource table: it is subscribed at the notificationsOnly level (each notification, and decrypted rich content where Graph sends some, is written to the sink as it came; nothing is read from Graph and nothing is resynced), and renewed every ${UNLISTED_KIND.maxLifetimeMinutes} minutes since its Graph lifetime is unknown. Graph itself checks its change types and permission (docs/resources.md#unlisted-resources)`;
}

/** The refusal of a resource no kind lists: the families graph-notify knows, and how to opt in anyway. */
function unsupportedResource(resource: string): SubscriptionRuleViolated {
  const families = RESOURCE_KINDS.map((k) => k.name).join(', ');
  return new SubscriptionRuleViolated(
    'supported-resource',
    `resource "${resource}" is not in graph-notify's resource table (${families}; \`graph-notify resources\` and docs/resources.md list their path forms, e.g. users, users/{id}/messages, chats/getAllMessages, communications/presences?$filter=id in ('{id}'), sites/{id}/lists/{id}). To subscribe to it anyway at the notificationsOnly level, add "unlisted": true (API and desired-state file) or --unlisted (CLI)`,
  );
}

/** The resource (trimmed), its tenant (lower-cased) and its kind, or the rule the request breaks. */
function checkTarget(
  request: SubscriptionRequest,
  settings: SubscriptionSettings,
): { readonly resource: string; readonly tenantId: string; readonly kind: ResourceKind } {
  const resource = request.resource.trim().replace(/^\/+/, '');
  if (resource === '')
    throw new SubscriptionRequestInvalid('resource is required, e.g. "users" or "users/{id}/messages"');
  const tenantId = (request.tenantId ?? settings.defaultTenantId).toLowerCase();
  if (!isTenantId(tenantId))
    throw new SubscriptionRuleViolated('tenant-id', `tenantId must be a GUID, got "${tenantId}"`);
  if (normalizeResourcePath(resource).split('/', 1)[0] === 'me')
    throw new SubscriptionRuleViolated(
      'app-only-user',
      `resource "${resource}" names "me", the signed-in user, but graph-notify subscribes with an app-only token, which has no signed-in user, and Graph refuses it: write users/{id}/${resource.replace(/^me\b\/?/i, '')} with the user's object id or user principal name (a name is resolved to the id once, at create)`,
    );
  const kind = kindOfSubscriptionResource(resource) ?? (request.unlisted === true ? UNLISTED_KIND : undefined);
  if (kind === undefined) throw unsupportedResource(resource);
  const queryProblem = kind.queryRule?.(resource);
  if (queryProblem !== undefined) throw new SubscriptionRuleViolated('resource-query', queryProblem);
  return { resource, tenantId, kind };
}

/** initialSync and includeResourceData, each checked against what the kind allows. */
function checkOptions(
  request: SubscriptionRequest,
  resource: string,
  kind: ResourceKind,
  settings: SubscriptionSettings,
): { readonly initialSync: boolean; readonly includeResourceData: boolean } {
  const initialSync = request.initialSync === true;
  if (initialSync && kind.resyncDeltaPath === undefined) {
    throw new SubscriptionRuleViolated(
      'initial-sync',
      `initialSync is not available for ${kind.name} subscriptions: Graph has no delta query to list them; leave it out`,
    );
  }
  const includeResourceData = request.includeResourceData === true;
  if (includeResourceData && !kind.supportsRichNotifications) {
    throw new SubscriptionRuleViolated(
      'rich-notifications',
      `includeResourceData is not available for ${kind.name} subscriptions; Graph sends resource data only for ${RESOURCE_KINDS.filter(
        (k) => k.supportsRichNotifications,
      )
        .map((k) => k.name)
        .join(', ')} (docs/resources.md)`,
    );
  }
  if (includeResourceData && OUTLOOK_KINDS.has(kind.name) && !hasSelect(resource))
    throw new SubscriptionSelectRequired(kind.name, resource);
  if (includeResourceData && settings.encryption === undefined) {
    throw new SubscriptionRuleViolated(
      'encryption-certificate',
      'includeResourceData needs a certificate for Graph to encrypt with: set ENCRYPTION_CERTIFICATE_ID, ENCRYPTION_CERTIFICATE and ENCRYPTION_PRIVATE_KEY',
    );
  }
  return { initialSync, includeResourceData };
}

/** The expiry asked for (checked against Graph's maximum for the kind), or the maximum less the margin. */
function plannedExpiryMs(
  expirationDateTime: string | undefined,
  maxMinutes: number,
  kind: ResourceKind,
  includeResourceData: boolean,
  settings: SubscriptionSettings,
  now: Date,
): number {
  const nowMs = now.getTime();
  let expiresMs = nowMs + (maxMinutes - settings.expirationMarginMinutes) * MINUTE_MS;
  if (expirationDateTime !== undefined) {
    const requested = Date.parse(expirationDateTime);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(expirationDateTime) || Number.isNaN(requested)) {
      throw new SubscriptionRuleViolated(
        'expiration',
        `expirationDateTime must be an ISO 8601 instant such as 2026-05-01T10:00:00Z, got "${expirationDateTime}"`,
      );
    }
    if (requested <= nowMs)
      throw new SubscriptionRuleViolated('expiration', `expirationDateTime ${expirationDateTime} is not in the future`);
    if (requested > nowMs + maxMinutes * MINUTE_MS) {
      throw new SubscriptionRuleViolated(
        'maximum-lifetime',
        `expirationDateTime is ${Math.ceil((requested - nowMs) / MINUTE_MS)} minutes ahead; Graph allows at most ${maxMinutes} minutes for ${kind.name} subscriptions${includeResourceData && kind.richMaxLifetimeMinutes !== undefined ? ' with includeResourceData' : ''}. Leave it out to get the maximum less ${settings.expirationMarginMinutes} minutes`,
      );
    }
    expiresMs = requested;
  }
  return expiresMs;
}

/**
 * Graph's rule that long-lived subscriptions of some kinds need a lifecycle URL, then graph-notify's that every
 * subscription has one unless the request opts out: without one Graph pauses the subscription unannounced when its
 * token lapses and the changes made meanwhile are lost (docs/subscriptions.md#subscriptions-without-a-lifecycle-url).
 */
function checkLifecycleUrl(
  delivery: DeliveryRoute,
  kind: ResourceKind,
  settings: SubscriptionSettings,
  lifetimeMinutes: number,
  withoutLifecycleUrl: boolean,
): void {
  // Event Grid and Event Hubs take the route's own URL as lifecycleNotificationUrl: only webhooks can lack one.
  if (delivery !== 'webhook' || settings.lifecycleNotificationUrl !== undefined) return;
  if (kind.lifecycleRequiredAboveMinutes !== undefined && lifetimeMinutes > kind.lifecycleRequiredAboveMinutes) {
    throw new SubscriptionRuleViolated(
      'lifecycle-url-required',
      `Graph requires a lifecycle notification URL for ${kind.name} subscriptions that live more than ${kind.lifecycleRequiredAboveMinutes} minutes: set LIFECYCLE_NOTIFICATION_URL, or ask for an expirationDateTime at most ${kind.lifecycleRequiredAboveMinutes} minutes ahead`,
    );
  }
  if (!withoutLifecycleUrl) {
    throw new SubscriptionRuleViolated(
      'lifecycle-url',
      `LIFECYCLE_NOTIFICATION_URL is not set, so this webhook subscription would have no lifecycle URL: Graph would pause it without warning whenever its access token lapses (about an hour after each create or renewal) and the changes made until its next renewal would be lost. Set LIFECYCLE_NOTIFICATION_URL, deliver through eventGrid or eventHubs, or accept the loss explicitly with "withoutLifecycleUrl": true (API and desired-state file) or --without-lifecycle-url (CLI) (docs/subscriptions.md#subscriptions-without-a-lifecycle-url)`,
    );
  }
}

function checkChangeTypes(raw: string, kind: ResourceKind): string {
  const values = raw
    .split(',')
    .map((value) => value.trim())
    .filter((value) => value !== '');
  if (values.length === 0) {
    throw new SubscriptionRuleViolated(
      'change-type',
      `changeType is required: a comma-separated list from ${kind.allowedChangeTypes.join(', ')} for ${kind.name} subscriptions`,
    );
  }
  for (const value of values) {
    if (!(kind.allowedChangeTypes as readonly string[]).includes(value)) {
      throw new SubscriptionRuleViolated(
        'change-type',
        `changeType "${value}" is not allowed for ${kind.name} subscriptions; Graph accepts ${kind.allowedChangeTypes.join(', ')}${kind.name === 'user' || kind.name === 'group' ? ' (creation arrives as updated)' : ''}`,
      );
    }
  }
  return CHANGE_TYPE_ORDER.filter((type) => values.includes(type)).join(',');
}

/** The kind's maximum lifetime in minutes: the rich limit when it applies, capped by SUBSCRIPTION_MAX_LIFETIME_MINUTES. */
export function maxLifetimeMinutes(
  kind: ResourceKind,
  includeResourceData: boolean,
  settings: Pick<SubscriptionSettings, 'maxLifetimeMinutes'>,
): number {
  const kindMax = includeResourceData
    ? (kind.richMaxLifetimeMinutes ?? kind.maxLifetimeMinutes)
    : kind.maxLifetimeMinutes;
  return Math.min(kindMax, settings.maxLifetimeMinutes ?? Number.POSITIVE_INFINITY);
}

/** The expiry a renewal asks for: now + maximum - margin (an unlisted resource's: `UNLISTED_KIND`'s). */
export function renewalExpiration(
  subscription: { readonly resource: string; readonly includeResourceData: boolean },
  settings: SubscriptionSettings,
  now: Date,
): string {
  const kind = kindOfStoredSubscription(subscription.resource);
  const minutes =
    maxLifetimeMinutes(kind, subscription.includeResourceData, settings) - settings.expirationMarginMinutes;
  return new Date(now.getTime() + minutes * MINUTE_MS).toISOString();
}

/**
 * True once the remaining lifetime is under the subscription's renewal window. The window is capped at
 * half of what a renewal grants, so a one-day Outlook rich subscription is not renewed on every run, and
 * then widened by a jitter of up to RENEWAL_JITTER_PERCENT (at most to 3/4 of it), fixed per subscription id: thousands of
 * subscriptions created together fall due spread over hours instead of in one run, and stay spread.
 */
export function isRenewalDue(
  subscription: {
    readonly subscriptionId?: string;
    readonly resource: string;
    readonly includeResourceData: boolean;
    readonly expirationDateTime: string;
  },
  settings: SubscriptionSettings,
  now: Date,
): boolean {
  const remainingMs = Date.parse(subscription.expirationDateTime) - now.getTime();
  return Number.isNaN(remainingMs) || remainingMs < renewalWindowMs(subscription, settings);
}

/** The remaining lifetime under which `subscription` is renewed (see `isRenewalDue`). */
export function renewalWindowMs(
  subscription: { readonly subscriptionId?: string; readonly resource: string; readonly includeResourceData: boolean },
  settings: SubscriptionSettings,
): number {
  const kind = kindOfStoredSubscription(subscription.resource);
  const lifetime =
    maxLifetimeMinutes(kind, subscription.includeResourceData, settings) - settings.expirationMarginMinutes;
  const windowMinutes = Math.min(settings.renewalWindowMinutes, lifetime / 2);
  const jitter =
    subscription.subscriptionId === undefined
      ? 0
      : ((settings.renewalJitterPercent ?? 0) / 100) * jitterFraction(subscription.subscriptionId);
  // Never more than three quarters of the lifetime, or a renewal would make the subscription due again at once.
  return Math.min(windowMinutes * (1 + jitter), lifetime * 0.75) * MINUTE_MS;
}

/** The widest window any subscription can have: the reconciler reads only records expiring within it. */
export function maxRenewalWindowMs(settings: SubscriptionSettings): number {
  return settings.renewalWindowMinutes * (1 + (settings.renewalJitterPercent ?? 0) / 100) * MINUTE_MS;
}

/** A number in [0, 1) fixed for `id` (FNV-1a), so a subscription keeps its place in the spread from run to run. */
export function jitterFraction(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i += 1) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x1_0000_0000;
}

/**
 * Two subscriptions watch the same thing: same tenant, same canonical resource, same set of change types. The
 * canonical path drops the query, so for kinds whose query chooses what is watched (presence's `$filter=id in (…)`,
 * the export APIs' `model`) that part of the query, spelled one way, is part of the resource here.
 */
export function combinationKey(subscription: {
  readonly tenantId: string;
  readonly resource: string;
  readonly changeType: string;
}): string {
  const types = CHANGE_TYPE_ORDER.filter((type) =>
    subscription.changeType
      .split(',')
      .map((value) => value.trim())
      .includes(type),
  ).join(',');
  const query = kindOfSubscriptionResource(subscription.resource)?.identityQuery?.(subscription.resource);
  const resource = `${normalizeResourcePath(subscription.resource, subscription.tenantId)}${query === undefined ? '' : `?${query}`}`;
  return `${subscription.tenantId.toLowerCase()}|${resource}|${types}`;
}

/**
 * The longest value each text field of a request may have (characters), checked before the rules, storage or Graph
 * see it: a Graph resource path is far below 2048 (Graph's own URL limit is 2048), a tenant a GUID or a domain
 * name (at most 253), the change types at most `created,updated,deleted`, an instant some 30 characters.
 */
export const SUBSCRIPTION_FIELD_LIMITS = {
  resource: 2048,
  changeType: 128,
  tenantId: 256,
  expirationDateTime: 64,
} as const;

/** Graph subscription ids are GUIDs and create intents `intent-<uuid>`; an id longer than this names nothing. */
export const MAX_SUBSCRIPTION_ID_LENGTH = 128;

const limited = (field: keyof typeof SUBSCRIPTION_FIELD_LIMITS) =>
  z.string().check(
    z.maxLength(SUBSCRIPTION_FIELD_LIMITS[field], {
      error: (issue) =>
        `is ${typeof issue.input === 'string' ? issue.input.length : 'too many'} characters long; at most ${SUBSCRIPTION_FIELD_LIMITS[field]} characters are allowed`,
    }),
  );

/** Refuses a subscription id (API path, CLI argument) that cannot be one, before storage is asked. */
export function checkSubscriptionId(id: string): void {
  if (id.length > MAX_SUBSCRIPTION_ID_LENGTH)
    throw new SubscriptionRequestInvalid(
      `the subscription id is ${id.length} characters long; at most ${MAX_SUBSCRIPTION_ID_LENGTH} characters are allowed (Graph subscription ids are GUIDs)`,
    );
}

const requestSchema = lazySchema(() =>
  z.strictObject({
    resource: limited('resource'),
    changeType: limited('changeType'),
    tenantId: z.optional(limited('tenantId')),
    includeResourceData: z.optional(z.boolean()),
    expirationDateTime: z.optional(limited('expirationDateTime')),
    initialSync: z.optional(z.boolean()),
    delivery: z.optional(z.enum(DELIVERY_ROUTES)),
    unlisted: z.optional(z.boolean()),
    withoutLifecycleUrl: z.optional(z.boolean()),
  }),
);

/** Reads a create request (API body, CLI flags); unknown fields are refused so a misspelt one is not silently ignored. */
export function parseSubscriptionRequest(body: unknown): SubscriptionRequest {
  const parsed = requestSchema().safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
    throw new SubscriptionRequestInvalid(
      `${where}: ${issue?.message ?? 'invalid'} (expected {"resource": string, "changeType": string, "tenantId"?: string, "includeResourceData"?: boolean, "expirationDateTime"?: string, "initialSync"?: boolean, "delivery"?: "webhook" | "eventGrid" | "eventHubs", "unlisted"?: boolean, "withoutLifecycleUrl"?: boolean})`,
    );
  }
  return parsed.data;
}
