export {
  ingestNotifications,
  type IngestDependencies,
  type IngestEndpoint,
  type IngestObserver,
  type IngestRequest,
  type IngestResult,
} from './ingestNotifications';
export { rehearseIngest, type RehearsalDependencies } from './rehearseIngest';
export { verifyNotification, type ItemRejectionReason, type Verdict } from './verifyNotification';
export { ingestEventGridEvents, notificationOfCloudEvent } from './eventGridEvents';
export {
  ClaimedPayloadUnreadable,
  ingestEventHubsEvents,
  resolveClaimedPayloads,
  type EventHubsIngestDependencies,
  isValidationMessage,
  notificationsOfEvents,
  type EventHubsBatchResult,
} from './eventHubsEvents';
export {
  CLAIMED_PAYLOAD_WAIT_MS,
  parkedAtOf,
  parkEvents,
  replayParkedEvents,
  type ParkedEventStore,
  type ReplayReport,
} from './eventHubsParking';
