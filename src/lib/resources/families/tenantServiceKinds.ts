/**
 * Resource kinds of tenant services outside Microsoft 365's content: security alerts (the Microsoft Graph
 * security API's `alert`) and Universal Print (print jobs of one printer, tasks of one print task definition).
 * Each notification names one item, which the app reads by id; none of them has a delta an app can run, and
 * Graph reports no deletions for them, so they are `mirrored` (docs/resources.md). Rules from Microsoft's
 * subscription resource type page and "Subscribe to change notifications on cloud printing APIs".
 */
import type { ResourceKind } from '../resourceKinds';
import { READ_BY_ID_NO_DELTA } from './sharedRules';

const ID = '[^/]+';

/** What the three kinds share: read by id on every notification, nothing to resync, no rich content. */
const MIRRORED_BY_ID = { level: 'mirrored', ...READ_BY_ID_NO_DELTA } as const satisfies Partial<ResourceKind>;

/** Print printers and task definitions live at most 4,230 minutes (subscription resource type). */
const PRINT_LIFETIME_MINUTES = 4_230;

export const TENANT_SERVICE_KINDS: readonly ResourceKind[] = [
  {
    // `security/alerts?$filter=status eq 'newAlert'` (the filter picks the alerts) or one alert,
    // `security/alerts/{id}`; the notification names one alert.
    name: 'securityAlert',
    ...MIRRORED_BY_ID,
    subscriptionPattern: new RegExp(`^security/alerts(/${ID})?$`),
    itemPattern: new RegExp(`^security/alerts/${ID}$`),
    maxLifetimeMinutes: 43_200,
    // An alert is raised and then updated (status, assignment); Graph never deletes one.
    allowedChangeTypes: ['created', 'updated'],
  },
  {
    // A printer's jobs: the JobFetchable event, `updated` with notificationQueryOptions `$filter=isFetchable eq true`.
    name: 'printJob',
    ...MIRRORED_BY_ID,
    subscriptionPattern: new RegExp(`^print/printers/${ID}/jobs$`),
    itemPattern: new RegExp(`^print/printers/${ID}/jobs/${ID}$`),
    maxLifetimeMinutes: PRINT_LIFETIME_MINUTES,
    allowedChangeTypes: ['updated'],
    // Without it Graph has no state to notify about ("Subscribe to change notifications on cloud printing APIs").
    notificationQueryOptions: '$filter=isFetchable eq true',
  },
  {
    // The tasks a print task definition's triggers start: the JobStarted event, `created` only.
    name: 'printTask',
    ...MIRRORED_BY_ID,
    subscriptionPattern: new RegExp(`^print/taskdefinitions/${ID}/tasks$`),
    itemPattern: new RegExp(`^print/taskdefinitions/${ID}/tasks/${ID}$`),
    maxLifetimeMinutes: PRINT_LIFETIME_MINUTES,
    allowedChangeTypes: ['created'],
  },
];
