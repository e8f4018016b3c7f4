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
  NotificationBodyTooLarge,
  NotificationCollectionInvalid,
  NotificationJsonMalformed,
  NotificationMediaTypeUnsupported,
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
