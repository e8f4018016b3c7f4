export { encodeResourceId, normalizeResourcePath } from './resourcePath';
export { kindOfNotificationResource, kindOfSubscriptionResource, RESOURCE_KINDS, type ChangeType, type ResourceKind, type Retrieval } from './resourceKinds';
