export { processNotifications, type CoalescingDependencies, type ProcessingDependencies, type ProcessingResult, type RichContentOpener } from './processNotifications';
export { createRichContentOpener } from './richContentOpener';
export { loadEnvelope, type LoadedEnvelope } from './loadEnvelope';
export { ReadsInFlight } from './readsInFlight';
export type { ChangeSink, FailureLog, PermanentFailure, ReceiptEntry, ReceiptLog, ResourceReceipt, ResourceState, SinkEntry, SinkWriteOutcome } from './ports';
