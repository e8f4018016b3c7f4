export { QuietClaims, SETTLE_MS, type CoalescingDependencies } from './coalescing';
export { processNotifications, type ProcessingDependencies, type ProcessingResult, type RichContentOpener } from './processNotifications';
export { createRichContentOpener } from './richContentOpener';
export { loadEnvelope, type LoadedEnvelope } from './loadEnvelope';
export { ReadsInFlight } from './readsInFlight';
export { DELTA_LEASE_MS, syncDelta, tombstoneUnlisted, type DeltaDependencies, type DeltaRunResult, type DeltaTarget, type UnlistedSweep } from './syncDelta';
export type { ChangeSink, DeltaLease, DeltaStateStore, FailureLog, PermanentFailure, ReceiptEntry, ReceiptLog, ResourceReceipt, ResourceState, SinkEntry, SinkWriteOutcome } from './ports';
