/**
 * The one Event Grid step Azure leaves to us ("Receive change notifications through Azure Event Grid"): Graph
 * creates the partner topic when the first eventGrid subscription is created, and nothing is delivered until
 * someone activates it and adds an event subscription pointing at the app's receiveEventGridNotifications
 * function. Done here through Azure Resource Manager REST (Microsoft.EventGrid, api-version 2022-06-15):
 *
 * 1. GET the partner topic: 404 means Graph has not created it yet (no eventGrid subscription so far).
 * 2. POST …/activate unless its activationState already reads Activated.
 * 3. PUT the event subscription: CloudEvents 1.0 to the function, Event Grid's retry policy, dead-letter blobs.
 *
 * Every step is idempotent, so the command can run again at any time (after a redeploy, a new dead-letter
 * container, …). `fetch` and the token are injected: tests run it against a stub ARM server.
 */
import { GraphNotifyError } from '../shared/errors';
import {
  BLOB_CONTAINER_NAME,
  EVENT_SUBSCRIPTION_NAME,
  FUNCTION_APP_RESOURCE_ID,
  STORAGE_ACCOUNT_RESOURCE_ID,
} from './armResourceIds';

export const ARM_API_VERSION = '2022-06-15';
/** Azure Resource Manager in Azure's public cloud. */
export const ARM_BASE_URL = 'https://management.azure.com';
export const EVENT_GRID_FUNCTION_NAME = 'receiveEventGridNotifications';
/** Event Grid's own limits for a partner topic subscription: 30 attempts within 24 hours (docs/deploy.md). */
export const EVENT_GRID_RETRY_POLICY = { maxDeliveryAttempts: 30, eventTimeToLiveInMinutes: 1440 } as const;

export interface EventGridActivationRequest {
  readonly azureSubscriptionId: string;
  readonly resourceGroup: string;
  readonly partnerTopic: string;
  /** /subscriptions/…/resourceGroups/…/providers/Microsoft.Web/sites/<app> */
  readonly functionAppResourceId: string;
  /** /subscriptions/…/providers/Microsoft.Storage/storageAccounts/<account> */
  readonly deadLetterStorageAccountId: string;
  readonly deadLetterContainer: string;
  readonly eventSubscriptionName: string;
}

export interface ArmDependencies {
  readonly fetch: typeof fetch;
  /** A bearer token for https://management.azure.com/.default. */
  readonly token: () => Promise<string>;
  /** https://management.azure.com in Azure; a stub's address in tests. */
  readonly baseUrl: string;
}

export interface EventGridActivationResult {
  readonly topic: 'activated' | 'alreadyActive';
  readonly eventSubscription: 'created' | 'updated';
}

/** Graph has not created the partner topic (yet): create an eventGrid subscription first. */
export class PartnerTopicNotFound extends GraphNotifyError {
  constructor(topic: string, resourceGroup: string) {
    super(
      'ERR_EVENT_GRID_TOPIC_NOT_FOUND',
      `Partner topic ${topic} does not exist in resource group ${resourceGroup}: Graph creates it with the first eventGrid subscription (graph-notify subscriptions create --delivery eventGrid ...); run this again afterwards`,
    );
  }
}

/** Azure Resource Manager refused or failed a request; `status` says which. */
export class ArmRequestFailed extends GraphNotifyError {
  readonly status: number;

  constructor(operation: string, status: number, detail: string) {
    super(
      status === 429 || status >= 500 ? 'ERR_ARM_UNAVAILABLE' : 'ERR_ARM_REQUEST_REFUSED',
      `Azure Resource Manager answered ${status} to ${operation}${detail === '' ? '' : `: ${detail}`}`,
    );
    this.status = status;
  }
}

/** What is wrong with the request, one line per value, each naming its option; empty when it is usable. */
export function problemsOfActivation(request: EventGridActivationRequest): string[] {
  const problems: string[] = [];
  if (!FUNCTION_APP_RESOURCE_ID.test(request.functionAppResourceId))
    problems.push(
      `--function-app must be the function app's resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Web/sites/<app>), got "${request.functionAppResourceId}"`,
    );
  if (!STORAGE_ACCOUNT_RESOURCE_ID.test(request.deadLetterStorageAccountId))
    problems.push(
      `--dead-letter-storage must be a storage account's resource id (/subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.Storage/storageAccounts/<account>), got "${request.deadLetterStorageAccountId}"`,
    );
  if (!BLOB_CONTAINER_NAME.test(request.deadLetterContainer))
    problems.push(`--dead-letter-container must be a blob container name, got "${request.deadLetterContainer}"`);
  if (!EVENT_SUBSCRIPTION_NAME.test(request.eventSubscriptionName))
    problems.push(`--name must be 3-64 letters, digits or hyphens, got "${request.eventSubscriptionName}"`);
  return problems;
}

/** The event subscription's body: CloudEvents 1.0 to the function, retries, dead-letter container. */
export function eventSubscriptionBody(request: EventGridActivationRequest): Record<string, unknown> {
  return {
    properties: {
      destination: {
        endpointType: 'AzureFunction',
        properties: {
          resourceId: `${request.functionAppResourceId}/functions/${EVENT_GRID_FUNCTION_NAME}`,
          maxEventsPerBatch: 1,
          preferredBatchSizeInKilobytes: 64,
        },
      },
      eventDeliverySchema: 'CloudEventSchemaV1_0',
      retryPolicy: EVENT_GRID_RETRY_POLICY,
      deadLetterDestination: {
        endpointType: 'StorageBlob',
        properties: {
          resourceId: request.deadLetterStorageAccountId,
          blobContainerName: request.deadLetterContainer,
        },
      },
    },
  };
}

export async function activateEventGridRoute(
  request: EventGridActivationRequest,
  deps: ArmDependencies,
): Promise<EventGridActivationResult> {
  const topicPath =
    `/subscriptions/${encodeURIComponent(request.azureSubscriptionId)}` +
    `/resourceGroups/${encodeURIComponent(request.resourceGroup)}` +
    `/providers/Microsoft.EventGrid/partnerTopics/${encodeURIComponent(request.partnerTopic)}`;
  const arm = armClient(deps);

  const topic = await arm('GET', topicPath, 'read the partner topic');
  if (topic.status === 404) throw new PartnerTopicNotFound(request.partnerTopic, request.resourceGroup);
  const state = (topic.body as { properties?: { activationState?: unknown } } | undefined)?.properties?.activationState;
  const alreadyActive = typeof state === 'string' && state.toLowerCase() === 'activated';
  if (!alreadyActive) {
    const activated = await arm('POST', `${topicPath}/activate`, 'activate the partner topic');
    if (activated.status === 404) throw new PartnerTopicNotFound(request.partnerTopic, request.resourceGroup);
  }

  const subscription = await arm(
    'PUT',
    `${topicPath}/eventSubscriptions/${encodeURIComponent(request.eventSubscriptionName)}`,
    'create the event subscription',
    eventSubscriptionBody(request),
  );
  if (subscription.status === 404) throw new PartnerTopicNotFound(request.partnerTopic, request.resourceGroup);
  return {
    topic: alreadyActive ? 'alreadyActive' : 'activated',
    eventSubscription: subscription.status === 201 ? 'created' : 'updated',
  };
}

interface ArmAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** One ARM call: 2xx and 404 are answers; anything else throws ArmRequestFailed with ARM's error message. */
function armClient(deps: ArmDependencies) {
  return async (method: string, path: string, operation: string, body?: unknown): Promise<ArmAnswer> => {
    const url = `${deps.baseUrl.replace(/\/$/, '')}${path}?api-version=${ARM_API_VERSION}`;
    const response = await deps.fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${await deps.token()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (response.ok || response.status === 404) return { status: response.status, body: parsed };
    const message = (parsed as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    const detail = [message?.code, message?.message].filter((part) => typeof part === 'string').join(': ');
    throw new ArmRequestFailed(operation, response.status, detail);
  };
}
