export { ingestNotifications, type IngestDependencies, type IngestEndpoint, type IngestObserver, type IngestRequest, type IngestResult } from './ingestNotifications';
export { verifyNotification, type RejectionReason, type Verdict } from './verifyNotification';
