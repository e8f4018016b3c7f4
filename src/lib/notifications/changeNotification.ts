/**
 * The wire shape of what Graph POSTs to a notification or lifecycle URL (docs/graph-protocol.md §3.2-§3.4, §4.2), and
 * a per-item parser that tolerates unknown properties (Graph adds fields without notice: organizationId,
 * sequenceNumber, resourceChangeType...) but insists on what the pipeline relies on.
 *
 * An item is either a change notification (`changeType`) or a lifecycle notification (`lifecycleEvent`):
 * the two are exclusive (§3.3). The tenant is `tenantId ?? organizationId`, because lifecycle
 * notifications have been seen with only `organizationId` (§4.2).
 */
import * as z from 'zod/mini';
import { lazySchema } from '../shared/lazySchema';

/** Longest string we accept in an identifying field; Graph ids are far shorter. */
const MAX_ID_LENGTH = 1024;
const MAX_RESOURCE_LENGTH = 4096;

const encryptedContentSchema = lazySchema(() =>
  z.looseObject({
    data: z.string().check(z.minLength(1)),
    dataKey: z.string().check(z.minLength(1)),
    dataSignature: z.string().check(z.minLength(1)),
    encryptionCertificateId: z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH)),
    encryptionCertificateThumbprint: z.optional(z.string().check(z.maxLength(MAX_ID_LENGTH))),
  }),
);

const baseItemSchema = lazySchema(() => {
  const idString = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
  return z.looseObject({
    id: z.nullish(z.string().check(z.maxLength(MAX_ID_LENGTH))),
    subscriptionId: idString,
    subscriptionExpirationDateTime: z.nullish(z.string().check(z.maxLength(64))),
    clientState: z.nullish(z.string().check(z.maxLength(MAX_ID_LENGTH))),
    resource: z.nullish(z.string().check(z.maxLength(MAX_RESOURCE_LENGTH))),
    tenantId: z.nullish(idString),
    organizationId: z.nullish(idString),
    resourceData: z.nullish(z.looseObject({})),
    encryptedContent: z.nullish(encryptedContentSchema()),
    changeType: z.nullish(z.string().check(z.minLength(1), z.maxLength(64))),
    lifecycleEvent: z.nullish(z.string().check(z.minLength(1), z.maxLength(64))),
  });
});

export type EncryptedContent = z.infer<ReturnType<typeof encryptedContentSchema>>;

/** A parsed change notification, clientState kept aside for verification. */
export interface ChangeNotificationItem {
  readonly kind: 'change';
  readonly subscriptionId: string;
  readonly tenantId: string;
  readonly changeType: string;
  readonly resource: string;
  readonly clientState: string | undefined;
  /** Every property Graph sent except clientState (unknown ones included, so nothing is lost downstream). */
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface LifecycleNotificationItem {
  readonly kind: 'lifecycle';
  readonly subscriptionId: string;
  readonly tenantId: string;
  /** `reauthorizationRequired`, `subscriptionRemoved`, `missed`, or a value Graph adds later. */
  readonly lifecycleEvent: string;
  readonly clientState: string | undefined;
  readonly payload: Readonly<Record<string, unknown>>;
}

export type NotificationItem = ChangeNotificationItem | LifecycleNotificationItem;

export type ItemParseResult = { readonly ok: true; readonly item: NotificationItem } | { readonly ok: false; readonly problem: string };

/** Parses one element of `value`. Never throws: a bad item is a `problem` naming the first fault. */
export function parseNotificationItem(raw: unknown): ItemParseResult {
  const parsed = baseItemSchema().safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue === undefined || issue.path.length === 0 ? 'item' : issue.path.join('.');
    return { ok: false, problem: `${path}: ${issue?.message ?? 'invalid'}` };
  }
  const data = parsed.data;
  const tenantId = data.tenantId ?? data.organizationId;
  if (tenantId === null || tenantId === undefined) return { ok: false, problem: 'tenantId: required (neither tenantId nor organizationId present)' };

  const { clientState, ...rest } = data;
  const payload: Record<string, unknown> = { ...rest, tenantId };
  const hasChange = data.changeType !== null && data.changeType !== undefined;
  const hasLifecycle = data.lifecycleEvent !== null && data.lifecycleEvent !== undefined;
  if (hasChange === hasLifecycle) {
    return { ok: false, problem: hasChange ? 'changeType and lifecycleEvent are exclusive' : 'changeType or lifecycleEvent: one is required' };
  }
  const common = { subscriptionId: data.subscriptionId, tenantId, clientState: clientState ?? undefined, payload };
  if (hasLifecycle) {
    return { ok: true, item: { kind: 'lifecycle', lifecycleEvent: data.lifecycleEvent ?? '', ...common } };
  }
  if (data.resource === null || data.resource === undefined) return { ok: false, problem: 'resource: required for a change notification' };
  return { ok: true, item: { kind: 'change', changeType: data.changeType ?? '', resource: data.resource, ...common } };
}
