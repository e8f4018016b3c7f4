/**
 * Public surface of the Microsoft Graph simulator. Tests build one with `createGraphSimulator`
 * (no socket; use `sim.fetch` or `sim.listener`) or start one on loopback with `startGraphSimulator`;
 * `npm run graph-sim` runs it standalone. See docs/graph-simulator.md.
 */
export { createGraphSimulator } from './simulator.js';
export type {
  AppInfo,
  DeliverySummary,
  GraphSimulator,
  NotificationFilter,
  ResourceSnapshot,
  SubscriptionInfo,
  TenantInfo,
} from './simulator.js';
export { startGraphSimulator } from './server.js';
export type { MsalAuthorityOptions, RunningGraphSimulator, StartOptions } from './server.js';
export { EXACT_DELIVERY } from './options.js';
export type {
  DeliveryOverrides,
  EndpointThrottleOptions,
  GraphSimulatorOptions,
  LatencyOptions,
  ResourceLatency,
} from './options.js';
export type { Mutation, TenantDirectory } from './directory.js';
export type { FaultOptions, FaultRule, HeldRequest } from './faults.js';
export type { GraphTraffic } from './graphApi.js';
export type { WorkloadOptions, AppliedChange } from './workload.js';
export type { DeliveryAttempt, EndpointStatus, NotificationRecord, NotificationStatus } from './delivery.js';
export type { ChangeRecord, NotificationFate } from './accounting.js';
export type { LifecycleEvent, Anomaly } from './subscriptions.js';
export type { AppRegistration, ChangeHints, TenantSeed } from './model.js';
export type { SimRequest } from './http.js';
export type { SimResponse } from './graphError.js';
export {
  CHANGE_TRACKING_APP_ID,
  CLIENT_STATE_MAX_LENGTH_BETA_PAGE,
  ENDPOINT_THROTTLE_MIN_SAMPLES_2023,
  MISSED_ON_DROP_PROBABILITY,
} from './limits.js';
export { DEMO_APP_ID, DEMO_CLIENT_SECRET, DEMO_DOMAIN, DEMO_TENANT_ID } from './demoTenant.js';
export {
  EVENT_GRID_RETRY_SCHEDULE_MS,
  type EventGridEventRecord,
  type EventSubscriptionOptions,
  SimulatedEventGrid,
} from './eventGridPartnerTopic.js';
export {
  EVENT_HUBS_MAX_EVENT_BYTES,
  type EventHubsBlobStore,
  type EventHubsConsumer,
  SimulatedEventHubs,
} from './eventHubsHub.js';
