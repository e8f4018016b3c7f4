export { QuietClaims, SETTLE_MS, type CoalescingDependencies } from './coalescing';
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
export type {
  ChangeSink,
  FailureLog,
  PermanentFailure,
  ReceiptEntry,
  ReceiptLog,
  ResourceReceipt,
  ResourceState,
  SinkEntry,
  SinkWriteOutcome,
} from './ports';
