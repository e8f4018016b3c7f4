/**
 * Teams approvals: the approval items of the tenant's Approvals app (`solutions/approval/approvalItems`), at most
 * 43,200 minutes, permission ApprovalSolution.ReadWrite.All (Microsoft's "subscription resource type" and "Create
 * subscription" pages). Microsoft documents no app-only read of an approval item ("Get approvalItem": application
 * permissions not supported), so the level is `notificationsOnly`: each notification is the state. Microsoft's pages
 * are silent on the rest, so graph-notify takes the conservative reading (docs/resources.md): the Teams rule that a
 * subscription expiring more than an hour ahead needs a lifecycle URL, no rich notifications, every change type
 * (Graph refuses on create any it does not send), and notifications that name one item,
 * `solutions/approval/approvalItems('{id}')` or `solutions/approval/approvalItems/{id}`.
 */
import type { ResourceKind } from '../resourceKinds';
import { NO_RESYNC } from './sharedRules';

const ID = '[^/]+';

export const APPROVAL_KINDS: readonly ResourceKind[] = [
  {
    name: 'approvalItem',
    level: 'notificationsOnly',
    subscriptionPattern: /^solutions\/approval\/approvalitems$/,
    itemPattern: new RegExp(`^solutions/approval/approvalitems/${ID}$`),
    maxLifetimeMinutes: 43_200,
    richMaxLifetimeMinutes: undefined,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    lifecycleRequiredAboveMinutes: 60,
    supportsRichNotifications: false,
    retrieval: { kind: 'notification' },
    ...NO_RESYNC,
  },
];
