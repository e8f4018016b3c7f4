/** Poison queues: list, replay and purge messages the host gave up on (`graph-notify poison ...`). */
export type { PoisonMessage, PoisonQueue, ReceivedPoisonMessage } from './ports';
export {
  listPoisonMessages,
  purgePoisonMessages,
  replayPoisonMessages,
  summarize,
  type PoisonSummary,
  type SelectOptions,
} from './poisonMessages';
