/**
 * What the subscriptions area refuses or fails with, as coded errors whose messages an operator can act
 * on: which rule a request breaks, why Graph refused a create (handshake, quota, permission), which
 * subscription already exists. Messages never carry clientState or function keys.
 */
import { GraphNotifyError } from '../shared/errors';

/** The request is malformed (not JSON, wrong types, unknown fields). */
export class SubscriptionRequestInvalid extends GraphNotifyError {
  constructor(detail: string) {
    super('ERR_SUBSCRIPTION_REQUEST_INVALID', `Invalid subscription request: ${detail}`);
  }
}

/** Names of the rules a subscription request is checked against before Graph is called. */
export type SubscriptionRule =
  | 'supported-resource'
  | 'resource-query'
  | 'change-type'
  | 'rich-notifications'
  | 'encryption-certificate'
  | 'expiration'
  | 'maximum-lifetime'
  | 'lifecycle-url-required'
  | 'lifecycle-url'
  | 'tenant-id'
  | 'initial-sync'
  | 'app-only-user';

/** A request breaks one of Graph's (or graph-notify's) subscription rules; Graph was not called. */
export class SubscriptionRuleViolated extends GraphNotifyError {
  readonly rule: SubscriptionRule;

  constructor(rule: SubscriptionRule, message: string) {
    super('ERR_SUBSCRIPTION_RULE_VIOLATED', `Rule ${rule}: ${message}`);
    this.rule = rule;
  }
}

/** A realistic `$select` per rich Outlook kind, for the refusal message and the docs. */
const EXAMPLE_SELECT: Readonly<Record<string, string>> = {
  message: 'subject,from,toRecipients,receivedDateTime,isRead,bodyPreview',
  event: 'subject,start,end,location,organizer,isCancelled',
  contact: 'displayName,givenName,surname,emailAddresses',
};

/**
 * A rich (includeResourceData) Outlook subscription without `$select` in its resource: Graph refuses it
 * (Outlook sends only the selected properties), so graph-notify refuses it first, before calling Graph.
 */
export class SubscriptionSelectRequired extends GraphNotifyError {
  constructor(kind: string, resource: string) {
    super(
      'ERR_SUBSCRIPTION_SELECT_REQUIRED',
      `includeResourceData on ${kind} subscriptions needs $select in the resource: Graph sends only the selected properties of Outlook ${kind}s and refuses the subscription without it. Write e.g. "${resource.split('?', 1)[0] ?? resource}?$select=${EXAMPLE_SELECT[kind] ?? 'id'}" (not Body or UniqueBody, which rich Outlook notifications cannot carry)`,
    );
  }
}

/** A subscription resource names its user by a user principal name Graph does not know in the tenant. */
export class SubscriptionUserNotFound extends GraphNotifyError {
  constructor(userPrincipalName: string, tenantId: string, options?: { cause?: unknown }) {
    super(
      'ERR_SUBSCRIPTION_USER_NOT_FOUND',
      `Graph knows no user "${userPrincipalName}" in tenant ${tenantId}: graph-notify resolves a user principal name in the resource to the user's id before it subscribes. Check the name (and the tenant), or write the user's object id (users/{id}/...).`,
      options,
    );
  }
}

export class SubscriptionNotFound extends GraphNotifyError {
  constructor(subscriptionId: string) {
    super('ERR_SUBSCRIPTION_NOT_FOUND', `No subscription ${subscriptionId} is managed by graph-notify`);
  }
}

export type RefusalReason =
  'validationFailed' | 'quotaReached' | 'accessDenied' | 'resourceNotFound' | 'invalidRequest';

/** Graph refused to create or renew the subscription for a reason retrying will not fix. */
export class SubscriptionRefused extends GraphNotifyError {
  readonly reason: RefusalReason;

  constructor(reason: RefusalReason, message: string, options?: { cause?: unknown }) {
    super('ERR_SUBSCRIPTION_REFUSED', message, options);
    this.reason = reason;
  }
}

/**
 * Graph ran the validation handshake again on a renewal or reauthorize and could not complete it: the webhook
 * timed out, refused the connection or answered non-200 (a cold start, a deployment, a short outage). The
 * subscription is fine and stays as it is; the same call is retried later.
 */
export class SubscriptionValidationUnreachable extends GraphNotifyError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SUBSCRIPTION_VALIDATION_UNREACHABLE', message, options);
  }
}

/** A subscription for the same tenant, resource and change types exists already (Graph answers 409 for these). */
export class SubscriptionDuplicate extends GraphNotifyError {
  /** The existing subscription's Graph id, when known. */
  readonly existingId: string | undefined;

  constructor(message: string, existingId: string | undefined, options?: { cause?: unknown }) {
    super('ERR_SUBSCRIPTION_DUPLICATE', message, options);
    this.existingId = existingId;
  }
}

/** Another worker (reconciler, lifecycle handler, API call) is changing this subscription right now. */
export class SubscriptionBusy extends GraphNotifyError {
  constructor(subscriptionId: string) {
    super(
      'ERR_SUBSCRIPTION_BUSY',
      `Subscription ${subscriptionId} is being renewed, recreated or deleted by another worker; try again in a few minutes`,
    );
  }
}

/**
 * The run's time budget ends before Graph's subscription list, paced under its limit (listPacer.ts), can be
 * read whole: the list is not started, or stopped where it is. Nothing is concluded from a partial list (no
 * subscription is taken for missing) and the next due run lists again. Transient.
 */
export class SubscriptionListPaused extends GraphNotifyError {
  constructor(tenantId: string, pagesRead: number) {
    super(
      'ERR_SUBSCRIPTION_LIST_PAUSED',
      pagesRead === 0
        ? `Listing tenant ${tenantId}'s subscriptions in Graph is left to a later run: its pages would not fit in what is left of this run's time budget beside the other tenants' lists`
        : `Listing tenant ${tenantId}'s subscriptions in Graph paused after ${pagesRead} page(s): the next page would start past the run's time budget. Nothing was concluded from the partial list; the next due run lists again`,
    );
  }
}

/** A setting the operation needs is unset (NOTIFICATION_URL). */
export class SubscriptionsNotConfigured extends GraphNotifyError {
  constructor(detail: string) {
    super('ERR_SUBSCRIPTIONS_NOT_CONFIGURED', detail);
  }
}

/** The desired-state file cannot be read or does not validate; the desired-state pass is skipped. */
export class DesiredStateInvalid extends GraphNotifyError {
  constructor(detail: string, options?: { cause?: unknown }) {
    super('ERR_DESIRED_STATE_INVALID', `Desired subscriptions file is invalid: ${detail}`, options);
  }
}
