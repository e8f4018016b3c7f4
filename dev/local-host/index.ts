/**
 * The local Azure Functions host: runs the compiled app (its real `app.*` registrations) with HTTP,
 * storage-queue, timer, Event Grid and (fed, brokerless) Event Hubs triggers, against Azurite or any storage account, without Core Tools.
 * See docs/local-host.md.
 */
export {
  createLocalHost,
  DEFAULT_HOSTNAME,
  DEFAULT_PORT,
  type LocalFunction,
  type LocalHost,
  type LocalHostOptions,
  type LocalHostUrls,
} from './createLocalHost';
export type { RpcBindingInfo, RpcRetryOptions } from './coreTypes';
export { isLocalHostError, LOCAL_HOST_ERROR_CODES, LocalHostError, type LocalHostErrorCode } from './errors';
export { EVENT_GRID_WEBHOOK_PATH } from './eventGridTrigger';
export type { HttpKeys } from './httpTrigger';
export type { InvocationOutcome } from './invokeFunction';
export { consoleLogSink, type LocalHostLogEntry, type LocalHostLogLevel, type LocalHostLogSink } from './log';
export { parseNcrontab, type CronSchedule } from './ncrontab';
export { ManualScheduler, realTimeScheduler, type HostScheduler, type ScheduledCallback } from './scheduler';
