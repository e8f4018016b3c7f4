/**
 * Optional desired state: a JSON file listing the subscriptions that must exist. The reconciler creates the
 * missing ones (origin `desiredState`) and deletes the ones it created from the file that are no longer
 * listed. Subscriptions created through the API or CLI (origin `operator`) are never touched, and when
 * the file cannot be read or any entry breaks a rule the whole pass is skipped: a typo must not delete
 * subscriptions.
 *
 * Format: `{ "subscriptions": [ { "resource": "users", "changeType": "updated,deleted",
 * "tenantId": "<guid, optional>", "includeResourceData": false, "initialSync": false, "delivery": "eventGrid",
 * "unlisted": false, "withoutLifecycleUrl": false } ] }` (a bare array is accepted too; `delivery` defaults to
 * DEFAULT_DELIVERY; `unlisted: true` subscribes to a resource the table does not list, docs/resources.md#unlisted-resources;
 * `withoutLifecycleUrl: true` accepts a webhook subscription without a lifecycle URL,
 * docs/subscriptions.md#subscriptions-without-a-lifecycle-url). An entry may name its user
 * by user principal name: the create resolves it to the id once, like the API's, and the entry then matches that
 * subscription.
 */
import * as z from 'zod/mini';
import { DELIVERY_ROUTES } from '../config/settings/delivery';
import { lazySchema } from '../shared/lazySchema';
import type { SubscriptionSettings } from './dependencies';
import { DesiredStateInvalid } from './errors';
import type { StoredSubscription } from './subscriptionRecord';
import { combinationKey, planSubscription, type SubscriptionRequest } from './subscriptionRules';

const fileSchema = lazySchema(() => {
  const entrySchema = z.strictObject({
    resource: z.string().check(z.minLength(1)),
    changeType: z.string().check(z.minLength(1)),
    tenantId: z.optional(z.string()),
    includeResourceData: z.optional(z.boolean()),
    initialSync: z.optional(z.boolean()),
    delivery: z.optional(z.enum(DELIVERY_ROUTES)),
    unlisted: z.optional(z.boolean()),
    withoutLifecycleUrl: z.optional(z.boolean()),
  });
  return z.union([z.strictObject({ subscriptions: z.array(entrySchema) }), z.array(entrySchema)]);
});

/** Parses the file and checks every entry against the rules; throws `DesiredStateInvalid` naming the first problem. */
export function parseDesiredState(text: string, settings: SubscriptionSettings, now: Date): SubscriptionRequest[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DesiredStateInvalid('not valid JSON', { cause: error });
  }
  const parsed = fileSchema().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new DesiredStateInvalid(
      issue === undefined ? 'unexpected shape' : `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
  }
  const entries = Array.isArray(parsed.data) ? parsed.data : parsed.data.subscriptions;
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const request: SubscriptionRequest = {
      resource: entry.resource,
      changeType: entry.changeType,
      tenantId: entry.tenantId,
      includeResourceData: entry.includeResourceData,
      initialSync: entry.initialSync,
      delivery: entry.delivery,
      unlisted: entry.unlisted,
      withoutLifecycleUrl: entry.withoutLifecycleUrl,
    };
    let key: string;
    try {
      const plan = planSubscription(request, settings, now);
      key = combinationKey(plan);
    } catch (error) {
      throw new DesiredStateInvalid(
        `entry ${index} (${entry.resource}): ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (seen.has(key))
      throw new DesiredStateInvalid(
        `entry ${index} (${entry.resource}) repeats an earlier entry: Graph allows one subscription per resource and change types`,
      );
    seen.add(key);
    return request;
  });
}

export interface DesiredStatePlan {
  readonly create: readonly SubscriptionRequest[];
  /** Records this pass created earlier whose entry is gone. */
  readonly remove: readonly StoredSubscription[];
}

/** What to create and delete so that the table matches `desired`. Any existing record (whatever its origin) satisfies an entry. */
export function planDesiredState(
  desired: readonly SubscriptionRequest[],
  records: readonly StoredSubscription[],
  settings: SubscriptionSettings,
): DesiredStatePlan {
  const keyOf = (request: SubscriptionRequest): string =>
    combinationKey({
      tenantId: request.tenantId ?? settings.defaultTenantId,
      resource: request.resource,
      changeType: request.changeType,
    });
  const present = new Set(records.filter((record) => record.status !== 'deleted').flatMap(keysOfRecord));
  const wanted = new Set(desired.map(keyOf));
  return {
    create: desired.filter((request) => !present.has(keyOf(request))),
    remove: records.filter(
      (record) =>
        record.origin === 'desiredState' &&
        record.status !== 'pending' &&
        record.status !== 'deleted' &&
        !keysOfRecord(record).some((key) => wanted.has(key)),
    ),
  };
}

/**
 * The keys an entry may match a record by: its resource, and the resource as asked for when a user principal
 * name in it was resolved at create, so an entry naming a user by UPN keeps matching the subscription it made
 * without resolving the name on every pass (docs/subscriptions.md#users-by-name).
 */
function keysOfRecord(record: StoredSubscription): string[] {
  const keys = [combinationKey(record)];
  if (record.requestedResource !== undefined)
    keys.push(combinationKey({ ...record, resource: record.requestedResource }));
  return keys;
}
