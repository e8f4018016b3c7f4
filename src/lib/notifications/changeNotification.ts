/**
 * The wire shape of what Graph POSTs to a notification or lifecycle URL (docs/graph-protocol.md §3.2-§3.4, §4.2), and
 * a per-item parser that tolerates unknown properties (Graph adds fields without notice: organizationId,
 * sequenceNumber, resourceChangeType...) but insists on what the pipeline relies on.
 *
 * An item is either a change notification (`changeType`) or a lifecycle notification (`lifecycleEvent`):
 * the two are exclusive (§3.3). The tenant is `tenantId ?? organizationId`, because lifecycle
 * notifications have been seen with only `organizationId` (§4.2).
 *
 * Nearly every item Graph sends is valid, so the parser checks the schema's rules by hand and copies the item once,
 * into its payload, as zod's parse would build it (shape properties in schema order, then unknown ones, no
 * `__proto__`); only an item the rules refuse goes through the schema, which names the first fault. A property
 * test holds the parser to the schema's answer for generated items (test/lib/notifications/changeNotification.test.ts).
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

export const baseItemSchema = lazySchema(() => {
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
type BaseItem = z.infer<ReturnType<typeof baseItemSchema>>;

type Rule = (value: unknown) => boolean;
const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const stringOf =
  (min: number, max: number): Rule =>
  (value) =>
    typeof value === 'string' && value.length >= min && value.length <= max;
const nullish =
  (rule: Rule): Rule =>
  (value) =>
    value === undefined || value === null || rule(value);

/** The properties of `encryptedContentSchema`, in its order, with the rule each must pass. */
const ENCRYPTED_CONTENT_RULES: readonly (readonly [string, Rule])[] = [
  ['data', stringOf(1, Number.POSITIVE_INFINITY)],
  ['dataKey', stringOf(1, Number.POSITIVE_INFINITY)],
  ['dataSignature', stringOf(1, Number.POSITIVE_INFINITY)],
  ['encryptionCertificateId', stringOf(1, MAX_ID_LENGTH)],
  ['encryptionCertificateThumbprint', (value) => value === undefined || stringOf(0, MAX_ID_LENGTH)(value)],
];
const ENCRYPTED_CONTENT_KEYS = new Set(ENCRYPTED_CONTENT_RULES.map(([key]) => key));

/**
 * What a `looseObject` parse returns for an input that passed: each shape property present (even as
 * `undefined`) in shape order, with its parsed value, then every other enumerable property in `for...in`
 * order, except `__proto__`.
 */
function copyLoose(
  input: Readonly<Record<string, unknown>>,
  shape: readonly (readonly [string, unknown])[],
  shapeKeys: ReadonlySet<string>,
): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const [key, value] of shape) if (key in input) output[key] = value;
  for (const key in input) if (!shapeKeys.has(key) && key !== '__proto__') output[key] = input[key];
  return output;
}

const parsedEncryptedContent = (value: unknown): unknown =>
  isPlainObject(value)
    ? copyLoose(
        value,
        ENCRYPTED_CONTENT_RULES.map(([key]) => [key, value[key]] as const),
        ENCRYPTED_CONTENT_KEYS,
      )
    : value;

const idString = stringOf(1, MAX_ID_LENGTH);
const NO_KEYS: ReadonlySet<string> = new Set();
/** The properties of `baseItemSchema`, in its order: the rule each must pass and the value its parse returns. */
const ITEM_RULES: readonly (readonly [string, Rule, ((value: unknown) => unknown)?])[] = [
  ['id', nullish(stringOf(0, MAX_ID_LENGTH))],
  ['subscriptionId', idString],
  ['subscriptionExpirationDateTime', nullish(stringOf(0, 64))],
  ['clientState', nullish(stringOf(0, MAX_ID_LENGTH))],
  ['resource', nullish(stringOf(0, MAX_RESOURCE_LENGTH))],
  ['tenantId', nullish(idString)],
  ['organizationId', nullish(idString)],
  ['resourceData', nullish(isPlainObject), (value) => (isPlainObject(value) ? copyLoose(value, [], NO_KEYS) : value)],
  [
    'encryptedContent',
    nullish((value) => isPlainObject(value) && ENCRYPTED_CONTENT_RULES.every(([key, rule]) => rule(value[key]))),
    parsedEncryptedContent,
  ],
  ['changeType', nullish(stringOf(1, 64))],
  ['lifecycleEvent', nullish(stringOf(1, 64))],
];
const ITEM_KEYS = new Set(ITEM_RULES.map(([key]) => key));

/** Whether `raw` passes every rule of `baseItemSchema`. */
function passesItemRules(raw: unknown): raw is Readonly<Record<string, unknown>> {
  if (!isPlainObject(raw)) return false;
  for (const [key, rule] of ITEM_RULES) if (!rule(raw[key])) return false;
  return true;
}

/**
 * What `baseItemSchema().parse(raw)` returns for an item that passes every rule, less its clientState: `copyLoose`
 * with the parsed values, written out, since this runs for every item of every POST.
 */
function itemPayload(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const [key, , parse] of ITEM_RULES)
    if (key !== 'clientState' && key in raw) output[key] = parse === undefined ? raw[key] : parse(raw[key]);
  for (const key in raw) if (!ITEM_KEYS.has(key) && key !== '__proto__') output[key] = raw[key];
  return output;
}

/** The fault in an item the rules refused, as the schema's first issue names it. */
function schemaProblem(raw: unknown): string {
  const parsed = baseItemSchema().safeParse(raw);
  const issue = parsed.success ? undefined : parsed.error.issues[0];
  const path = issue === undefined || issue.path.length === 0 ? 'item' : issue.path.join('.');
  return `${path}: ${issue?.message ?? 'invalid'}`;
}

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

export type ItemParseResult =
  { readonly ok: true; readonly item: NotificationItem } | { readonly ok: false; readonly problem: string };

/** Parses one element of `value`. Never throws: a bad item is a `problem` naming the first fault. */
export function parseNotificationItem(raw: unknown): ItemParseResult {
  if (!passesItemRules(raw)) return { ok: false, problem: schemaProblem(raw) };
  // The fields read here are the same in the item as in what the schema's parse would return.
  const data = raw as BaseItem;
  // Every property but clientState, in order (the parse's), with the tenant resolved.
  const payload = itemPayload(raw);
  const tenantId = data.tenantId ?? data.organizationId;
  if (tenantId === null || tenantId === undefined)
    return { ok: false, problem: 'tenantId: required (neither tenantId nor organizationId present)' };

  const { clientState } = data;
  payload.tenantId = tenantId;
  const hasChange = data.changeType !== null && data.changeType !== undefined;
  const hasLifecycle = data.lifecycleEvent !== null && data.lifecycleEvent !== undefined;
  if (hasChange === hasLifecycle) {
    return {
      ok: false,
      problem: hasChange
        ? 'changeType and lifecycleEvent are exclusive'
        : 'changeType or lifecycleEvent: one is required',
    };
  }
  const common = { subscriptionId: data.subscriptionId, tenantId, clientState: clientState ?? undefined, payload };
  if (hasLifecycle) {
    return { ok: true, item: { kind: 'lifecycle', lifecycleEvent: data.lifecycleEvent ?? '', ...common } };
  }
  if (data.resource === null || data.resource === undefined)
    return { ok: false, problem: 'resource: required for a change notification' };
  return { ok: true, item: { kind: 'change', changeType: data.changeType ?? '', resource: data.resource, ...common } };
}
