export { ingestNotifications, type IngestDependencies, type IngestEndpoint, type IngestObserver, type IngestRequest, type IngestResult } from './ingestNotifications';
export { verifyNotification, type ItemRejectionReason, type Verdict } from './verifyNotification';
