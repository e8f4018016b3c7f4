/**
 * What a subscription's `resource` means: which changes it watches, its lifetime limits and allowed change
 * types (docs/graph-protocol.md §1.1–§1.4), and how a matching change is written into a notification (§3.4: Outlook
 * casing, users/groups creation as `updated`, drive root with `resourceData: null`).
 */
import type { TenantDirectory } from './directory.js';
import { GraphHttpError } from './graphError.js';
import type { ChangeEvent, ChangeType, JsonObject, SimResourceKind } from './model.js';
import type { NotificationShapeOptions } from './options.js';
import {
  isServiceItemKind,
  isServiceTargetKind,
  serviceChangeType,
  serviceNotificationSubject,
  serviceRichPayload,
  serviceTarget,
  serviceTargetCovers,
  type ServiceExpiryClass,
  type ServiceTargetKind,
} from './serviceResources.js';

/** Splits a Graph path into segments, turning OData key syntax `messages('id')` into `messages`, `id`. */
export function parseGraphPath(path: string): string[] {
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    const segment = decodeURIComponent(raw);
    const key = /^([A-Za-z.]+)\((.*)\)$/.exec(segment);
    if (key?.[1] !== undefined && key[2] !== undefined) {
      segments.push(key[1]);
      // delta(token='...') keeps its parameter as `token=...`; other keys are the id, quotes stripped.
      const inner = key[2];
      const named = /^(\w+)=(.*)$/.exec(inner);
      if (named?.[1] !== undefined && named[2] !== undefined) segments.push(`${named[1]}=${stripQuotes(named[2])}`);
      else if (inner !== '') segments.push(stripQuotes(inner));
    } else {
      segments.push(segment);
    }
  }
  return segments;
}

function stripQuotes(value: string): string {
  return /^'.*'$/.test(value) ? value.slice(1, -1).replaceAll("''", "'") : value;
}

export type SubscriptionTargetKind =
  | 'users'
  | 'user'
  | 'groups'
  | 'group'
  | 'messages'
  | 'events'
  | 'contacts'
  | 'driveRoot'
  | 'chats'
  | 'chat'
  | 'chatMessages'
  | 'allChatMessages'
  | 'allChannelMessages'
  | 'teams'
  | 'team'
  | 'channels'
  | 'teamsMembers'
  | 'presences'
  | 'list'
  | 'todoTasks'
  | 'conversations'
  | 'groupEvents'
  | 'callRecords'
  | ServiceTargetKind;

export type ExpiryClass =
  | 'user'
  | 'group'
  | 'message'
  | 'event'
  | 'contact'
  | 'driveRoot'
  | 'chat'
  | 'chatMessage'
  | 'team'
  | 'channel'
  | 'teamsMember'
  | 'presence'
  | 'list'
  | 'todoTask'
  | 'groupConversation'
  | 'groupEvent'
  | 'callRecord'
  | ServiceExpiryClass;

export interface SubscriptionTarget {
  readonly kind: SubscriptionTargetKind;
  readonly expiryClass: ExpiryClass;
  readonly allowedChangeTypes: readonly ChangeType[];
  readonly family: 'directory' | 'outlook' | 'drive' | 'teams' | 'collection';
  readonly supportsRichData: boolean;
  /** Outlook mailbox owner, drive, chat or directory object the subscription is scoped to. */
  readonly userId?: string;
  readonly folderId?: string;
  readonly driveId?: string;
  /** A folder below the root of a personal OneDrive; changes anywhere under it are notified. */
  readonly driveFolderId?: string;
  readonly chatId?: string;
  /** The team whose channels, channel messages or members the subscription watches. */
  readonly teamId?: string;
  /** Only chat messages or members of chats (`chats`), or only those of teams and channels (`teams`). */
  readonly container?: 'chats' | 'teams';
  /** The user of `users/{id}/chats/getAllMessages`: only the chats they are a member of are seen. */
  readonly chatMemberId?: string;
  /** The Teams app (catalog id) of an app-catalog form: only chats and meetings it is installed in are seen. */
  readonly teamsAppId?: string;
  readonly objectId?: string;
  /** The collection a SharePoint list or To Do task list subscription watches. */
  readonly collectionPath?: string;
  /** The users whose presence a `communications/presences` subscription watches. */
  readonly presenceIds?: readonly string[];
  readonly select: readonly string[] | undefined;
  readonly filter: FilterClause[] | undefined;
  /** Role the app needs to read the resource (docs/graph-protocol.md §1.2.9). */
  readonly role: string;
  /** Canonical form used for duplicate detection (§1.2.7). */
  readonly canonical: string;
}

export interface FilterClause {
  path: string[];
  value: unknown;
}

const ALL: readonly ChangeType[] = ['created', 'updated', 'deleted'];
// Users and groups accept only updated and deleted; drive roots only updated (docs/graph-protocol.md §1.1).
const DIRECTORY: readonly ChangeType[] = ['updated', 'deleted'];
const DRIVE: readonly ChangeType[] = ['updated'];

/** The refusals of a resource the simulator does not know, told apart from its other errors. */
const UNSUPPORTED = new WeakSet<GraphHttpError>();

function unsupported(resource: string): GraphHttpError {
  const error = GraphHttpError.badRequest(
    `Resource '${resource}' is not supported for change notifications by the simulator.`,
  );
  UNSUPPORTED.add(error);
  return error;
}

/** Whether `error` refused a resource because the simulator does not know it (not because it is malformed). */
export function isUnsupportedResource(error: unknown): boolean {
  return error instanceof GraphHttpError && UNSUPPORTED.has(error);
}

/** Parses `$filter` of the form `a eq 1 and b/c eq 'x'`, the subset Outlook subscriptions use (docs/graph-protocol.md §3.4). */
export function parseFilter(filter: string): FilterClause[] {
  return filter.split(/\s+and\s+/i).map((clause) => {
    const match = /^\s*([\w/]+)\s+eq\s+(.+?)\s*$/i.exec(clause);
    if (match?.[1] === undefined || match[2] === undefined)
      throw GraphHttpError.badRequest(`Unsupported filter clause '${clause}'.`);
    const literal = match[2];
    let value: unknown;
    if (/^'.*'$/.test(literal)) value = literal.slice(1, -1).replaceAll("''", "'");
    else if (literal === 'true' || literal === 'false') value = literal === 'true';
    else if (literal === 'null') value = null;
    else if (!Number.isNaN(Number(literal))) value = Number(literal);
    else throw GraphHttpError.badRequest(`Unsupported filter literal '${literal}'.`);
    return { path: match[1].split('/'), value };
  });
}

export function matchesFilter(body: JsonObject | undefined, filter: readonly FilterClause[] | undefined): boolean {
  if (body === undefined) return false;
  if (filter === undefined) return true;
  return filter.every((clause) => {
    let current: unknown = body;
    for (const key of clause.path) {
      if (typeof current !== 'object' || current === null) return false;
      const record = current as Record<string, unknown>;
      const found = Object.keys(record).find((k) => k.toLowerCase() === key.toLowerCase());
      current = found === undefined ? undefined : record[found];
    }
    return (
      current === clause.value ||
      (typeof current === 'string' &&
        typeof clause.value === 'string' &&
        current.toLowerCase() === clause.value.toLowerCase())
    );
  });
}

/** Resolves a subscription resource string in a tenant. Throws a Graph error for unsupported or unknown targets. */
export function parseSubscriptionResource(resource: string, directory: TenantDirectory): SubscriptionTarget {
  const [pathPart = '', queryPart = ''] = resource.split('?', 2);
  const query = new URLSearchParams(queryPart);
  const presence = presenceTarget(parseGraphPath(pathPart), query, directory);
  if (presence !== undefined) return presence;
  const service = serviceTarget(resource, directory);
  if (service !== undefined) return service;
  const collection = collectionTarget(parseGraphPath(pathPart), directory);
  if (collection !== undefined) return collection;
  const teams = teamsTarget(parseGraphPath(pathPart), directory);
  if (teams !== undefined) return teams;
  const selectRaw = query.get('$select');
  const select =
    selectRaw === null
      ? undefined
      : selectRaw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  const filterRaw = query.get('$filter');
  const filter = filterRaw === null ? undefined : parseFilter(filterRaw);
  const segments = parseGraphPath(pathPart);
  const names = segments.map((s) => s.toLowerCase());
  const base = { select, filter };
  if (names[0] === 'me') throw GraphHttpError.of('meWithAppOnly');

  const userOf = (idOrUpn: string | undefined): string => {
    const user = idOrUpn === undefined ? undefined : directory.findUser(idOrUpn);
    if (user === undefined) throw GraphHttpError.of('notFound');
    return user.id;
  };

  if (names.length === 1 && names[0] === 'users') {
    return {
      ...base,
      kind: 'users',
      expiryClass: 'user',
      allowedChangeTypes: DIRECTORY,
      family: 'directory',
      supportsRichData: false,
      role: 'User.Read.All',
      canonical: 'users',
    };
  }
  if (names.length === 1 && names[0] === 'groups') {
    return {
      ...base,
      kind: 'groups',
      expiryClass: 'group',
      allowedChangeTypes: DIRECTORY,
      family: 'directory',
      supportsRichData: false,
      role: 'Group.Read.All',
      canonical: 'groups',
    };
  }
  if (names.length === 2 && names[0] === 'users') {
    const objectId = userOf(segments[1]);
    return {
      ...base,
      kind: 'user',
      objectId,
      expiryClass: 'user',
      allowedChangeTypes: DIRECTORY,
      family: 'directory',
      supportsRichData: false,
      role: 'User.Read.All',
      canonical: `users/${objectId}`,
    };
  }
  if (names.length === 2 && names[0] === 'groups') {
    const objectId = segments[1] ?? '';
    if (directory.get(`groups/${objectId}`) === undefined) throw GraphHttpError.of('notFound');
    return {
      ...base,
      kind: 'group',
      objectId,
      expiryClass: 'group',
      allowedChangeTypes: DIRECTORY,
      family: 'directory',
      supportsRichData: false,
      role: 'Group.Read.All',
      canonical: `groups/${objectId}`,
    };
  }
  if (names[0] === 'users' && names.length >= 3) {
    const userId = userOf(segments[1]);
    const rest = names.slice(2);
    if (rest.length === 1 && rest[0] === 'messages') {
      return {
        ...base,
        kind: 'messages',
        userId,
        expiryClass: 'message',
        allowedChangeTypes: ALL,
        family: 'outlook',
        supportsRichData: true,
        role: 'Mail.Read',
        canonical: `users/${userId}/messages${canonicalQuery(query)}`,
      };
    }
    if (rest.length === 3 && rest[0] === 'mailfolders' && rest[2] === 'messages') {
      const folder = directory.findFolder(userId, segments[3] ?? '');
      if (folder === undefined) throw GraphHttpError.of('notFound');
      return {
        ...base,
        kind: 'messages',
        userId,
        folderId: folder.id,
        expiryClass: 'message',
        allowedChangeTypes: ALL,
        family: 'outlook',
        supportsRichData: true,
        role: 'Mail.Read',
        canonical: `users/${userId}/mailfolders/${folder.id}/messages${canonicalQuery(query)}`,
      };
    }
    if (
      (rest.length === 1 && rest[0] === 'events') ||
      (rest.length === 2 && rest[0] === 'calendar' && rest[1] === 'events')
    ) {
      return {
        ...base,
        kind: 'events',
        userId,
        expiryClass: 'event',
        allowedChangeTypes: ALL,
        family: 'outlook',
        supportsRichData: true,
        role: 'Calendars.Read',
        canonical: `users/${userId}/events${canonicalQuery(query)}`,
      };
    }
    if (rest.length === 1 && rest[0] === 'contacts') {
      return {
        ...base,
        kind: 'contacts',
        userId,
        expiryClass: 'contact',
        allowedChangeTypes: ALL,
        family: 'outlook',
        supportsRichData: true,
        role: 'Contacts.Read',
        canonical: `users/${userId}/contacts${canonicalQuery(query)}`,
      };
    }
    if (rest.length === 2 && rest[0] === 'chats' && rest[1] === 'getallmessages') {
      return {
        ...base,
        kind: 'allChatMessages',
        container: 'chats',
        chatMemberId: userId,
        expiryClass: 'chatMessage',
        allowedChangeTypes: ALL,
        family: 'teams',
        supportsRichData: true,
        role: 'Chat.Read.All',
        canonical: `users/${userId}/chats/getallmessages`,
      };
    }
    if (rest.length === 2 && rest[0] === 'drive' && rest[1] === 'root') {
      const drive = directory.driveOfUser(userId);
      if (drive === undefined) throw GraphHttpError.of('notFound');
      return driveTarget(drive.id, base);
    }
    if (rest.length === 3 && rest[0] === 'drive' && rest[1] === 'items') {
      const drive = directory.driveOfUser(userId);
      if (drive === undefined) throw GraphHttpError.of('notFound');
      return driveFolderTarget(directory, drive.id, segments[4] ?? '', base);
    }
    throw unsupported(resource);
  }
  if (names[0] === 'drives' && names.length === 3 && names[2] === 'root') {
    const driveId = segments[1] ?? '';
    if (directory.get(`drives/${driveId}`) === undefined) throw GraphHttpError.of('notFound');
    return driveTarget(driveId, base);
  }
  if (names[0] === 'drives' && names.length === 4 && names[2] === 'items') {
    const driveId = segments[1] ?? '';
    if (directory.get(`drives/${driveId}`) === undefined) throw GraphHttpError.of('notFound');
    return driveFolderTarget(directory, driveId, segments[3] ?? '', base);
  }
  if (names[0] === 'chats') {
    if (names.length === 1) {
      return {
        ...base,
        kind: 'chats',
        expiryClass: 'chat',
        allowedChangeTypes: ALL,
        family: 'teams',
        supportsRichData: true,
        role: 'Chat.Read.All',
        canonical: 'chats',
      };
    }
    if (names.length === 2 && names[1] === 'getallmessages') {
      return {
        ...base,
        kind: 'allChatMessages',
        container: 'chats',
        expiryClass: 'chatMessage',
        allowedChangeTypes: ALL,
        family: 'teams',
        supportsRichData: true,
        role: 'Chat.Read.All',
        canonical: 'chats/getallmessages',
      };
    }
    const chatId = segments[1] ?? '';
    if (directory.get(`chats/${chatId}`) === undefined) throw GraphHttpError.of('notFound');
    if (names.length === 2) {
      return {
        ...base,
        kind: 'chat',
        chatId,
        expiryClass: 'chat',
        allowedChangeTypes: ALL,
        family: 'teams',
        supportsRichData: true,
        role: 'Chat.Read.All',
        canonical: `chats/${chatId}`,
      };
    }
    if (names.length === 3 && names[2] === 'messages') {
      return {
        ...base,
        kind: 'chatMessages',
        chatId,
        expiryClass: 'chatMessage',
        allowedChangeTypes: ALL,
        family: 'teams',
        supportsRichData: true,
        role: 'ChatMessage.Read.All',
        canonical: `chats/${chatId}/messages`,
      };
    }
  }
  throw unsupported(resource);
}

/**
 * A SharePoint list, `sites/{id}/lists/{id}` (notified as the list, `updated` only, 42,300 minutes), or a To Do
 * task list's tasks, `users/{id}/todo/lists/{id}/tasks` (4,230 minutes) (subscription resource type page).
 */
function collectionTarget(segments: readonly string[], directory: TenantDirectory): SubscriptionTarget | undefined {
  const names = segments.map((segment) => segment.toLowerCase());
  const base = { select: undefined, filter: undefined, family: 'collection', supportsRichData: false } as const;
  if (names.length === 4 && names[0] === 'sites' && names[2] === 'lists') {
    const collectionPath = `sites/${segments[1] ?? ''}/lists/${segments[3] ?? ''}/items`;
    return {
      ...base,
      kind: 'list',
      expiryClass: 'list',
      allowedChangeTypes: ['updated'],
      collectionPath,
      role: 'Sites.Read.All',
      canonical: collectionPath,
    };
  }
  if (
    names.length === 6 &&
    names[0] === 'users' &&
    names[2] === 'todo' &&
    names[3] === 'lists' &&
    names[5] === 'tasks'
  ) {
    const user = directory.findUser(segments[1] ?? '');
    if (user === undefined) throw GraphHttpError.of('notFound');
    const collectionPath = `users/${user.id}/todo/lists/${segments[4] ?? ''}/tasks`;
    return {
      ...base,
      kind: 'todoTasks',
      expiryClass: 'todoTask',
      allowedChangeTypes: ALL,
      collectionPath,
      role: 'Tasks.Read.All',
      canonical: collectionPath,
    };
  }
  if (names[0] === 'groups' && (names.length === 3 || (names.length === 4 && names[2] === 'calendar'))) {
    const groupId = segments[1] ?? '';
    const last = names.at(-1);
    if (last !== 'conversations' && last !== 'events') return undefined;
    if (directory.get(`groups/${groupId}`) === undefined) throw GraphHttpError.of('notFound');
    const conversations = last === 'conversations';
    const collectionPath = `groups/${groupId}/${conversations ? 'conversations' : 'events'}`;
    return {
      ...base,
      kind: conversations ? 'conversations' : 'groupEvents',
      expiryClass: conversations ? 'groupConversation' : 'groupEvent',
      allowedChangeTypes: ALL,
      collectionPath,
      role: 'Group.Read.All',
      canonical: collectionPath,
    };
  }
  if (names.length === 2 && names[0] === 'communications' && names[1] === 'callrecords') {
    return {
      ...base,
      kind: 'callRecords',
      expiryClass: 'callRecord',
      allowedChangeTypes: ['created', 'updated'],
      collectionPath: 'communications/callRecords',
      role: 'CallRecords.Read.All',
      canonical: 'communications/callRecords',
    };
  }
  return undefined;
}

/** What every subscription to a Teams structure shares: every change type, rich content with all properties. */
const TEAMS_BASE = {
  select: undefined,
  filter: undefined,
  family: 'teams',
  supportsRichData: true,
  allowedChangeTypes: ALL,
} as const;

/**
 * Teams structures and the channel-message export ("Get change notifications for teams and channels", "… for
 * membership changes in teams", "… for chat membership", "… for messages in Teams channels and chats"):
 * `teams`, `teams/{id}`, `teams/getAllChannels`, `teams/{id}/channels`, `teams/getAllMessages`,
 * `teams/{id}/channels/getAllMessages`, `teams/{id}/members`, `teams/getAllMembers`, `chats/{id}/members`,
 * `chats/getAllMembers`;
 * undefined for any other resource.
 */
function teamsTarget(segments: readonly string[], directory: TenantDirectory): SubscriptionTarget | undefined {
  const names = segments.map((segment) => segment.toLowerCase());
  if (names[0] === 'chats') return chatMembersTarget(segments, directory);
  if (names[0] !== 'teams') return undefined;
  const path = names.join('/');
  switch (path) {
    case 'teams':
      return teamsStructure('teams', 'team', path);
    case 'teams/getallchannels':
      return teamsStructure('channels', 'channel', path);
    case 'teams/getallmessages':
      return teamsStructure('allChannelMessages', 'chatMessage', path, { container: 'teams' });
    case 'teams/getallmembers':
      return teamsStructure('teamsMembers', 'teamsMember', path, { container: 'teams' });
  }
  const teamId = segments[1] ?? '';
  const team = `teams/${teamId}`;
  if (directory.get(team) === undefined) throw GraphHttpError.of('notFound');
  const rest = names.slice(2);
  if (rest.length === 3 && rest[0] === 'channels' && rest[2] === 'messages') {
    const channel = `${team}/channels/${segments[3] ?? ''}`;
    if (directory.get(channel) === undefined) throw GraphHttpError.of('notFound');
    const collectionPath = `${channel}/messages`;
    return teamsStructure('chatMessages', 'chatMessage', collectionPath, { collectionPath });
  }
  const canonical = [team, ...rest].join('/');
  switch (rest.join('/')) {
    case '':
      return teamsStructure('team', 'team', canonical, { objectId: teamId });
    case 'channels':
      return teamsStructure('channels', 'channel', canonical, { teamId });
    case 'channels/getallmessages':
      return teamsStructure('allChannelMessages', 'chatMessage', canonical, { teamId, container: 'teams' });
    case 'members':
      return teamsStructure('teamsMembers', 'teamsMember', canonical, { teamId, container: 'teams' });
    default:
      return undefined;
  }
}

/** The application permission each Teams structure subscription needs, as its change-notification page names it. */
type TeamsStructureClass = 'team' | 'channel' | 'chatMessage' | 'teamsMember';
const TEAMS_ROLES: Readonly<Record<TeamsStructureClass, string>> = {
  team: 'Team.ReadBasic.All',
  channel: 'Channel.ReadBasic.All',
  chatMessage: 'ChannelMessage.Read.All',
  teamsMember: 'TeamMember.Read.All',
};

/** A subscription to a Teams structure: every change type, rich allowed, the permission of its class. */
function teamsStructure(
  kind: SubscriptionTargetKind,
  expiryClass: TeamsStructureClass,
  canonical: string,
  scope: Pick<SubscriptionTarget, 'teamId' | 'container' | 'objectId' | 'collectionPath'> = {},
): SubscriptionTarget {
  return { ...TEAMS_BASE, kind, expiryClass, role: TEAMS_ROLES[expiryClass], canonical, ...scope };
}

/**
 * Members of one chat (`chats/{id}/members`) or of every chat (`chats/getAllMembers`). Graph notifies a member
 * added or removed, never updated ("Get change notifications for chat membership"), which `notifiedChangeType`
 * holds to; it publishes no refusal of `updated` on create, so the simulator accepts every change type.
 */
function chatMembersTarget(segments: readonly string[], directory: TenantDirectory): SubscriptionTarget | undefined {
  const names = segments.map((segment) => segment.toLowerCase());
  const base = {
    ...TEAMS_BASE,
    kind: 'teamsMembers',
    container: 'chats',
    expiryClass: 'teamsMember',
    role: 'ChatMember.Read.All',
  } as const;
  if (names.length === 2 && names[1] === 'getallmembers') return { ...base, canonical: 'chats/getallmembers' };
  if (names.length !== 3 || names[2] !== 'members') return undefined;
  const chatId = segments[1] ?? '';
  if (directory.get(`chats/${chatId}`) === undefined) throw GraphHttpError.of('notFound');
  return { ...base, chatId, canonical: `chats/${chatId}/members` };
}

/** Presence watches at most this many users per subscription ("Get change notifications for presence"). */
const MAX_PRESENCE_IDS = 650;

/**
 * `communications/presences?$filter=id in ('a','b')` (1 to 650 users) or `communications/presences/{id}`
 * (https://learn.microsoft.com/graph/changenotifications-for-presence); undefined for any other resource.
 */
function presenceTarget(
  segments: readonly string[],
  query: URLSearchParams,
  directory: TenantDirectory,
): SubscriptionTarget | undefined {
  const names = segments.map((segment) => segment.toLowerCase());
  if (names[0] !== 'communications' || names[1] !== 'presences' || names.length > 3) return undefined;
  let ids: string[];
  if (names.length === 3) {
    ids = [segments[2] ?? ''];
  } else {
    const filter = /^\s*id\s+in\s*\((.*)\)\s*$/i.exec(query.get('$filter') ?? '')?.[1];
    if (filter === undefined)
      throw GraphHttpError.badRequest("Presence subscriptions need $filter=id in ('{id}',...) naming the users.");
    ids = filter.split(',').map((id) => id.trim().replace(/^'(.*)'$/, '$1'));
    if (ids.length > MAX_PRESENCE_IDS)
      throw GraphHttpError.badRequest(`At most ${MAX_PRESENCE_IDS} users per presence subscription.`);
  }
  for (const id of ids) if (directory.findUser(id) === undefined) throw GraphHttpError.of('notFound');
  return {
    kind: 'presences',
    expiryClass: 'presence',
    allowedChangeTypes: ['updated'],
    family: 'teams',
    supportsRichData: true,
    select: undefined,
    filter: undefined,
    presenceIds: ids,
    role: 'Presence.Read.All',
    canonical: `communications/presences?ids=${[...ids].sort().join(',')}`,
  };
}

function canonicalQuery(query: URLSearchParams): string {
  const filter = query.get('$filter');
  return filter === null ? '' : `?$filter=${filter.toLowerCase()}`;
}

function driveTarget(
  driveId: string,
  base: { select: readonly string[] | undefined; filter: FilterClause[] | undefined },
): SubscriptionTarget {
  return {
    ...base,
    kind: 'driveRoot',
    driveId,
    expiryClass: 'driveRoot',
    allowedChangeTypes: DRIVE,
    family: 'drive',
    supportsRichData: false,
    role: 'Files.Read.All',
    canonical: `drives/${driveId}/root`,
  };
}

/**
 * A subscription on a drive item (subscription create page): personal OneDrive accepts the root or any
 * folder, OneDrive for Business and SharePoint only the root; never a single file.
 */
function driveFolderTarget(
  directory: TenantDirectory,
  driveId: string,
  itemId: string,
  base: { select: readonly string[] | undefined; filter: FilterClause[] | undefined },
): SubscriptionTarget {
  const item = directory.get(`drives/${driveId}/items/${itemId}`);
  if (item === undefined) throw GraphHttpError.of('notFound');
  if (item.body.root !== undefined) return driveTarget(driveId, base);
  if (directory.get(`drives/${driveId}`)?.body.driveType !== 'personal')
    throw GraphHttpError.of('odbFolderSubscription');
  if (item.body.folder === undefined)
    throw GraphHttpError.badRequest(
      'Change notifications are supported on the root or a folder of a drive, not on a file.',
    );
  return { ...driveTarget(driveId, base), driveFolderId: item.id, canonical: `drives/${driveId}/items/${item.id}` };
}

/** The change type Graph reports for `change` to a subscription on `target`, or undefined when it does not see it. */
export function notifiedChangeType(target: SubscriptionTarget, change: ChangeEvent): ChangeType | undefined {
  if (!targetCovers(target, change)) return undefined;
  if (isServiceTargetKind(target.kind)) return serviceChangeType(change);
  switch (target.family) {
    case 'directory':
      // Creation, soft deletion and restore arrive as `updated`; only permanent deletion is `deleted` (docs/graph-protocol.md §3.4).
      return change.changeType === 'deleted' && !change.softDelete ? 'deleted' : 'updated';
    case 'drive':
      return 'updated';
    case 'outlook': {
      if (target.filter === undefined) return change.changeType;
      // With $filter: entering the set is `created`, leaving it `deleted`, changing inside it `updated` (docs/graph-protocol.md §3.4).
      const wasIn = matchesFilter(change.before, target.filter);
      const isIn = matchesFilter(change.after, target.filter);
      if (wasIn && isIn) return 'updated';
      if (!wasIn && isIn) return 'created';
      if (wasIn && !isIn) return 'deleted';
      return undefined;
    }
    case 'teams':
      // Graph reports chat members added or removed, not updated ("Get change notifications for chat membership").
      if (change.kind === 'teamsMember' && change.owner.chatId !== undefined && change.changeType === 'updated')
        return undefined;
      return change.changeType;
    case 'collection':
      // A SharePoint list reports every change to its items as `updated` on the list (docs/graph-protocol.md §3.4).
      // Call records: creation arrives as `updated` too (docs/graph-protocol.md §3.4).
      return target.kind === 'list' || target.kind === 'callRecords' ? 'updated' : change.changeType;
  }
}

function targetCovers(target: SubscriptionTarget, change: ChangeEvent): boolean {
  if (isServiceTargetKind(target.kind)) return serviceTargetCovers({ ...target, kind: target.kind }, change);
  const expected: Record<Exclude<SubscriptionTargetKind, ServiceTargetKind>, SimResourceKind> = {
    users: 'user',
    user: 'user',
    groups: 'group',
    group: 'group',
    messages: 'message',
    events: 'event',
    contacts: 'contact',
    driveRoot: 'driveItem',
    chats: 'chat',
    chat: 'chat',
    chatMessages: 'chatMessage',
    allChatMessages: 'chatMessage',
    allChannelMessages: 'chatMessage',
    teams: 'team',
    team: 'team',
    channels: 'channel',
    teamsMembers: 'teamsMember',
    presences: 'presence',
    list: 'listItem',
    todoTasks: 'todoTask',
    conversations: 'conversation',
    groupEvents: 'groupEvent',
    callRecords: 'callRecord',
  };
  if (expected[target.kind] !== change.kind) return false;
  if (target.objectId !== undefined && change.id !== target.objectId) return false;
  if (target.presenceIds !== undefined && !target.presenceIds.includes(change.id)) return false;
  if (target.collectionPath !== undefined && change.owner.collectionPath !== target.collectionPath) return false;
  if (target.userId !== undefined && change.owner.userId !== target.userId) return false;
  if (target.folderId !== undefined && change.owner.folderId !== target.folderId) return false;
  if (target.driveId !== undefined && change.owner.driveId !== target.driveId) return false;
  if (target.chatId !== undefined && (change.kind === 'chat' ? change.id : change.owner.chatId) !== target.chatId)
    return false;
  if (target.teamId !== undefined && change.owner.teamId !== target.teamId) return false;
  if (target.container === 'chats' && change.owner.chatId === undefined) return false;
  if (target.container === 'teams' && change.owner.teamId === undefined) return false;
  return true;
}

export interface NotificationSubject {
  resource: string;
  resourceData: JsonObject | null;
}

const OUTLOOK_SEGMENT: Partial<Record<SimResourceKind, [string, string]>> = {
  message: ['Messages', 'Message'],
  event: ['Events', 'Event'],
  contact: ['Contacts', 'Contact'],
};

/**
 * `resource` and `resourceData` of a notification, in the shapes of docs/graph-protocol.md §3.4. A basic Outlook
 * notification names the mailbox owner `{user-guid}@{tenant-guid}` unless `shapes.outlookOwner` is `userId`.
 */
export function notificationSubject(
  target: SubscriptionTarget,
  change: ChangeEvent,
  rich: boolean,
  sequenceNumber: number,
  shapes: NotificationShapeOptions,
): NotificationSubject {
  if (isServiceItemKind(change.kind)) return serviceNotificationSubject(change.kind, change, rich);
  const body = change.after ?? change.before ?? {};
  const outlook = OUTLOOK_SEGMENT[change.kind];
  if (outlook !== undefined) {
    const userId = change.owner.userId ?? '';
    const etag = typeof body['@odata.etag'] === 'string' ? body['@odata.etag'] : undefined;
    if (rich) {
      const resource = `Users('${userId}')/${outlook[0].toLowerCase()}('${change.id}')`;
      return {
        resource,
        resourceData: {
          '@odata.type': `#microsoft.graph.${outlook[1].toLowerCase()}`,
          '@odata.id': resource,
          ...(etag === undefined ? {} : { '@odata.etag': etag }),
          id: change.id,
        },
      };
    }
    const owner = shapes.outlookOwner === 'userAtTenant' ? `${userId}@${change.tenantId}` : userId;
    const resource = `Users/${owner}/${outlook[0]}/${change.id}`;
    return {
      resource,
      resourceData: {
        '@odata.type': `#Microsoft.Graph.${outlook[1]}`,
        '@odata.id': resource,
        ...(etag === undefined ? {} : { '@odata.etag': etag }),
        id: change.id,
      },
    };
  }
  switch (change.kind) {
    case 'user':
    case 'group': {
      const resource = `${change.kind === 'user' ? 'Users' : 'Groups'}/${change.id}`;
      return {
        resource,
        resourceData: {
          '@odata.type': `#Microsoft.Graph.${change.kind === 'user' ? 'User' : 'Group'}`,
          '@odata.id': resource,
          id: change.id,
          organizationId: change.tenantId,
          eventTime: `${change.at.toISOString().slice(0, 19)}.0000000Z`,
          sequenceNumber: String(sequenceNumber),
        },
      };
    }
    case 'driveItem':
      // Drive notifications only say "something changed under this root" (field report, docs/graph-protocol.md §3.4).
      return { resource: `drives/${change.owner.driveId ?? ''}/root/`, resourceData: null };
    case 'chat': {
      const resource = `chats('${change.id}')`;
      return {
        resource,
        resourceData: { id: change.id, '@odata.type': '#Microsoft.Graph.chat', '@odata.id': resource },
      };
    }
    case 'listItem':
      // The list, not the item, with no resource data: run the list's delta.
      return { resource: (change.owner.collectionPath ?? '').replace(/\/items$/, ''), resourceData: null };
    case 'todoTask': {
      const [, userId = '', , , listId = ''] = (change.owner.collectionPath ?? '').split('/');
      const resource = `Users('${userId}')/todo/lists('${listId}')/tasks('${change.id}')`;
      return {
        resource,
        resourceData: { id: change.id, '@odata.type': '#Microsoft.Graph.todoTask', '@odata.id': resource },
      };
    }
    case 'conversation': {
      const resource = `groups('${change.owner.collectionPath?.split('/')[1] ?? ''}')/conversations('${change.id}')`;
      return {
        resource,
        resourceData: { id: change.id, '@odata.type': '#Microsoft.Graph.conversation', '@odata.id': resource },
      };
    }
    case 'groupEvent': {
      const resource = `Groups/${change.owner.collectionPath?.split('/')[1] ?? ''}/Events/${change.id}`;
      return {
        resource,
        resourceData: { id: change.id, '@odata.type': '#Microsoft.Graph.Event', '@odata.id': resource },
      };
    }
    case 'callRecord': {
      const resource = `communications/callRecords/${change.id}`;
      return {
        resource,
        resourceData: {
          id: change.id,
          '@odata.type': '#microsoft.graph.callRecords.callRecord',
          '@odata.id': resource,
        },
      };
    }
    case 'team':
    case 'channel':
    case 'teamsMember':
      return teamsStructureSubject(change);
    case 'presence': {
      const resource = `communications/presences('${change.id}')`;
      return {
        resource,
        resourceData: { id: change.id, '@odata.type': '#Microsoft.Graph.presence', '@odata.id': resource },
      };
    }
    case 'chatMessage': {
      // A channel message: `teams('{team}')/channels('{channel}')/messages('{id}')` (rich notifications page example).
      const channelId = change.owner.chatId === undefined ? change.owner.collectionPath?.split('/')[3] : undefined;
      const resource =
        channelId === undefined
          ? `chats('${change.owner.chatId ?? ''}')/messages('${change.id}')`
          : `teams('${change.owner.teamId ?? ''}')/channels('${channelId}')/messages('${change.id}')`;
      // Graph writes the type of basic chatMessage notifications with capitals (rich notifications page example).
      return {
        resource,
        resourceData: { id: change.id, '@odata.type': '#Microsoft.Graph.ChatMessage', '@odata.id': resource },
      };
    }
    default:
      return { resource: change.path, resourceData: { id: change.id } };
  }
}

/**
 * How Graph names a team, a channel and a member in a notification: `teams('{id}')`, `teams('{id}')/channels('{id}')`,
 * `teams('{id}')/members('{id}')`, `chats('{id}')/members('{id}')` (the Teams change-notification pages' examples).
 */
function teamsStructureSubject(change: ChangeEvent): NotificationSubject {
  const team = `teams('${change.owner.teamId ?? ''}')`;
  const [resource, odataType] =
    change.kind === 'team'
      ? [`teams('${change.id}')`, '#Microsoft.Graph.team']
      : change.kind === 'channel'
        ? [`${team}/channels('${change.id}')`, '#Microsoft.Graph.channel']
        : [
            `${change.owner.chatId === undefined ? team : `chats('${change.owner.chatId}')`}/members('${change.id}')`,
            '#Microsoft.Graph.aadUserConversationMember',
          ];
  return { resource, resourceData: { id: change.id, '@odata.type': odataType, '@odata.id': resource } };
}

/** The resource JSON encrypted into a rich notification: `$select`ed properties for Outlook, everything for Teams. */
export function richPayload(target: SubscriptionTarget, change: ChangeEvent): JsonObject {
  if (isServiceItemKind(change.kind)) return serviceRichPayload(change.kind, change);
  const body = change.after ?? change.before ?? {};
  const odataType = `#microsoft.graph.${change.kind}`;
  if (target.select === undefined || target.family === 'teams') return { '@odata.type': odataType, ...body };
  const picked: JsonObject = { '@odata.type': odataType, id: change.id };
  for (const name of target.select) {
    const key = Object.keys(body).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) continue;
    picked[key] = body[key];
    // Outlook annotates the types JSON cannot tell, as in Microsoft's example: "receivedDateTime@odata.type":"#DateTimeOffset".
    if (isDateTimeOffset(body[key])) picked[`${key}@odata.type`] = '#DateTimeOffset';
  }
  if (body['@odata.etag'] !== undefined) picked['@odata.etag'] = body['@odata.etag'];
  return picked;
}

const DATE_TIME_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function isDateTimeOffset(value: unknown): boolean {
  return typeof value === 'string' && DATE_TIME_OFFSET.test(value);
}
