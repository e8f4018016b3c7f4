/**
 * Microsoft Teams resource kinds: one chat's messages (`chatMessage`), one channel's messages (`channelMessage`),
 * the tenant-wide and per-team/per-user message export forms, chats, teams, channels, members and presence.
 * Rules from Microsoft's "Get change notifications for messages / chats / teams and channels / membership /
 * presence in Microsoft Teams" pages (docs/resources.md): Teams subscriptions live at most 3 days (presence
 * 1 hour), need a lifecycle URL when they expire more than 1 hour ahead, and may carry rich content (all
 * properties, no `$select`). Notifications name each resource by OData key (`chats('19:…@thread.v2')/
 * messages('…')`, `communications/presences('{id}')`), which normalise to the same canonical key as a read.
 */
import type { ResourceKind } from '../resourceKinds';
import { encodeResourceId } from '../resourcePath';
import {
  presenceFilterRule,
  presenceIdentityQuery,
  teamsExportModelIdentity,
  teamsExportModelRule,
} from './queryRules';
import { NO_RESYNC } from './sharedRules';

const ID = '[^/]+';
/** Not a function segment such as `getAllMessages`, which some collections take in place of an id. */
const NOT_FUNCTION = '(?!getall)';
const TEAMS_LIFETIME_MINUTES = 4_320;
const TEAMS_LIFECYCLE_ABOVE_MINUTES = 60;

/** What every Teams kind shares (presence overrides the lifetime and change types). */
const TEAMS_RULES = {
  maxLifetimeMinutes: TEAMS_LIFETIME_MINUTES,
  richMaxLifetimeMinutes: undefined,
  allowedChangeTypes: ['created', 'updated', 'deleted'],
  lifecycleRequiredAboveMinutes: TEAMS_LIFECYCLE_ABOVE_MINUTES,
  supportsRichNotifications: true,
  retrieval: { kind: 'byId' },
  // No delta an app can page for these collections since a point in time; `channelMessage` and `userChatMessages`
  // have one (below).
  ...NO_RESYNC,
} as const satisfies Partial<ResourceKind>;

/** A chat message, as notifications name it: `chats('{chat}')/messages('{id}')`. */
const CHAT_MESSAGE_ITEM = new RegExp(`^chats/${ID}/messages/${ID}$`);
/**
 * A user's chats (`users/{id}/chats`, `users/{id}/chats/getAllMessages`) and the chats a Teams app is installed in
 * (`appCatalogs/teamsApps/{id}/installedToChats[/getAllMessages | /getAllMembers]`) are notified as `chats('{chat}')…`,
 * which names neither the user nor the app: such a subscription's notifications lie under `chats`.
 */
const userChatsUnderChats = (resource: string): string | undefined =>
  resource.startsWith('users/') || resource.startsWith('appcatalogs/') ? 'chats' : undefined;
/**
 * Where notifications put a chat message, `chats/{chat}/messages/{id}`, for a delta item of a user's chats: its chat is
 * the item's `chatId`. Undefined without a usable one, so the item is skipped rather than written under a wrong key.
 */
const chatMessagePath = (chatId: unknown, id: string): string | undefined =>
  typeof chatId === 'string' && chatId !== ''
    ? `chats/${encodeResourceId(chatId)}/messages/${encodeResourceId(id)}`
    : undefined;
/** The chats one Teams app is installed in (`appCatalogs/teamsApps/{id}/installedToChats/…`), Graph's app-catalog form. */
const APP_CHATS = `appcatalogs/teamsapps/${ID}/installedtochats`;
/** A channel message or reply: `teams('{team}')/channels('{channel}')/messages('{id}')[/replies('{id}')]`. */
const CHANNEL_MESSAGE_ITEM = new RegExp(`^teams/${ID}/channels/${ID}/messages/${ID}(/replies/${ID})?$`);

export const TEAMS_FAMILY_KINDS: readonly ResourceKind[] = [
  {
    // The messages of one chat; Graph documents no delta for them. The reply form stays accepted as it was before
    // `channelMessage` split off, though Graph threads replies in channels only.
    name: 'chatMessage',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^chats/${ID}/messages$`),
    itemPattern: new RegExp(`^chats/${ID}/messages/${ID}(/replies/${ID})?$`),
    ...TEAMS_RULES,
  },
  {
    // The messages of one channel, replies included. Microsoft's "chatMessage: delta" page
    // (https://learn.microsoft.com/graph/api/chatmessage-delta) pages the channel's root messages of the last
    // eight months (`teams/{id}/channels/{id}/messages/delta`), a deleted one as a chatMessage whose
    // `deletedDateTime` is set (deltaPage.ts reads it as removed).
    name: 'channelMessage',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^teams/${ID}/channels/${ID}/messages$`),
    itemPattern: CHANNEL_MESSAGE_ITEM,
    ...TEAMS_RULES,
    resyncDeltaPath: (resource) => `/${resource}/delta`,
    resyncCoverage: 'oneStream',
    // A root message, where notifications put it: `teams/{t}/channels/{c}/messages/{id}`.
    resyncItemPath: (resource, id) => `${resource}/${encodeResourceId(id)}`,
    // The delta lists neither replies nor messages older than eight months: it cannot vouch for the collection.
    resyncListsAllOf: () => undefined,
  },
  {
    // The messages of every chat one user is in (export API, metered: ?model=A|B). Microsoft's "chatMessage: delta"
    // page (https://learn.microsoft.com/graph/api/chatmessage-delta) pages them with
    // `users/{id}/chats/getAllMessages/delta` (Chat.Read.All): the last eight months, no replies, a deleted message
    // as a chatMessage whose `deletedDateTime` is set.
    name: 'userChatMessages',
    level: 'mirroredAndResynced',
    subscriptionPattern: new RegExp(`^users/${ID}/chats/getallmessages$`, 'i'),
    itemPattern: CHAT_MESSAGE_ITEM,
    ...TEAMS_RULES,
    queryRule: teamsExportModelRule,
    identityQuery: teamsExportModelIdentity,
    notificationContainer: userChatsUnderChats,
    resyncDeltaPath: (resource) => `/${resource}/delta`,
    resyncCoverage: 'oneStream',
    resyncItemPath: (_resource, id, entity) => chatMessagePath(entity?.chatId, id),
    // Eight months and no replies: the delta cannot vouch for a collection.
    resyncListsAllOf: () => undefined,
  },
  {
    // Every chat message of the tenant, or of the chats a Teams app is installed in (export API, metered: ?model=A|B).
    name: 'allChatMessages',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^(chats|${APP_CHATS})/getallmessages$`, 'i'),
    itemPattern: CHAT_MESSAGE_ITEM,
    ...TEAMS_RULES,
    queryRule: teamsExportModelRule,
    identityQuery: teamsExportModelIdentity,
    notificationContainer: userChatsUnderChats,
  },
  {
    // Every channel message of the tenant, or of one team's channels (export API, metered: ?model=A|B).
    name: 'allChannelMessages',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^teams(/${ID}/channels)?/getallmessages$`, 'i'),
    itemPattern: CHANNEL_MESSAGE_ITEM,
    ...TEAMS_RULES,
    queryRule: teamsExportModelRule,
    identityQuery: teamsExportModelIdentity,
  },
  {
    // Every chat of the tenant, one chat, the chats one user is in, or the chats a Teams app is installed in.
    name: 'chat',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^((users/${ID}/)?chats(/${NOT_FUNCTION}${ID})?|${APP_CHATS})$`, 'i'),
    itemPattern: new RegExp(`^chats/${ID}$`),
    ...TEAMS_RULES,
    notificationContainer: userChatsUnderChats,
  },
  {
    // Every team of the tenant, or one team.
    name: 'team',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^teams(/${NOT_FUNCTION}${ID})?$`, 'i'),
    itemPattern: new RegExp(`^teams/${ID}$`),
    ...TEAMS_RULES,
  },
  {
    // Every channel of the tenant, or the channels of one team.
    name: 'channel',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^teams/(getallchannels|${NOT_FUNCTION}${ID}/channels)$`, 'i'),
    itemPattern: new RegExp(`^teams/${ID}/channels/${ID}$`),
    ...TEAMS_RULES,
  },
  {
    // Members of one team or chat, of every chat or team (export API), of every channel of one team, or of the chats
    // a Teams app is installed in.
    name: 'teamsMember',
    level: 'mirrored',
    subscriptionPattern: new RegExp(
      `^((chats|teams)/${NOT_FUNCTION}${ID}/members|(chats|teams|${APP_CHATS})/getallmembers|teams/${ID}/channels/getallmembers)$`,
      'i',
    ),
    itemPattern: new RegExp(`^(chats/${ID}|teams/${ID}(/channels/${ID})?)/members/${ID}$`),
    ...TEAMS_RULES,
    queryRule: teamsExportModelRule,
    identityQuery: teamsExportModelIdentity,
    notificationContainer: userChatsUnderChats,
  },
  {
    // Presence of up to 650 users (`communications/presences?$filter=id in (…)`) or of one user.
    name: 'presence',
    level: 'mirrored',
    subscriptionPattern: new RegExp(`^communications/presences(/${ID})?$`),
    itemPattern: new RegExp(`^communications/presences/${ID}$`),
    ...TEAMS_RULES,
    // Presence subscriptions live at most one hour, so Graph never requires a lifecycle URL for them.
    maxLifetimeMinutes: 60,
    allowedChangeTypes: ['updated'],
    queryRule: presenceFilterRule,
    identityQuery: presenceIdentityQuery,
  },
];
