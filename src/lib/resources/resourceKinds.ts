/**
 * The one registry of resource kinds graph-notify supports, with the Graph rules for each (docs/graph-protocol.md
 * §1.2-§1.4, §3.4, §5.1, §6.2): subscription lifetime limits, allowed change types, whether a lifecycle URL
 * is required, rich-notification support, and how changed state is retrieved. Subscriptions, processing
 * and resync all read from here. To support a new kind, add an entry and its tests.
 */
import { APPROVAL_KINDS } from './families/approvalKinds';
import { COLLECTION_FAMILY_KINDS } from './families/collectionKinds';
import { MEETING_FAMILY_KINDS } from './families/meetingKinds';
import { SCHEDULE_KINDS } from './families/scheduleKinds';
import { TEAMS_FAMILY_KINDS } from './families/teamsKinds';
import { TENANT_SERVICE_KINDS } from './families/tenantServiceKinds';
import { VIRTUAL_EVENT_KINDS } from './families/virtualEventKinds';
import { NO_RESYNC } from './families/sharedRules';
import { canonicalId, encodeResourceId, normalizeResourcePath } from './resourcePath';

export type ChangeType = 'created' | 'updated' | 'deleted';

export type Retrieval =
  /** The notification names the item: GET it (batched). */
  | { readonly kind: 'byId' }
  /** The notification names only a container (drive root): run delta on it. */
  | { readonly kind: 'delta' }
  /** Nothing to read: the notification itself (or its decrypted content) is the state (`notificationsOnly`). */
  | { readonly kind: 'notification' };

/** The names of the kinds graph-notify supports; telemetry and GRAPH_SELECT use them as a closed vocabulary. */
export const RESOURCE_KIND_NAMES = [
  'user',
  'group',
  'message',
  'event',
  'contact',
  'driveRoot',
  'chatMessage',
  // Teams (src/lib/resources/families/teamsKinds.ts)
  'channelMessage',
  'userChatMessages',
  'allChatMessages',
  'allChannelMessages',
  'chat',
  'team',
  'channel',
  'teamsMember',
  'presence',
  // Collections of other workloads (src/lib/resources/families/collectionKinds.ts)
  'listItem',
  'todoTask',
  'groupConversation',
  'groupEvent',
  'callRecord',
  // Teams meetings and Copilot (src/lib/resources/families/meetingKinds.ts)
  'callTranscript',
  'callRecording',
  'onlineMeeting',
  'aiInteraction',
  // Security alerts and Universal Print (src/lib/resources/families/tenantServiceKinds.ts)
  'securityAlert',
  'printJob',
  'printTask',
  // Teams Shifts (src/lib/resources/families/scheduleKinds.ts)
  'scheduleItem',
  // Teams approvals (src/lib/resources/families/approvalKinds.ts)
  'approvalItem',
  // Teams virtual events (src/lib/resources/families/virtualEventKinds.ts)
  'virtualEvent',
  'virtualEventSession',
  'virtualEventRegistration',
  // A resource the table does not list, subscribed with `unlisted: true` (UNLISTED_KIND).
  'unlisted',
] as const;
export type ResourceKindName = (typeof RESOURCE_KIND_NAMES)[number];

/**
 * How much of a resource graph-notify keeps (docs/resources.md#levels):
 * - `mirroredAndResynced`: read on every notification, tombstoned on delete, caught up by delta after a gap;
 * - `mirrored`: read and tombstoned, but Graph has no delta query to catch up with;
 * - `notificationsOnly`: the notification itself (and decrypted rich content where there is some) is what
 *   lands in the sink, because Graph offers no read the app can do, or the resource is unlisted.
 */
export const RESOURCE_LEVELS = ['mirroredAndResynced', 'mirrored', 'notificationsOnly'] as const;
export type ResourceLevel = (typeof RESOURCE_LEVELS)[number];

/** One item of a delta page as Graph sent it (`GraphDeltaItem.entity`). */
export type DeltaEntity = Readonly<Record<string, unknown>>;

/** The part of a resource one delta stream covers, when a kind needs more than the resource path. */
export interface ResyncScope {
  /** A mail folder id, for a subscription to a whole mailbox (message delta is per folder). */
  readonly mailFolderId?: string;
  /** calendarView delta needs a window (ISO 8601 instants); Graph keeps it in the deltaLink. */
  readonly window?: { readonly start: string; readonly end: string };
}

export interface ResourceKind {
  readonly name: ResourceKindName;
  readonly level: ResourceLevel;
  /** Matches a normalised *subscription* resource (what one subscribes to). */
  readonly subscriptionPattern: RegExp;
  /** Matches a normalised *notification* resource (what a notification names). */
  readonly itemPattern: RegExp;
  readonly maxLifetimeMinutes: number;
  /** Lower maximum when includeResourceData is true (Outlook: 1 day, docs/graph-protocol.md §1.3). */
  readonly richMaxLifetimeMinutes: number | undefined;
  readonly allowedChangeTypes: readonly ChangeType[];
  /** Lifecycle URL required when the expiry is more than this many minutes away (Teams: 60); undefined = optional. */
  readonly lifecycleRequiredAboveMinutes: number | undefined;
  readonly supportsRichNotifications: boolean;
  readonly retrieval: Retrieval;
  /**
   * Delta path used to resync a subscription of this kind from scratch, given the normalised subscription
   * resource and the scope of one delta stream: the mail folder of a whole-mailbox message subscription,
   * the calendar window of an event subscription (docs/subscriptions.md#what-is-caught-up).
   */
  readonly resyncDeltaPath: ((subscriptionResource: string, scope: ResyncScope) => string) | undefined;
  /** How a resync covers the resource: one delta stream, one per mail folder, or calendarView delta over a window. */
  readonly resyncCoverage: 'oneStream' | 'everyMailFolder' | 'calendarWindow' | 'none';
  /**
   * The sink path of one delta item found by a resync, given the normalised subscription resource, the item id and
   * the delta entity: the same path a notification about that item produces, so resync and notifications write
   * one blob per resource. Most kinds need the id only; a user's chat messages span many chats, so theirs reads the
   * entity's `chatId`. Undefined when the entity lacks what the path needs (no entity given, or one without a
   * `chatId`): the resync skips such an item rather than write it under a wrong key. Defined exactly when
   * `resyncDeltaPath` is.
   */
  readonly resyncItemPath:
    ((subscriptionResource: string, itemId: string, entity?: DeltaEntity) => string | undefined) | undefined;
  /**
   * The sink collection whose every resource a full resync of this subscription lists, given the normalised
   * subscription resource: a resource held there that the full listing lacks was deleted while its deletion
   * went unreported. Undefined when a full listing cannot vouch for a whole collection (one mail folder of
   * a mailbox, a calendar window, one contact folder).
   */
  readonly resyncListsAllOf: (subscriptionResource: string) => string | undefined;
  /**
   * A rule on the subscription resource's query Graph enforces for this kind (presence's `$filter=id in (…)`,
   * the Teams export APIs' `model=A|B`): the refusal to give, or undefined when the resource meets it.
   */
  readonly queryRule?: (resource: string) => string | undefined;
  /**
   * The part of the subscription resource's query that chooses what the subscription watches (presence's user ids,
   * the Teams export APIs' `model`), spelled one way whatever order or case it was written in; undefined when the
   * resource has none. It belongs to the subscription's identity (`combinationKey`): two presence subscriptions over
   * different users are two subscriptions, not duplicates. Kinds whose query only shapes what is sent leave it out.
   */
  readonly identityQuery?: (resource: string) => string | undefined;
  /**
   * Where the notifications of a subscription lie when Graph names them outside the subscription's own path
   * (`users/{id}/chats/getAllMessages` notifies `chats('{chat}')/messages('{id}')`): the container the scope
   * check (`notificationWithinSubscription`) uses instead of the subscription path less its last segment.
   */
  readonly notificationContainer?: (subscriptionResource: string) => string | undefined;
  /**
   * The `notificationQueryOptions` Graph needs on every subscription of this kind (Universal Print's JobFetchable
   * event: `$filter=isFetchable eq true`), sent on create.
   */
  readonly notificationQueryOptions?: string;
  /**
   * Matches the canonical `resource` of a notification that names the COLLECTION and leaves the item to
   * `resourceData.id` (Teams virtual event sessions and registrations: `solutions/virtualEvents/webinars/{id}/sessions`,
   * Microsoft's "Get change notifications for Microsoft Teams virtual event updates"). Ingest then reads the
   * notification as about `{collection}/{id}` everywhere after it (scope check, sink key, read, tombstone), so one
   * resource has one key however Graph names it; one naming the collection without a usable id is refused
   * (`itemOfCollectionNotification`). Kinds whose notifications name the item leave it out.
   */
  readonly itemInResourceData?: RegExp;
}

/** `users/{id}/mailfolders/{f}/messages` → `users/{id}`: the mailbox or contact book owner part of a path. */
function ownerOf(resource: string, collection: 'messages' | 'contacts'): string {
  const folder = collection === 'messages' ? 'mailfolders' : 'contactfolders';
  return resource.replace(new RegExp(`(/${folder}/[^/]+)?/${collection}$`), '');
}

const ID = '[^/]+';

/**
 * Users or groups of the tenant: read by id, resynced by the collection's delta, named in notifications
 * `Users/{id}` or `Groups/{id}` (docs/graph-protocol.md §3.4).
 */
function directoryObjectKind(name: 'user' | 'group', collection: 'users' | 'groups'): ResourceKind {
  return {
    name,
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^${collection}$`),
    itemPattern: new RegExp(`^${collection}/${ID}$`),
    maxLifetimeMinutes: 41_760,
    richMaxLifetimeMinutes: undefined,
    allowedChangeTypes: ['updated', 'deleted'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: false,
    retrieval: { kind: 'byId' },
    resyncDeltaPath: () => `/${collection}/delta`,
    resyncCoverage: 'oneStream',
    resyncItemPath: (_resource, id) => `${collection}/${encodeResourceId(canonicalId(collection, id, undefined))}`,
    resyncListsAllOf: () => collection,
  };
}

export const RESOURCE_KINDS: readonly ResourceKind[] = [
  // Users report creation and soft deletion as `updated` (docs/graph-protocol.md §3.4).
  directoryObjectKind('user', 'users'),
  directoryObjectKind('group', 'groups'),
  {
    name: 'message',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^(users/${ID}|me)(/mailfolders/${ID})?/messages$`),
    itemPattern: new RegExp(`^(users/${ID}|me)(/mailfolders/${ID})?/messages/${ID}$`),
    maxLifetimeMinutes: 10_080,
    richMaxLifetimeMinutes: 1_440,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: true,
    retrieval: { kind: 'byId' },
    // Message delta is per folder (docs/graph-protocol.md §6.2): a whole-mailbox subscription resyncs every folder.
    resyncDeltaPath: (resource, scope) =>
      resource.includes('/mailfolders/')
        ? `/${resource}/delta`
        : `/${ownerOf(resource, 'messages')}/mailFolders/${encodeResourceId(scope.mailFolderId ?? 'inbox')}/messages/delta`,
    resyncCoverage: 'everyMailFolder',
    // Notifications name messages `Users/{uid}/Messages/{mid}` whatever the folder (docs/graph-protocol.md §3.4).
    resyncItemPath: (resource, id) => `${ownerOf(resource, 'messages')}/messages/${encodeResourceId(id)}`,
    // Every folder of the mailbox together lists all its messages; one folder does not.
    resyncListsAllOf: (resource) =>
      resource.includes('/mailfolders/') ? undefined : `${ownerOf(resource, 'messages')}/messages`,
  },
  {
    name: 'event',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^(users/${ID}|me)(/calendars/${ID}|/calendar)?/events$`),
    itemPattern: new RegExp(`^(users/${ID}|me)(/calendars/${ID}|/calendar)?/events/${ID}$`),
    maxLifetimeMinutes: 10_080,
    richMaxLifetimeMinutes: 1_440,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: true,
    retrieval: { kind: 'byId' },
    // Events have no plain delta; calendarView delta does, over a window of start times (docs/graph-protocol.md §6.2).
    resyncDeltaPath: (resource, scope) => {
      const window = scope.window;
      if (window === undefined) throw new TypeError('an event resync needs a calendar window');
      const calendar = resource.replace(/\/events$/, '').replace(/\/calendar$/, '');
      return `/${calendar}/calendarView/delta?startDateTime=${encodeURIComponent(window.start)}&endDateTime=${encodeURIComponent(window.end)}`;
    },
    resyncCoverage: 'calendarWindow',
    resyncItemPath: (resource, id) =>
      `${resource.replace(/(\/calendars\/[^/]+|\/calendar)?\/events$/, '')}/events/${encodeResourceId(id)}`,
    // The window lists the events that start inside it; an event missing from it may start outside.
    resyncListsAllOf: () => undefined,
  },
  {
    name: 'contact',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^(users/${ID}|me)(/contactfolders/${ID})?/contacts$`),
    itemPattern: new RegExp(`^(users/${ID}|me)(/contactfolders/${ID})?/contacts/${ID}$`),
    maxLifetimeMinutes: 10_080,
    richMaxLifetimeMinutes: 1_440,
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: true,
    retrieval: { kind: 'byId' },
    resyncDeltaPath: (resource) => `/${resource}/delta`,
    resyncCoverage: 'oneStream',
    resyncItemPath: (resource, id) => `${ownerOf(resource, 'contacts')}/contacts/${encodeResourceId(id)}`,
    // Contact delta covers one contact folder, while `users/{id}/contacts/{id}` paths name contacts of any folder.
    resyncListsAllOf: () => undefined,
  },
  {
    name: 'driveRoot',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^(drives/${ID}|users/${ID}/drive|me/drive|sites/${ID}/drive)/root$`),
    itemPattern: new RegExp(`^(drives/${ID}|users/${ID}/drive|me/drive|sites/${ID}/drive)/root$`),
    maxLifetimeMinutes: 42_300,
    richMaxLifetimeMinutes: undefined,
    // Drive roots accept only `updated` (docs/graph-protocol.md §1.1).
    allowedChangeTypes: ['updated'],
    lifecycleRequiredAboveMinutes: undefined,
    supportsRichNotifications: false,
    retrieval: { kind: 'delta' },
    resyncDeltaPath: (resource) => `/${resource}/delta`,
    resyncCoverage: 'oneStream',
    // As processing writes drive items: `{drive}/items/{id}`.
    resyncItemPath: (resource, id) => `${resource.replace(/\/root$/, '')}/items/${encodeResourceId(id)}`,
    resyncListsAllOf: (resource) => `${resource.replace(/\/root$/, '')}/items`,
  },
  ...TEAMS_FAMILY_KINDS,
  ...COLLECTION_FAMILY_KINDS,
  ...MEETING_FAMILY_KINDS,
  ...TENANT_SERVICE_KINDS,
  ...SCHEDULE_KINDS,
  ...APPROVAL_KINDS,
  ...VIRTUAL_EVENT_KINDS,
];

/**
 * The kind of a resource the table does not list, subscribed explicitly (`"unlisted": true`,
 * docs/resources.md#unlisted-resources): notifications only, since graph-notify cannot know how to read it.
 * Its Graph rules are unknown here, so Graph checks them on create; it lives 60 minutes (the shortest
 * maximum any resource has, so Graph never refuses the expiry nor asks for a lifecycle URL) and is renewed.
 */
export const UNLISTED_KIND: ResourceKind = {
  name: 'unlisted',
  level: 'notificationsOnly',
  subscriptionPattern: /^.+$/,
  // Any resource: what an unlisted subscription's notifications name cannot be known in advance.
  itemPattern: /^.+$/,
  maxLifetimeMinutes: 60,
  richMaxLifetimeMinutes: undefined,
  allowedChangeTypes: ['created', 'updated', 'deleted'],
  lifecycleRequiredAboveMinutes: undefined,
  supportsRichNotifications: true,
  retrieval: { kind: 'notification' },
  ...NO_RESYNC,
};

/** The kind of a subscription resource, or undefined when graph-notify does not support it. */
export function kindOfSubscriptionResource(resource: string): ResourceKind | undefined {
  const path = normalizeResourcePath(resource);
  return RESOURCE_KINDS.find((kind) => kind.subscriptionPattern.test(path));
}

/**
 * The kind of a stored subscription's resource: its listed kind, else `UNLISTED_KIND` (a stored subscription
 * passed the rules on create, so a resource no kind lists was opted in as unlisted).
 */
export function kindOfStoredSubscription(resource: string): ResourceKind {
  return kindOfSubscriptionResource(resource) ?? UNLISTED_KIND;
}

/** The kind of the resource a notification names, or undefined when it is not one we can retrieve. */
export function kindOfNotificationResource(resource: string): ResourceKind | undefined {
  const path = normalizeResourcePath(resource);
  return RESOURCE_KINDS.find((kind) => kind.itemPattern.test(path));
}
