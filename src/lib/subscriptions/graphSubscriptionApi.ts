/**
 * The Graph subscription API (docs/graph-protocol.md §1.5) over the one `GraphClient`: create, renew (PATCH), reauthorize,
 * delete and the paged list, with their answers parsed, plus the translation of Graph's refusals into
 * errors an operator can act on (§1.6): which webhook failed the validation handshake and why, a quota,
 * a missing permission, a duplicate. URLs in messages are shown without their query string (function key).
 */
import * as z from 'zod/mini';
import {
  GraphAccessDenied,
  GraphError,
  GraphRequestFailed,
  GraphResourceNotFound,
  GraphResponseInvalid,
  GraphThrottled,
  type GraphClient,
  type GraphRequest,
} from '../graph';
import { kindOfSubscriptionResource } from '../resources';
import { lazySchema } from '../shared/lazySchema';
import {
  SubscriptionDuplicate,
  SubscriptionListPaused,
  SubscriptionRefused,
  SubscriptionValidationUnreachable,
} from './errors';

/** A subscription as Graph returns it; clientState is not read back (List hides it anyway). */
export interface GraphSubscription {
  readonly id: string;
  readonly resource: string;
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly expirationDateTime: string;
}

const subscriptionSchema = lazySchema(() =>
  z.object({
    id: z.string().check(z.minLength(1)),
    resource: z.string(),
    changeType: z.string(),
    notificationUrl: z.string(),
    expirationDateTime: z.string().check(z.minLength(1)),
  }),
);

const listSchema = lazySchema(() =>
  z.object({ value: z.array(z.unknown()), '@odata.nextLink': z.optional(z.string()) }),
);

export interface CreateSubscriptionBody {
  readonly changeType: string;
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string | undefined;
  readonly resource: string;
  readonly expirationDateTime: string;
  readonly clientState: string;
  readonly includeResourceData: boolean;
  readonly encryption: { readonly certificateId: string; readonly certificateBase64Der: string } | undefined;
  /** Event Hubs only: where Graph stores a rich notification over the hub's 1 MB (docs/graph-protocol.md §14.2). */
  readonly blobStoreUrl?: string | undefined;
}

type Graph = Pick<GraphClient, 'send'>;
type BatchGraph = Pick<GraphClient, 'send' | 'sendBatch'>;

function parseSubscription(body: unknown, operation: string): GraphSubscription {
  const parsed = subscriptionSchema().safeParse(body);
  if (!parsed.success)
    throw new GraphResponseInvalid(`Graph ${operation} subscription answered a body that is not a subscription`);
  return parsed.data;
}

/** The `notificationQueryOptions` the resource's kind needs on create, if any. */
function queryOptionsOf(resource: string): { readonly notificationQueryOptions?: string } {
  const options = kindOfSubscriptionResource(resource)?.notificationQueryOptions;
  return options === undefined ? {} : { notificationQueryOptions: options };
}

export async function createGraphSubscription(
  graph: Graph,
  tenantId: string,
  body: CreateSubscriptionBody,
): Promise<GraphSubscription> {
  const response = await graph.send(tenantId, {
    method: 'POST',
    path: '/subscriptions',
    operation: 'createSubscription',
    body: {
      changeType: body.changeType,
      notificationUrl: body.notificationUrl,
      ...(body.lifecycleNotificationUrl === undefined
        ? {}
        : { lifecycleNotificationUrl: body.lifecycleNotificationUrl }),
      resource: body.resource,
      expirationDateTime: body.expirationDateTime,
      clientState: body.clientState,
      ...(body.includeResourceData && body.encryption !== undefined
        ? {
            includeResourceData: true,
            encryptionCertificate: body.encryption.certificateBase64Der,
            encryptionCertificateId: body.encryption.certificateId,
          }
        : {}),
      ...(body.blobStoreUrl === undefined ? {} : { blobStoreUrl: body.blobStoreUrl }),
      ...queryOptionsOf(body.resource),
      latestSupportedTlsVersion: 'v1_2',
    },
  });
  return parseSubscription(response.body, 'create');
}

/** One renewal: the new expiry, and the current certificate when the subscription must move to it. */
export interface RenewalRequest {
  readonly subscriptionId: string;
  readonly expirationDateTime: string;
  readonly encryption: { readonly certificateId: string; readonly certificateBase64Der: string } | undefined;
}

function renewalPatch(renewal: RenewalRequest): GraphRequest {
  const { subscriptionId, expirationDateTime, encryption } = renewal;
  return {
    method: 'PATCH',
    path: `/subscriptions/${encodeURIComponent(subscriptionId)}`,
    operation: 'renewSubscription',
    body: {
      expirationDateTime,
      ...(encryption === undefined
        ? {}
        : {
            encryptionCertificate: encryption.certificateBase64Der,
            encryptionCertificateId: encryption.certificateId,
          }),
    },
  };
}

/** PATCH renews and reauthorizes at once (docs/graph-protocol.md §1.5); a rotated certificate rides along. */
export async function renewGraphSubscription(
  graph: Graph,
  tenantId: string,
  subscriptionId: string,
  expirationDateTime: string,
  encryption: { readonly certificateId: string; readonly certificateBase64Der: string } | undefined,
): Promise<GraphSubscription> {
  const response = await graph.send(tenantId, renewalPatch({ subscriptionId, expirationDateTime, encryption }));
  return parseSubscription(response.body, 'renew');
}

/**
 * Renews up to 20 subscriptions of one tenant in one `$batch` call. Graph counts every PATCH inside
 * against the subscription API's write limit (500 per 20 s per app and tenant), so this saves round trips,
 * not quota. Each renewal succeeds or fails on its own (404, 429 with its own Retry-After, ...): the
 * result at each index is the renewed subscription or the error. A failure of the whole call throws.
 */
export async function renewGraphSubscriptions(
  graph: BatchGraph,
  tenantId: string,
  renewals: readonly RenewalRequest[],
): Promise<(GraphSubscription | GraphError)[]> {
  if (renewals.length === 1 && renewals[0] !== undefined) {
    const single = renewals[0];
    try {
      return [
        await renewGraphSubscription(
          graph,
          tenantId,
          single.subscriptionId,
          single.expirationDateTime,
          single.encryption,
        ),
      ];
    } catch (error) {
      if (error instanceof GraphError) return [error];
      throw error;
    }
  }
  const results = await graph.sendBatch(tenantId, renewals.map(renewalPatch), 'renewSubscriptions');
  return results.map((result) => {
    if (!result.ok) return result.error;
    try {
      return parseSubscription(result.body, 'renew');
    } catch (error) {
      if (error instanceof GraphError) return error;
      throw error;
    }
  });
}

export async function reauthorizeGraphSubscription(
  graph: Graph,
  tenantId: string,
  subscriptionId: string,
): Promise<void> {
  await graph.send(tenantId, {
    method: 'POST',
    path: `/subscriptions/${encodeURIComponent(subscriptionId)}/reauthorize`,
    operation: 'reauthorizeSubscription',
  });
}

/**
 * The subscription as Graph has it now, or undefined when Graph answers 404 (it no longer has it). Any other
 * failure throws, for the caller to classify: only a 404 says the subscription is gone.
 */
export async function getGraphSubscription(
  graph: Graph,
  tenantId: string,
  subscriptionId: string,
): Promise<GraphSubscription | undefined> {
  try {
    const response = await graph.send(tenantId, {
      method: 'GET',
      path: `/subscriptions/${encodeURIComponent(subscriptionId)}`,
      operation: 'getSubscription',
    });
    return parseSubscription(response.body, 'get');
  } catch (error) {
    if (error instanceof GraphResourceNotFound) return undefined;
    throw error;
  }
}

/** Deletes it in Graph; a 404 means it is gone already, which is what was wanted. */
export async function deleteGraphSubscription(graph: Graph, tenantId: string, subscriptionId: string): Promise<void> {
  try {
    await graph.send(tenantId, {
      method: 'DELETE',
      path: `/subscriptions/${encodeURIComponent(subscriptionId)}`,
      operation: 'deleteSubscription',
    });
  } catch (error) {
    if (!(error instanceof GraphResourceNotFound)) throw error;
  }
}

/** How a list waits: before each page (the pacer) and after a 429. Both answer false to stop. */
export interface ListPacing {
  /** Asked before each request for a page: true once it may go (after any wait), false to stop the list. */
  readonly beforePage?: () => Promise<boolean>;
  /** Asked on a 429 with its Retry-After: true once waited (the same page is asked again), false to give up. */
  readonly waitAfterThrottling?: (retryAfterMs: number) => Promise<boolean>;
}

/**
 * Every subscription of this app in the tenant, following `@odata.nextLink`. The list API allows 25
 * requests per 20 s per app and tenant (docs/graph-protocol.md §1.7): only the periodic drift check and intent
 * resolution call it, never every reconcile run, and the reconciler paces the pages (listPacer.ts). When
 * `beforePage` stops the list, it throws `SubscriptionListPaused`: a partial list is never returned.
 */
export async function listGraphSubscriptions(
  graph: Graph,
  tenantId: string,
  graphBaseUrl: string,
  pacing: ListPacing = {},
): Promise<GraphSubscription[]> {
  const { beforePage = () => Promise.resolve(true), waitAfterThrottling = () => Promise.resolve(false) } = pacing;
  const results: GraphSubscription[] = [];
  let path: string | undefined = '/subscriptions';
  let pagesRead = 0;
  const seen = new Set<string>();
  while (path !== undefined) {
    if (!(await beforePage())) throw new SubscriptionListPaused(tenantId, pagesRead);
    let response: Awaited<ReturnType<Graph['send']>>;
    try {
      response = await graph.send(tenantId, { method: 'GET', path, operation: 'listSubscriptions' });
    } catch (error) {
      // Throttled all the same (another caller of the list, skew): wait Retry-After and ask the page again.
      if (error instanceof GraphThrottled && (await waitAfterThrottling(error.retryAfterMs))) continue;
      throw error;
    }
    pagesRead += 1;
    const page = listSchema().safeParse(response.body);
    if (!page.success) throw new GraphResponseInvalid('Graph list subscriptions answered a body without a value array');
    for (const item of page.data.value) {
      const parsed = subscriptionSchema().safeParse(item);
      if (parsed.success) results.push(parsed.data);
    }
    const next = page.data['@odata.nextLink'];
    path = next === undefined ? undefined : pathBelow(next, graphBaseUrl);
    if (path !== undefined) {
      if (seen.has(path)) throw new GraphResponseInvalid('Graph list subscriptions repeated a nextLink');
      seen.add(path);
    }
  }
  return results;
}

/** A nextLink as a path below the base URL; a link elsewhere is refused so our token never leaves Graph. */
export function pathBelow(link: string, graphBaseUrl: string): string {
  const base = graphBaseUrl.replace(/\/+$/, '');
  if (!link.startsWith(`${base}/`))
    throw new GraphResponseInvalid('Graph answered a nextLink outside the configured Graph base URL');
  return link.slice(base.length);
}

/** scheme://host/path of a URL: never its query, which carries the function key. */
export function displayUrl(url: string | undefined): string {
  if (url === undefined) return '(none)';
  // Event Grid and Event Hubs pseudo-URLs name Azure resources and carry no key: shown whole.
  if (/^(EventGrid|EventHub):/i.test(url)) return url;
  if (!URL.canParse(url)) return '(invalid URL)';
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Graph's own message out of a GraphError's text ("Graph POST /subscriptions answered 400 Code: message"). */
export function graphMessageOf(error: GraphError): string {
  const match = /answered \d{3}(?: [^:\s]+)?: ([\s\S]*)$/.exec(error.message);
  return (match?.[1] ?? error.message).trim();
}

export interface RefusalContext {
  readonly tenantId: string;
  readonly resource: string;
  readonly changeType: string;
  readonly notificationUrl: string | undefined;
  readonly lifecycleNotificationUrl: string | undefined;
}

const HANDSHAKE_FAILURE = /validation request|underlying connection|notification ?url|could not be reached|timed out/i;
const QUOTA = /maximum number of subscriptions|quota|limit/i;
/**
 * The handshake failures that say the webhook could not be reached for now, in Graph's words (§1.6): "Subscription
 * validation request timed out.", "The underlying connection was closed: …", "… must respond with 200 OK …".
 */
const HANDSHAKE_UNREACHABLE = /timed out|underlying connection|must respond with 200 OK|could not be reached/i;

/**
 * Graph validates the webhook again on some renewals and reauthorizations (field reports, docs/graph-protocol.md §2):
 * when that handshake could not reach the webhook, the failure is the webhook's for now, not the subscription's. Answers
 * the transient `SubscriptionValidationUnreachable` for it, undefined for any other error.
 */
export function webhookUnreachableOnRenewal(
  error: unknown,
  context: RefusalContext,
  step: string,
): SubscriptionValidationUnreachable | undefined {
  if (!(error instanceof GraphRequestFailed) || error.status !== 400) return undefined;
  const said = graphMessageOf(error);
  if (!HANDSHAKE_UNREACHABLE.test(said)) return undefined;
  return new SubscriptionValidationUnreachable(
    `Graph validated the webhook at ${displayUrl(context.notificationUrl)} again on the ${step} and could not reach it: "${said}". The subscription is unchanged and the ${step} is retried later, well before it expires. If this repeats, check that the function app is running and answers the handshake within 10 s.`,
    { cause: error },
  );
}

/**
 * Turns Graph's refusal of a create (or renewal) into a `SubscriptionRefused` / `SubscriptionDuplicate`
 * whose message says what to do. Transient errors (429, 5xx, network) and anything else are returned as they are.
 */
export function explainGraphRefusal(error: unknown, context: RefusalContext): unknown {
  if (!(error instanceof GraphError)) return error;
  const said = graphMessageOf(error);
  const subject = `${context.changeType} on ${context.resource}`;
  if (error.status === 409) {
    const existing = /Subscription Id (\S+) already exists/i.exec(said)?.[1];
    return new SubscriptionDuplicate(
      `Graph already has a subscription${existing === undefined ? '' : ` (${existing})`} for ${subject} in tenant ${context.tenantId} and allows only one per app, resource and change types ("${said}"). Use it (graph-notify subscriptions list) or delete it first.`,
      existing,
      { cause: error },
    );
  }
  if (error instanceof GraphRequestFailed && error.status === 400 && HANDSHAKE_FAILURE.test(said)) {
    const urls = [context.notificationUrl, context.lifecycleNotificationUrl]
      .filter((url) => url !== undefined)
      .map(displayUrl)
      .join(' and ');
    return new SubscriptionRefused(
      'validationFailed',
      `Graph could not validate the webhook at ${urls}: "${said}". Graph POSTs ?validationToken=... to NOTIFICATION_URL${context.lifecycleNotificationUrl === undefined ? '' : ' and LIFECYCLE_NOTIFICATION_URL'} and needs 200 text/plain echoing the token within 10 s: check that the function app is running and reachable from the internet at that address over https, that the function key in the URL is current, and that no proxy or authentication intercepts the request.`,
      { cause: error },
    );
  }
  if (error instanceof GraphAccessDenied && QUOTA.test(said)) {
    return new SubscriptionRefused(
      'quotaReached',
      `Graph's subscription quota is reached for ${subject} in tenant ${context.tenantId}: "${said}". Delete subscriptions that are no longer needed (graph-notify subscriptions list); the limits are listed in docs/subscriptions.md.`,
      { cause: error },
    );
  }
  if (error instanceof GraphAccessDenied) {
    return new SubscriptionRefused(
      'accessDenied',
      `Graph refused ${subject} in tenant ${context.tenantId}: the app lacks the application permission to read it ("${said}"). Grant it (e.g. User.Read.All, Group.Read.All, Mail.Read, Calendars.Read, Contacts.Read, Files.Read.All, Chat.Read.All) with admin consent in that tenant.`,
      { cause: error },
    );
  }
  if (error instanceof GraphResourceNotFound) {
    return new SubscriptionRefused(
      'resourceNotFound',
      `Graph found no ${context.resource} in tenant ${context.tenantId} ("${said}"): check the ids in the resource path.`,
      { cause: error },
    );
  }
  if (error instanceof GraphRequestFailed) {
    return new SubscriptionRefused(
      'invalidRequest',
      `Graph refused ${subject} in tenant ${context.tenantId}: "${said}"${error.graphCode === undefined ? '' : ` (${error.graphCode})`}.`,
      { cause: error },
    );
  }
  return error;
}
