/**
 * Resource kinds of the collections other Microsoft 365 workloads notify about: SharePoint lists, To Do
 * tasks, group conversations, group calendars and Teams call records. Rules from Microsoft's subscription
 * resource type page and each resource's change-notification and delta pages (docs/resources.md).
 */
import type { ResourceKind } from '../resourceKinds';
import { encodeResourceId } from '../resourcePath';
import { READ_BY_ID_NO_DELTA } from './sharedRules';

const ID = '[^/]+';
/** Group conversations, group events, To Do tasks and call records live at most 4,230 minutes (under 3 days). */
const UNDER_THREE_DAYS_MINUTES = 4_230;

export const COLLECTION_FAMILY_KINDS: readonly ResourceKind[] = [
  {
    // A SharePoint list: like a drive root, the notification names only the list (`sites/{id}/lists/{id}`,
    // `updated` only), so its items are read by delta (`sites/{id}/lists/{id}/items/delta`).
    name: 'listItem',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^sites/${ID}/lists/${ID}$`),
    itemPattern: new RegExp(`^sites/${ID}/lists/${ID}$`),
    maxLifetimeMinutes: 42_300,
    richMaxLifetimeMinutes: undefined,
    allowedChangeTypes: ['updated'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: false,
    retrieval: { kind: 'delta' },
    resyncDeltaPath: (resource) => `/${resource}/items/delta`,
    resyncCoverage: 'oneStream',
    resyncItemPath: (resource, id) => `${resource}/items/${encodeResourceId(id)}`,
    resyncListsAllOf: (resource) => `${resource}/items`,
  },
  {
    // The tasks of one To Do list; `todoTask` delta covers the list.
    name: 'todoTask',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^users/${ID}/todo/lists/${ID}/tasks$`),
    itemPattern: new RegExp(`^users/${ID}/todo/lists/${ID}/tasks/${ID}$`),
    maxLifetimeMinutes: UNDER_THREE_DAYS_MINUTES,
    richMaxLifetimeMinutes: undefined,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: false,
    retrieval: { kind: 'byId' },
    resyncDeltaPath: (resource) => `/${resource}/delta`,
    resyncCoverage: 'oneStream',
    resyncItemPath: (resource, id) => `${resource}/${encodeResourceId(id)}`,
    resyncListsAllOf: (resource) => resource,
  },
  {
    // The conversations of a Microsoft 365 group (`groups('{id}')/conversations('{id}')`); no delta.
    name: 'groupConversation',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^groups/${ID}/conversations$`),
    itemPattern: new RegExp(`^groups/${ID}/conversations/${ID}$`),
    maxLifetimeMinutes: UNDER_THREE_DAYS_MINUTES,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    ...READ_BY_ID_NO_DELTA,
  },
  {
    // The events of a group's calendar (`groups/{id}/events` or `groups/{id}/calendar/events`); notifications
    // name `Groups/{id}/Events/{id}`. Group calendars have no delta an app can run.
    name: 'groupEvent',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^groups/${ID}(/calendar)?/events$`),
    itemPattern: new RegExp(`^groups/${ID}/events/${ID}$`),
    maxLifetimeMinutes: UNDER_THREE_DAYS_MINUTES,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    ...READ_BY_ID_NO_DELTA,
  },
  {
    // Teams call records of the tenant (`communications/callRecords`): written once a call ends, never deleted.
    name: 'callRecord',
    level: 'mirrored',
    subscriptionPattern: /^communications\/callrecords$/,
    itemPattern: new RegExp(`^communications/callrecords/${ID}$`),
    maxLifetimeMinutes: UNDER_THREE_DAYS_MINUTES,
    allowedChangeTypes: ['created', 'updated'],
    ...READ_BY_ID_NO_DELTA,
  },
];
