export {
  parseNotificationItem,
  type ChangeNotificationItem,
  type EncryptedContent,
  type ItemParseResult,
  type LifecycleNotificationItem,
  type NotificationItem,
} from './changeNotification';
export {
  isJsonContentType,
  MAX_CONTAINERS_PER_REQUEST,
  MAX_ITEMS_PER_REQUEST,
  SHORTEST_BODY_OVER_A_CAP,
  NotificationBodyTooLarge,
  NotificationCollectionInvalid,
  NotificationJsonMalformed,
  NotificationMediaTypeUnsupported,
  NotificationTooManyItems,
  parseNotificationCollection,
  type ParsedCollection,
} from './collection';
export {
  ENVELOPE_VERSION,
  EnvelopeInvalid,
  isClaimCheck,
  parseNotificationEnvelope,
  parseQueueEnvelope,
  QUEUE_MESSAGE_MAX_CHARS,
  QUEUE_MESSAGE_MAX_JSON_BYTES,
  type AuthenticatedRoute,
  type ClaimCheckEnvelope,
  type EnvelopeKind,
  type NotificationEnvelope,
  type QueueEnvelope,
} from './envelope';
export { followUpEnvelope, type FollowUpOptions } from './followUpEnvelope';
export { isRich, packEnvelopes, type PackedEnvelopes, type PackInput, type PackOptions } from './packEnvelopes';
