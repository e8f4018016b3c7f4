/** The shapes of the Azure names and resource ids the Event Grid activation takes, checked by the settings and the CLI alike. */
export const FUNCTION_APP_RESOURCE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+$/i;
export const STORAGE_ACCOUNT_RESOURCE_ID =
  /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Storage\/storageAccounts\/[^/]+$/i;
export const BLOB_CONTAINER_NAME = /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/;
export const EVENT_SUBSCRIPTION_NAME = /^[A-Za-z0-9-]{3,64}$/;
