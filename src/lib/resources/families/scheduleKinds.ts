/**
 * Teams Shifts: the shifts and the shift, swap, offer and time-off requests of one team's schedule
 * (`teams/{id}/schedule/shifts`, `…/openShiftChangeRequests`, `…/swapShiftsChangeRequests`, `…/offerShiftRequests`,
 * `…/timeOffRequests`), each subscription at most 360 minutes ("subscription resource type"; permission
 * Schedule.Read.All, the "Create subscription" page). A notification names one item, read by id
 * (`teams/{id}/schedule/shifts/{id}`); Graph offers no delta for them in v1.0, so the level is `mirrored`.
 */
import type { ResourceKind } from '../resourceKinds';
import { NO_RESYNC } from './sharedRules';

const ID = '[^/]+';
const COLLECTIONS = '(shifts|openshiftchangerequests|swapshiftschangerequests|offershiftrequests|timeoffrequests)';

export const SCHEDULE_KINDS: readonly ResourceKind[] = [
  {
    name: 'scheduleItem',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^teams/${ID}/schedule/${COLLECTIONS}$`),
    itemPattern: new RegExp(`^teams/${ID}/schedule/${COLLECTIONS}/${ID}$`),
    maxLifetimeMinutes: 360,
    richMaxLifetimeMinutes: undefined,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    // A Teams resource: a lifecycle URL when the expiry is more than an hour away.
    lifecycleRequiredAboveMinutes: 60,
    supportsRichNotifications: false,
    retrieval: { kind: 'byId' },
    ...NO_RESYNC,
  },
];
