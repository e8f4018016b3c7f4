export {
  decodeResourceId,
  encodeResourceId,
  hasUnsafeCanonicalId,
  isDotSegment,
  isNavigationName,
  normalizeResourcePath,
  sinkBlobName,
} from './resourcePath';
export { notificationWithinSubscription, subscriptionScope } from './notificationScope';
export {
  collectionItemResource,
  itemOfCollectionNotification,
  type CollectionNotificationItem,
} from './collectionNotification';
export {
  kindOfNotificationResource,
  kindOfStoredSubscription,
  kindOfSubscriptionResource,
  RESOURCE_KIND_NAMES,
  RESOURCE_KINDS,
  RESOURCE_LEVELS,
  UNLISTED_KIND,
  type ResourceLevel,
  type ChangeType,
  type ResourceKindName,
  type ResourceKind,
  type ResyncScope,
  type Retrieval,
} from './resourceKinds';
export { RESOURCE_KIND_FACTS, type ResourceKindFacts } from './families/catalogue';
export { resourceTable, type ResourceTableRow } from './resourceTable';
