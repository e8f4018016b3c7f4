export {
  decodeResourceId,
  encodeResourceId,
  hasUnsafeResourceId,
  isDotSegment,
  normalizeResourcePath,
  sinkBlobName,
} from './resourcePath';
export { notificationWithinSubscription } from './notificationScope';
export {
  kindOfNotificationResource,
  kindOfSubscriptionResource,
  RESOURCE_KIND_NAMES,
  RESOURCE_KINDS,
  type ChangeType,
  type ResourceKindName,
  type ResourceKind,
  type ResyncScope,
  type Retrieval,
} from './resourceKinds';
