export type { CoalescingDependencies } from './coalescing';
export {
  describeProcessingResult,
  processNotifications,
  type ProcessingDependencies,
  type ProcessingResult,
  type RichContentOpener,
} from './processNotifications';
export { createRichContentOpener } from './richContentOpener';
export {
  handleQueueMessage,
  type HandledQueueMessage,
  type QueueMessageResult,
  type QueueMessageUseCase,
} from './handleQueueMessage';
export { loadEnvelope, type LoadedEnvelope } from './loadEnvelope';
export { decideSinkWrite, type SinkWriteDecision } from './newerWins';
export { ReadsInFlight } from './readsInFlight';
export { DELTA_LEASE_MS, syncDelta, tombstoneUnlisted, type DeltaDependencies, type DeltaRunResult, type DeltaTarget, type UnlistedSweep } from './syncDelta';
export type { ChangeSink, DeltaLease, DeltaStateStore, FailureLog, PermanentFailure, ReceiptEntry, ReceiptLog, ResourceReceipt, ResourceState, SinkEntry, SinkWriteOutcome } from './ports';
