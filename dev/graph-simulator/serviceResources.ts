/**
 * The simulator's side of the Teams meeting, Copilot, security, Universal Print, Shifts and approvals families
 * (src/lib/resources/families/meetingKinds.ts, tenantServiceKinds.ts, scheduleKinds.ts and approvalKinds.ts) and of
 * the app-catalog forms of the Teams families (`appCatalogs/teamsApps/{id}/installedToChats/…`,
 * `…/installedToOnlineMeetings/…`): which subscription resources they accept and with which rules, the items a
 * mutation creates, which changes a subscription sees, and the `resource`/`resourceData` and rich content of their
 * notifications, in the shapes of Microsoft's pages ("Get change notifications for meeting transcripts and
 * recordings", "… for Microsoft Teams meeting call updates", "… for Copilot AI interactions", the security alert
 * resource, "Subscribe to change notifications on cloud printing APIs", "Create subscription").
 *
 * Items live in collections like the other workloads' (`CollectionItemKind`):
 * - `communications/onlineMeetings/{meeting}/transcripts` and `…/recordings` (the organiser in
 *   `meetingOrganizer.user.id`, so `users/{id}/onlineMeetings/getAll…` sees them);
 * - `communications/onlineMeetings/{meeting}/meetingCallEvents`: the meeting's join URL is `joinWebUrlOf(meeting)`,
 *   and a call-event subscription names the meeting by that URL;
 * - `copilot/users/{user}/interactionHistory/interactions`, `security/alerts`, `print/printers/{id}/jobs`,
 *   `print/taskDefinitions/{id}/tasks`, `solutions/approval/approvalItems`;
 * - `solutions/virtualEvents/webinars` and `…/townhalls` (one item per webinar or town hall), `…/{id}/sessions`,
 *   `solutions/virtualEvents/webinars/{id}/registrations`;
 * - `chats/{chat}/installedApps`: where a Teams app is installed (`teamsApp.id`), the minimal model the app-catalog
 *   forms need. A meeting's apps are installed in its chat, `19:meeting_{meeting}@thread.v2` (`meetingChatOf`).
 */
import type { TenantDirectory } from './directory.js';
import { GraphHttpError } from './graphError.js';
import type { ChangeEvent, ChangeType, JsonObject, ResourceOwner } from './model.js';
import {
  matchesFilter,
  parseFilter,
  parseGraphPath,
  type FilterClause,
  type NotificationSubject,
  type SubscriptionTarget,
} from './resources.js';

export const SERVICE_ITEM_KINDS = [
  'callTranscript',
  'callRecording',
  'meetingCallEvent',
  'aiInteraction',
  'securityAlert',
  'printJob',
  'printTask',
  'scheduleItem',
  'approvalItem',
  // Teams virtual events: a webinar or town hall, a session of one, a registration for a webinar.
  'virtualEvent',
  'virtualEventSession',
  'virtualEventRegistration',
  // A Teams app installed in a chat; no subscription watches installations, they scope the app-catalog forms.
  'teamsAppInstallation',
  // An item of a resource the simulator does not know, behind `subscriptions.acceptUnknownResources`.
  'unknownItem',
] as const;
export type ServiceItemKind = (typeof SERVICE_ITEM_KINDS)[number];

/** The subscription target kind of each item kind. */
const TARGET_OF = {
  transcripts: 'callTranscript',
  recordings: 'callRecording',
  meetingCallEvents: 'meetingCallEvent',
  aiInteractions: 'aiInteraction',
  securityAlerts: 'securityAlert',
  printJobs: 'printJob',
  printTasks: 'printTask',
  scheduleItems: 'scheduleItem',
  approvalItems: 'approvalItem',
  virtualEvents: 'virtualEvent',
  virtualEventSessions: 'virtualEventSession',
  virtualEventRegistrations: 'virtualEventRegistration',
  unknownResources: 'unknownItem',
} as const satisfies Record<string, ServiceItemKind>;
export type ServiceTargetKind = keyof typeof TARGET_OF;
export type ServiceExpiryClass =
  | 'callTranscript'
  | 'callRecording'
  | 'onlineMeeting'
  | 'aiInteraction'
  | 'securityAlert'
  | 'print'
  | 'schedule'
  | 'approval'
  | 'virtualEvent'
  | 'unknownResource';

export const SERVICE_COLLECTION_SHAPES: Readonly<Record<ServiceItemKind, RegExp>> = {
  callTranscript: /^communications\/onlineMeetings\/[^/]+\/transcripts$/,
  callRecording: /^communications\/onlineMeetings\/[^/]+\/recordings$/,
  meetingCallEvent: /^communications\/onlineMeetings\/[^/]+\/meetingCallEvents$/,
  aiInteraction: /^copilot\/users\/[^/]+\/interactionHistory\/interactions$/,
  securityAlert: /^security\/alerts$/,
  printJob: /^print\/printers\/[^/]+\/jobs$/,
  printTask: /^print\/taskDefinitions\/[^/]+\/tasks$/,
  scheduleItem:
    /^teams\/[^/]+\/schedule\/(shifts|openShiftChangeRequests|swapShiftsChangeRequests|offerShiftRequests|timeOffRequests)$/,
  approvalItem: /^solutions\/approval\/approvalItems$/,
  teamsAppInstallation: /^chats\/[^/]+\/installedApps$/,
  virtualEvent: /^solutions\/virtualEvents\/(webinars|townhalls)$/,
  virtualEventSession: /^solutions\/virtualEvents\/(webinars|townhalls)\/[^/]+\/sessions$/,
  virtualEventRegistration: /^solutions\/virtualEvents\/webinars\/[^/]+\/registrations$/,
  unknownItem: /^[^/?#]+(\/[^/?#]+)*$/,
};

export function isServiceItemKind(kind: string): kind is ServiceItemKind {
  return (SERVICE_ITEM_KINDS as readonly string[]).includes(kind);
}

export function isServiceTargetKind(kind: string): kind is ServiceTargetKind {
  return Object.hasOwn(TARGET_OF, kind);
}

/** The join URL of a simulated meeting: Teams' meetup-join form, the meeting id in its thread id. */
export function joinWebUrlOf(meetingId: string): string {
  return `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${meetingId}%40thread.v2/0?context=%7b%7d`;
}

/** The meeting a join URL names, as `joinWebUrlOf` writes it (raw or URL-encoded once). */
function meetingOfJoinWebUrl(url: string): string | undefined {
  const decoded = /^https?%3a/i.test(url) ? decodeURIComponent(url) : url;
  return /\/meetup-join\/19(?:%3a|:)meeting_([^%@/]+)(?:%40|@)thread\.v2\//i.exec(decoded)?.[1];
}

/** The chat of a meeting, where its Teams apps are installed: the thread id its join URL carries (`joinWebUrlOf`). */
export function meetingChatOf(meetingId: string): string {
  return `19:meeting_${meetingId}@thread.v2`;
}

/**
 * Whether Teams app `teamsAppId` (its catalog id) is installed in chat `chatId`; any app when `teamsAppId` is
 * undefined (a read with a `…WhereInstalled` permission: the simulator takes an installed app as the caller's).
 */
export function isTeamsAppInstalled(directory: TenantDirectory, chatId: string, teamsAppId?: string): boolean {
  return directory
    .list(`chats/${chatId}/installedApps`)
    .some((installation) => teamsAppId === undefined || teamsAppOf(installation.body) === teamsAppId);
}

function teamsAppOf(body: JsonObject): unknown {
  return (body.teamsApp as { id?: unknown } | undefined)?.id;
}

/**
 * The chat whose app installations decide whether an app-catalog subscription sees `change`: a chat message's or
 * member's chat, a transcript's or recording's meeting chat; undefined for anything else.
 */
export function installationChatOf(change: ChangeEvent): string | undefined {
  if (change.kind === 'callTranscript' || change.kind === 'callRecording')
    return meetingChatOf((change.owner.collectionPath ?? '').split('/')[2] ?? '');
  return change.kind === 'chat' ? change.id : change.owner.chatId;
}

/** Graph reports no deletion of these items; a Copilot interaction, a shift or an approval can be deleted. */
export function isServiceItemDeletable(kind: ServiceItemKind): boolean {
  return (
    kind === 'aiInteraction' ||
    kind === 'scheduleItem' ||
    kind === 'approvalItem' ||
    kind === 'teamsAppInstallation' ||
    kind === 'unknownItem'
  );
}

/** Who an item belongs to: its collection, and the meeting organiser or Copilot user where there is one. */
export function serviceOwner(kind: ServiceItemKind, collection: string, body: JsonObject): ResourceOwner {
  const organizer = (body.meetingOrganizer as { user?: { id?: unknown } } | undefined)?.user?.id;
  const userId =
    kind === 'aiInteraction'
      ? collection.split('/')[2]
      : typeof organizer === 'string' && (kind === 'callTranscript' || kind === 'callRecording')
        ? organizer
        : undefined;
  return { collectionPath: collection, ...(userId === undefined ? {} : { userId }) };
}

const MEETING_FILTER = /^[^?]*\?(?:\$|%24)filter=joinweburl(?:\s|\+)+eq(?:\s|\+)+'(.*)'$/i;

const TEAMS = { family: 'teams', supportsRichData: true, select: undefined, filter: undefined } as const;
const SERVICE = { family: 'collection', supportsRichData: false, select: undefined } as const;
/** Teams collections without rich content that take every change type: Shifts, approvals. */
const TEAMS_BASIC = {
  ...TEAMS,
  supportsRichData: false,
  allowedChangeTypes: ['created', 'updated', 'deleted'],
} as const satisfies Partial<SubscriptionTarget>;

/**
 * The target of a subscription resource of these families, or undefined when the resource is none of theirs.
 * Graph's own rules: meeting artefacts `created` only; call events `created`/`updated`; Copilot any change type.
 */
export function serviceTarget(resource: string, directory: TenantDirectory): SubscriptionTarget | undefined {
  const pathPart = resource.split('?', 1)[0] ?? '';
  const segments = parseGraphPath(pathPart);
  const names = segments.map((segment) => segment.toLowerCase());
  const query = new URLSearchParams(resource.includes('?') ? resource.slice(resource.indexOf('?') + 1) : '');
  switch (names[0]) {
    case 'communications':
      return names[1] === 'onlinemeetings' ? meetingTarget(resource, segments, names) : undefined;
    case 'users':
      return userMeetingsTarget(segments, names, directory);
    case 'copilot':
      return copilotTarget(segments, names, query, directory);
    case 'security':
      return names[1] === 'alerts' && names.length <= 3 ? alertsTarget(query, segments[2]) : undefined;
    case 'print':
      return printTarget(segments, names);
    case 'teams':
      return scheduleTarget(segments, names);
    case 'solutions':
      if (names[1] === 'virtualevents') return virtualEventTarget(segments, names);
      return names.join('/') === 'solutions/approval/approvalitems' ? approvalsTarget() : undefined;
    case 'appcatalogs':
      return appCatalogTarget(segments, names, query);
    default:
      return undefined;
  }
}

/**
 * Teams approvals, `solutions/approval/approvalItems`: 43,200 minutes and ApprovalSolution.ReadWrite.All
 * ("subscription resource type", "Create subscription"). Microsoft documents no change types, rich content nor
 * notification shape for them: any change type, no rich content, the Teams lifecycle rule, one item per notification.
 */
function approvalsTarget(): SubscriptionTarget {
  return {
    ...TEAMS_BASIC,
    kind: 'approvalItems',
    expiryClass: 'approval',
    collectionPath: 'solutions/approval/approvalItems',
    role: 'ApprovalSolution.ReadWrite.All',
    canonical: 'solutions/approval/approvalitems',
  };
}

/**
 * Teams virtual events ("Get change notifications for Microsoft Teams virtual event updates"): one webinar or town
 * hall (`updated`), the sessions of one (`created`, `updated`), the registrations of a webinar (`created`,
 * `updated`); a day at most, basic notifications only, VirtualEvent.Read.All. The page shows lifecycle URLs in every
 * example: the Teams rule. The tenant-wide forms, attendance reports and video-on-demand are not simulated.
 */
function virtualEventTarget(segments: readonly string[], names: readonly string[]): SubscriptionTarget | undefined {
  const type = names[2];
  if ((type !== 'webinars' && type !== 'townhalls') || names.length < 4 || names[3]?.startsWith('get'))
    return undefined;
  const events = `solutions/virtualEvents/${type}`;
  const eventId = segments[3] ?? '';
  const rules = { ...TEAMS_BASIC, expiryClass: 'virtualEvent', role: 'VirtualEvent.Read.All' } as const;
  if (names.length === 4)
    return {
      ...rules,
      kind: 'virtualEvents',
      allowedChangeTypes: ['updated'],
      collectionPath: events,
      objectId: eventId,
      canonical: `${events.toLowerCase()}/${eventId}`,
    };
  const collection = names[4];
  const registrations = collection === 'registrations' && type === 'webinars';
  if (names.length !== 5 || (collection !== 'sessions' && !registrations)) return undefined;
  const collectionPath = `${events}/${eventId}/${collection}`;
  return {
    ...rules,
    kind: registrations ? 'virtualEventRegistrations' : 'virtualEventSessions',
    allowedChangeTypes: ['created', 'updated'],
    collectionPath,
    canonical: collectionPath.toLowerCase(),
  };
}

/**
 * The app-catalog forms ("Create subscription"): `appCatalogs/teamsApps/{id}/installedToChats` (the chats themselves,
 * Chat.ReadBasic.WhereInstalled), `…/installedToChats/getAllMessages | getAllMembers` (Chat.Read.WhereInstalled,
 * ChatMember.Read.WhereInstalled; the export API's `model=B` only) and, beta, `…/installedToOnlineMeetings/
 * getAllTranscripts | getAllRecordings` (OnlineMeetingTranscript.Read.All, OnlineMeetingRecording.Read.All). Each
 * sees only the chats or meetings the app is installed in (`teamsAppId`).
 */
function appCatalogTarget(
  segments: readonly string[],
  names: readonly string[],
  query: URLSearchParams,
): SubscriptionTarget | undefined {
  if (names[1] !== 'teamsapps' || names.length < 4 || names.length > 5) return undefined;
  const teamsAppId = segments[2] ?? '';
  const form = names.slice(3).join('/');
  const canonical = `appcatalogs/teamsapps/${teamsAppId}/${form}`;
  if (form === 'installedtoonlinemeetings/getalltranscripts' || form === 'installedtoonlinemeetings/getallrecordings')
    return artefactTarget(names[4] ?? '', { teamsAppId }, canonical);
  const installed = { ...TEAMS, allowedChangeTypes: ['created', 'updated', 'deleted'], teamsAppId, canonical } as const;
  if (form === 'installedtochats')
    return { ...installed, kind: 'chats', expiryClass: 'chat', role: 'Chat.ReadBasic.WhereInstalled' };
  const chats = { ...installed, container: 'chats' } as const;
  if (form !== 'installedtochats/getallmessages' && form !== 'installedtochats/getallmembers') return undefined;
  if (query.get('model') === 'A')
    throw GraphHttpError.badRequest('The app-catalog forms of the Teams export APIs support only model=B.');
  return form === 'installedtochats/getallmessages'
    ? { ...chats, kind: 'allChatMessages', expiryClass: 'chatMessage', role: 'Chat.Read.WhereInstalled' }
    : { ...chats, kind: 'teamsMembers', expiryClass: 'teamsMember', role: 'ChatMember.Read.WhereInstalled' };
}

const ARTEFACTS = {
  getalltranscripts: ['transcripts', 'callTranscript', 'OnlineMeetingTranscript.Read.All'],
  getallrecordings: ['recordings', 'callRecording', 'OnlineMeetingRecording.Read.All'],
  transcripts: ['transcripts', 'callTranscript', 'OnlineMeetingTranscript.Read.All'],
  recordings: ['recordings', 'callRecording', 'OnlineMeetingRecording.Read.All'],
} as const;

function artefactTarget(name: string, extra: Partial<SubscriptionTarget>, canonical: string): SubscriptionTarget {
  const [kind, expiryClass, role] = ARTEFACTS[name as keyof typeof ARTEFACTS];
  return { ...TEAMS, kind, expiryClass, allowedChangeTypes: ['created'], role, canonical, ...extra };
}

function meetingTarget(resource: string, segments: readonly string[], names: readonly string[]): SubscriptionTarget {
  const last = names.at(-1) ?? '';
  if (names.length === 3 && (last === 'getalltranscripts' || last === 'getallrecordings'))
    return artefactTarget(last, {}, `communications/onlinemeetings/${last}`);
  const meetingId = segments[2] ?? '';
  if (names.length === 4 && (last === 'transcripts' || last === 'recordings')) {
    const collectionPath = `communications/onlineMeetings/${meetingId}/${last}`;
    return artefactTarget(last, { collectionPath }, collectionPath);
  }
  const url = names.length === 2 ? MEETING_FILTER.exec(resource)?.[1] : undefined;
  if (url === undefined)
    throw GraphHttpError.badRequest(
      "Online meeting call events are subscribed as communications/onlineMeetings/?$filter=JoinWebUrl eq '{joinWebUrl}'.",
    );
  const meeting = meetingOfJoinWebUrl(url);
  if (meeting === undefined) throw GraphHttpError.of('notFound');
  const collectionPath = `communications/onlineMeetings/${meeting}/meetingCallEvents`;
  return {
    ...TEAMS,
    kind: 'meetingCallEvents',
    expiryClass: 'onlineMeeting',
    allowedChangeTypes: ['created', 'updated'],
    collectionPath,
    role: 'OnlineMeetings.Read.All',
    canonical: collectionPath,
  };
}

function userMeetingsTarget(
  segments: readonly string[],
  names: readonly string[],
  directory: TenantDirectory,
): SubscriptionTarget | undefined {
  const last = names[3] ?? '';
  if (names.length !== 4 || names[2] !== 'onlinemeetings') return undefined;
  if (last !== 'getalltranscripts' && last !== 'getallrecordings') return undefined;
  const user = directory.findUser(segments[1] ?? '');
  if (user === undefined) throw GraphHttpError.of('notFound');
  return artefactTarget(last, { userId: user.id }, `users/${user.id}/onlinemeetings/${last}`);
}

function copilotTarget(
  segments: readonly string[],
  names: readonly string[],
  query: URLSearchParams,
  directory: TenantDirectory,
): SubscriptionTarget | undefined {
  const tail = names.slice(-2).join('/');
  if (tail !== 'interactionhistory/getallenterpriseinteractions') return undefined;
  if (names.length !== 3 && !(names.length === 5 && names[1] === 'users')) return undefined;
  const user = names.length === 5 ? directory.findUser(segments[2] ?? '') : undefined;
  if (names.length === 5 && user === undefined) throw GraphHttpError.of('notFound');
  return {
    ...TEAMS,
    kind: 'aiInteractions',
    expiryClass: 'aiInteraction',
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    filter: filterOf(query),
    ...(user === undefined ? {} : { userId: user.id }),
    role: 'AiEnterpriseInteraction.Read.All',
    canonical: `copilot/${user === undefined ? '' : `users/${user.id}/`}interactionhistory${canonicalFilter(query)}`,
  };
}

/** Filtered alerts, `security/alerts?$filter=…`, or one alert, `security/alerts/{id}`. */
function alertsTarget(query: URLSearchParams, alertId: string | undefined): SubscriptionTarget {
  return {
    ...SERVICE,
    kind: 'securityAlerts',
    expiryClass: 'securityAlert',
    allowedChangeTypes: ['created', 'updated'],
    filter: filterOf(query),
    collectionPath: 'security/alerts',
    ...(alertId === undefined ? {} : { objectId: alertId }),
    // Subscribing takes SecurityEvents.ReadWrite.All (the "Create subscription" page); a read, SecurityEvents.Read.All.
    role: 'SecurityEvents.ReadWrite.All',
    canonical: `security/alerts${alertId === undefined ? '' : `/${alertId}`}${canonicalFilter(query)}`,
  };
}

function printTarget(segments: readonly string[], names: readonly string[]): SubscriptionTarget | undefined {
  if (names.length !== 4) return undefined;
  const printer = names[1] === 'printers' && names[3] === 'jobs';
  if (!printer && !(names[1] === 'taskdefinitions' && names[3] === 'tasks')) return undefined;
  const collectionPath = printer
    ? `print/printers/${segments[2] ?? ''}/jobs`
    : `print/taskDefinitions/${segments[2] ?? ''}/tasks`;
  return {
    ...SERVICE,
    filter: undefined,
    kind: printer ? 'printJobs' : 'printTasks',
    expiryClass: 'print',
    // JobFetchable is `updated`, JobStarted (a task) `created` (the cloud printing notifications page).
    allowedChangeTypes: printer ? ['updated'] : ['created'],
    collectionPath,
    // Subscribing to a printer takes Printer.Read.All; reading its jobs PrintJob.Read.All (the "Create subscription" page).
    role: printer ? 'Printer.Read.All' : 'PrintTaskDefinition.ReadWrite.All',
    canonical: collectionPath,
  };
}

/**
 * A resource the simulator does not know, accepted only with `subscriptions.acceptUnknownResources` (strict by
 * default, as Graph refuses what it does not support): its items are `unknownItem`s created in the collection the
 * resource names (query dropped), any change type, no permission checked (the simulator cannot know which one
 * Graph would ask for), notified as `{collection}/{id}`.
 */
export function unknownResourceTarget(resource: string): SubscriptionTarget {
  const collectionPath = (resource.split('?', 1)[0] ?? '').replace(/^\/+|\/+$/g, '');
  return {
    ...SERVICE,
    filter: undefined,
    kind: 'unknownResources',
    expiryClass: 'unknownResource',
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    collectionPath,
    role: '',
    canonical: collectionPath,
  };
}

/** The collections of a team's schedule, by their lower-cased segment, as Graph spells them. */
export const SCHEDULE_COLLECTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  ['shifts', 'openShiftChangeRequests', 'swapShiftsChangeRequests', 'offerShiftRequests', 'timeOffRequests'].map(
    (name) => [name.toLowerCase(), name],
  ),
);

/** `teams/{id}/schedule/{shifts | …Requests}` (Teams Shifts): any change type, 360 minutes, Schedule.Read.All. */
function scheduleTarget(segments: readonly string[], names: readonly string[]): SubscriptionTarget | undefined {
  const collection = SCHEDULE_COLLECTIONS[names[3] ?? ''];
  if (names.length !== 4 || names[2] !== 'schedule' || collection === undefined) return undefined;
  const collectionPath = `teams/${segments[1] ?? ''}/schedule/${collection}`;
  return {
    ...TEAMS_BASIC,
    kind: 'scheduleItems',
    expiryClass: 'schedule',
    collectionPath,
    role: 'Schedule.Read.All',
    canonical: collectionPath,
  };
}

/**
 * A printer's jobs notify when a job reaches the state `notificationQueryOptions` names (`$filter=isFetchable eq
 * true`, "Subscribe to change notifications on cloud printing APIs"): the options become the target's filter. Other
 * resources keep them stored and echoed only, as before.
 */
export function withNotificationQueryOptions(target: SubscriptionTarget, options: unknown): SubscriptionTarget {
  if (target.kind !== 'printJobs' || typeof options !== 'string') return target;
  const filter = /^\s*\$filter\s*=\s*(.+)$/.exec(options)?.[1];
  if (filter === undefined)
    throw GraphHttpError.badRequest(
      `Unsupported notificationQueryOptions '${options}'; use $filter=isFetchable eq true.`,
    );
  return { ...target, filter: parseFilter(filter) };
}

function filterOf(query: URLSearchParams): FilterClause[] | undefined {
  const filter = query.get('$filter');
  return filter === null ? undefined : parseFilter(filter);
}

function canonicalFilter(query: URLSearchParams): string {
  const filter = query.get('$filter');
  return filter === null ? '' : `?$filter=${filter.toLowerCase()}`;
}

/** Whether a subscription on `target` (one of these families) sees `change`. */
export function serviceTargetCovers(target: SubscriptionTarget & { kind: ServiceTargetKind }, change: ChangeEvent) {
  if (TARGET_OF[target.kind] !== change.kind) return false;
  if (target.collectionPath !== undefined && change.owner.collectionPath !== target.collectionPath) return false;
  if (target.userId !== undefined && change.owner.userId !== target.userId) return false;
  if (target.objectId !== undefined && change.id !== target.objectId) return false;
  return target.filter === undefined || matchesFilter(change.after ?? change.before, target.filter);
}

/** The change type Graph reports: a call event is always `updated` (the meeting call updates page). */
export function serviceChangeType(change: ChangeEvent): ChangeType {
  return change.kind === 'meetingCallEvent' ? 'updated' : change.changeType;
}

const ODATA_TYPES: Readonly<Record<ServiceItemKind, string>> = {
  callTranscript: '#Microsoft.Graph.callTranscript',
  callRecording: '#Microsoft.Graph.callRecording',
  meetingCallEvent: '#Microsoft.Graph.onlineMeeting',
  aiInteraction: '#Microsoft.Graph.aiInteraction',
  securityAlert: '#Microsoft.Graph.alert',
  printJob: '#microsoft.graph.printJob',
  printTask: '#microsoft.graph.printTask',
  scheduleItem: '#microsoft.graph.shift',
  approvalItem: '#microsoft.graph.approvalItem',
  teamsAppInstallation: '#microsoft.graph.teamsAppInstallation',
  // Microsoft's "Webinar updated" example says `virtualEvent`, whether webinar or town hall.
  virtualEvent: '#microsoft.graph.virtualEvent',
  virtualEventSession: '#microsoft.graph.virtualEventSession',
  virtualEventRegistration: '#microsoft.graph.virtualEventRegistration',
  unknownItem: '#microsoft.graph.entity',
};

/** The `resource` a notification about an item of these families names. */
function serviceResource(kind: ServiceItemKind, collection: string, id: string): string {
  const [, , parent = ''] = collection.split('/');
  switch (kind) {
    case 'callTranscript':
      return `communications/onlineMeetings('${parent}')/transcripts('${id}')`;
    case 'callRecording':
      return `communications/onlineMeetings('${parent}')/recordings('${id}')`;
    case 'meetingCallEvent':
      return `communications/onlineMeetings?$filter=joinWebUrl+eq+'${joinWebUrlOf(parent)}'`;
    case 'aiInteraction':
      return `copilot/interactionHistory/interactions('${id}')`;
    case 'securityAlert':
      return `security/alerts('${id}')`;
    case 'printJob':
      return `print/printers('${parent}')/jobs('${id}')`;
    case 'printTask':
      return `print/taskDefinitions('${parent}')/tasks('${id}')`;
    case 'scheduleItem': {
      const [, team = '', , items = ''] = collection.split('/');
      return `teams('${team}')/schedule/${items}('${id}')`;
    }
    case 'approvalItem':
      return `solutions/approval/approvalItems('${id}')`;
    case 'teamsAppInstallation':
      return `chats('${collection.split('/')[1] ?? ''}')/installedApps('${id}')`;
    case 'virtualEvent':
      return `${collection}/${id}/`;
    case 'virtualEventSession':
    case 'virtualEventRegistration':
    case 'unknownItem':
      return `${collection}/${id}`;
  }
}

/**
 * A call event names the meeting, not the event: `id` and `@odata.id` are the meeting's filter form, and
 * without encryption the event's properties ride in `resourceData` (the meeting call updates page).
 */
function meetingCallEvent(resource: string, body: JsonObject): JsonObject {
  const { id: _eventId, ...event } = body;
  return { '@odata.type': ODATA_TYPES.meetingCallEvent, '@odata.id': resource, id: resource, ...event };
}

export function serviceNotificationSubject(
  kind: ServiceItemKind,
  change: ChangeEvent,
  rich: boolean,
): NotificationSubject {
  const resource = serviceResource(kind, change.owner.collectionPath ?? '', change.id);
  if (kind === 'meetingCallEvent') {
    const event = meetingCallEvent(resource, change.after ?? change.before ?? {});
    const { '@odata.id': odataId, '@odata.type': odataType, id } = event;
    return { resource, resourceData: rich ? { '@odata.id': odataId, '@odata.type': odataType, id } : event };
  }
  if (kind === 'virtualEventSession' || kind === 'virtualEventRegistration') {
    // Microsoft's examples name the collection in `resource` and the item's whole path in `resourceData`.
    const collection = change.owner.collectionPath ?? '';
    return {
      resource: collection,
      resourceData: { '@odata.id': resource, '@odata.type': ODATA_TYPES[kind], id: resource },
    };
  }
  if (kind === 'virtualEvent') {
    const townHall = change.owner.collectionPath?.endsWith('/townhalls') === true;
    const odataType = townHall ? '#microsoft.graph.virtualEventTownhall' : ODATA_TYPES.virtualEvent;
    return { resource, resourceData: { '@odata.id': resource, '@odata.type': odataType, id: resource } };
  }
  const odataType =
    kind === 'scheduleItem'
      ? `#microsoft.graph.${(change.owner.collectionPath ?? '').split('/')[3]?.replace(/s$/, '') ?? 'shift'}`
      : ODATA_TYPES[kind];
  return { resource, resourceData: { id: change.id, '@odata.type': odataType, '@odata.id': resource } };
}

/** The content a rich notification encrypts: the item as a GET returns it; a call event as the page shows. */
export function serviceRichPayload(kind: ServiceItemKind, change: ChangeEvent): JsonObject {
  const body = change.after ?? change.before ?? {};
  if (kind !== 'meetingCallEvent') return { ...body };
  return meetingCallEvent(serviceResource(kind, change.owner.collectionPath ?? '', change.id), body);
}

/** A new item's body, as Graph returns it; the mutation's data is laid over it. */
export function newServiceItemBody(kind: ServiceItemKind, id: string, collection: string, now: string): JsonObject {
  const [, , parent = ''] = collection.split('/');
  switch (kind) {
    case 'callTranscript':
    case 'callRecording': {
      const content = kind === 'callTranscript' ? 'transcriptContentUrl' : 'recordingContentUrl';
      return {
        id,
        meetingId: parent,
        [content]: `https://graph.microsoft.com/v1.0/${collection}/${id}/content`,
        createdDateTime: now,
        meetingOrganizer: { application: null, device: null, user: null },
      };
    }
    case 'meetingCallEvent':
      return { id, eventType: 'Microsoft.Communication.CallStarted', eventDateTime: now, state: 'active' };
    case 'aiInteraction':
      return {
        id,
        sessionId: `19:copilot_${parent}@thread.v2`,
        requestId: id,
        appClass: 'IPM.SkypeTeams.Message.Copilot.Teams',
        interactionType: 'userPrompt',
        conversationType: 'appchat',
        etag: id,
        createdDateTime: now,
        locale: 'en-us',
        from: { device: null, application: null, user: { id: parent, displayName: null } },
        body: { contentType: 'text', content: 'Summarise the meeting' },
        attachments: [],
        contexts: [],
        links: [],
        mentions: [],
      };
    case 'securityAlert':
      return {
        id,
        title: 'Suspicious sign-in',
        category: 'SuspiciousSignIn',
        severity: 'medium',
        status: 'newAlert',
        createdDateTime: now,
        lastModifiedDateTime: now,
        vendorInformation: { provider: 'IPC', vendor: 'Microsoft' },
      };
    case 'printJob':
      return { id, createdDateTime: now, isFetchable: true, status: { state: 'processing', details: [] } };
    case 'printTask':
      return {
        id,
        parentUrl: `https://graph.microsoft.com/v1.0/print/printers/p/jobs/${id}`,
        status: { state: 'processing' },
      };
    case 'scheduleItem':
      return collection.endsWith('/shifts')
        ? {
            id,
            createdDateTime: now,
            lastModifiedDateTime: now,
            schedulingGroupId: null,
            userId: null,
            sharedShift: { displayName: 'Morning', startDateTime: now, endDateTime: now, theme: 'blue' },
            draftShift: null,
          }
        : { id, state: 'pending', createdDateTime: now, lastModifiedDateTime: now };
    case 'approvalItem':
      return {
        id,
        displayName: 'Expense report',
        description: 'Please approve',
        approvalType: 'basic',
        state: 'pending',
        result: null,
        createdDateTime: now,
        completedDateTime: null,
        allowCancel: true,
        allowEmailNotification: true,
        responsePrompts: ['Approve', 'Reject'],
        owner: { user: null, group: null },
      };
    case 'teamsAppInstallation':
      return { id, teamsApp: { id: '' }, consentedPermissionSet: null };
    case 'virtualEvent':
      return {
        '@odata.type': collection.endsWith('/townhalls')
          ? '#microsoft.graph.virtualEventTownhall'
          : '#microsoft.graph.virtualEventWebinar',
        id,
        status: 'draft',
        displayName: 'The Impact of Tech on Our Lives',
        description: { contentType: 'text', content: 'Discusses how technology has changed the lives of people' },
        startDateTime: { dateTime: now, timeZone: 'UTC' },
        endDateTime: { dateTime: now, timeZone: 'UTC' },
        createdBy: { application: null, user: null },
        settings: { isAttendeeEmailNotificationEnabled: false },
      };
    case 'virtualEventSession':
      return {
        id,
        subject: 'The Impact of Tech on Our Lives',
        startDateTime: { dateTime: now, timeZone: 'UTC' },
        endDateTime: { dateTime: now, timeZone: 'UTC' },
        joinWebUrl: `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${id}%40thread.v2/0`,
        allowedPresenters: 'organizer',
      };
    case 'virtualEventRegistration':
      return {
        id,
        userId: null,
        firstName: 'Emilee',
        lastName: 'Pham',
        email: 'emilee.pham@contoso.com',
        status: 'registered',
        registrationDateTime: now,
        cancelationDateTime: null,
        preferredTimezone: 'Pacific Standard Time',
        preferredLanguage: 'en-us',
        registrationQuestionAnswers: [],
      };
    case 'unknownItem':
      return { id, createdDateTime: now };
  }
}
