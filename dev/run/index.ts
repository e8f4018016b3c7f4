/**
 * `npm run dev` as a library: `startLocalPipeline` runs Azurite, the Graph simulator (or a real tenant)
 * and the local Functions host with the built app, creates demo subscriptions through the management
 * API and reports a status. main.ts is the command line; test/e2e drives it with virtual time and faults.
 */
export {
  DEFAULT_HOST_PORT,
  demoSubscriptionRequests,
  findDemoTenant,
  gentleWorkload,
  newFunctionKey,
  PERSIST_FOLDER,
  RICH_MESSAGE_SELECT,
  startLocalPipeline,
  type DemoTenant,
  type GraphMode,
  type LocalPipeline,
  type LocalPipelineOptions,
  type PipelineUrls,
} from './startLocalPipeline';
export {
  createManagementClient,
  ManagementApiError,
  type ManagementClient,
  type SubscriptionRequestBody,
} from './managementClient';
export { formatStatusLine, InvocationCounter, type PipelineStatus } from './pipelineStatus';
export { createDevCertificate, type DevCertificate, type DevCertificateOptions } from './devCertificate';
