/**
 * One tenant's in-memory Microsoft 365 data: users, groups, mailboxes (folders, messages, events,
 * contacts), drives with items, and Teams chats with messages. Every mutation goes through `apply`,
 * which updates the store and appends a `ChangeEvent` to the tenant's change log; listeners (the
 * notification engine) and delta queries read that log, so state, notifications and delta can never
 * disagree about what happened.
 */
import { randomUUID } from 'node:crypto';
import {
  isServiceItemDeletable,
  isServiceItemKind,
  newServiceItemBody,
  SERVICE_COLLECTION_SHAPES,
  serviceOwner,
  type ServiceItemKind,
} from './serviceResources.js';
import {
  newChangeKey,
  newDriveItemId,
  newGuid,
  newOutlookId,
  type ChangeEvent,
  type ChangeHints,
  type ChangeType,
  type JsonObject,
  type SimResourceKind,
  type ResourceOwner,
  type StoredResource,
} from './model.js';

/** Well-known mail folders every simulated mailbox has (names as Graph accepts them in paths). */
export const WELL_KNOWN_FOLDERS = [
  ['inbox', 'Inbox'],
  ['sentitems', 'Sent Items'],
  ['drafts', 'Drafts'],
  ['deleteditems', 'Deleted Items'],
  ['archive', 'Archive'],
] as const;

/** A mutation as the control API and the workload generator express it. */
export type Mutation =
  | { kind: 'user' | 'group'; op: 'create'; data?: JsonObject }
  | { kind: 'user' | 'group'; op: 'update'; id: string; data: JsonObject }
  | { kind: 'user' | 'group'; op: 'delete'; id: string; permanent?: boolean }
  | { kind: 'user' | 'group'; op: 'restore'; id: string }
  | { kind: 'message'; op: 'create'; userId: string; folder?: string; data?: JsonObject }
  | { kind: 'message'; op: 'move'; userId: string; id: string; folder: string }
  | { kind: 'event' | 'contact'; op: 'create'; userId: string; data?: JsonObject }
  | { kind: 'message'; op: 'update'; userId: string; id: string; data: JsonObject }
  | { kind: 'message'; op: 'delete'; userId: string; id: string }
  | { kind: 'event' | 'contact'; op: 'update'; userId: string; id: string; data: JsonObject }
  | { kind: 'event' | 'contact'; op: 'delete'; userId: string; id: string }
  | { kind: 'driveItem'; op: 'create'; driveId: string; parentId?: string; data?: JsonObject }
  | { kind: 'driveItem'; op: 'update'; driveId: string; id: string; data: JsonObject }
  | { kind: 'driveItem'; op: 'delete'; driveId: string; id: string }
  | { kind: 'chat'; op: 'create'; data?: JsonObject }
  | { kind: 'chat'; op: 'update'; id: string; data: JsonObject }
  | { kind: 'chatMessage'; op: 'create'; chatId: string; data?: JsonObject }
  | { kind: 'chatMessage'; op: 'update'; chatId: string; id: string; data: JsonObject }
  | { kind: 'chatMessage'; op: 'delete'; chatId: string; id: string }
  | { kind: 'team'; op: 'create'; data?: JsonObject }
  | { kind: 'team'; op: 'update'; id: string; data: JsonObject }
  | { kind: 'team'; op: 'delete'; id: string }
  | { kind: 'channel'; op: 'create'; teamId: string; data?: JsonObject }
  | { kind: 'channel'; op: 'update'; teamId: string; id: string; data: JsonObject }
  | { kind: 'channel'; op: 'delete'; teamId: string; id: string }
  | { kind: 'channelMessage'; op: 'create'; teamId: string; channelId: string; data?: JsonObject }
  | { kind: 'channelMessage'; op: 'update'; teamId: string; channelId: string; id: string; data: JsonObject }
  | { kind: 'channelMessage'; op: 'delete'; teamId: string; channelId: string; id: string }
  /** `container`: the team or chat the member belongs to, `teams/{id}` or `chats/{id}`. */
  | { kind: 'teamsMember'; op: 'create'; container: string; userId: string; data?: JsonObject }
  | { kind: 'teamsMember'; op: 'update'; container: string; id: string; data: JsonObject }
  | { kind: 'teamsMember'; op: 'delete'; container: string; id: string }
  | { kind: 'presence'; op: 'update'; userId: string; data: JsonObject }
  /** `collection`: the path of the collection the item lives in (`COLLECTION_SHAPES`). */
  | { kind: CollectionItemKind; op: 'create'; collection: string; data?: JsonObject }
  | { kind: CollectionItemKind; op: 'update'; collection: string; id: string; data: JsonObject }
  | { kind: CollectionItemKind; op: 'delete'; collection: string; id: string };

/** Items of collections that other workloads notify about, each kind with the shape of its collection path. */
export type CollectionItemKind =
  'listItem' | 'todoTask' | 'conversation' | 'groupEvent' | 'callRecord' | ServiceItemKind;
const COLLECTION_SHAPES: Readonly<Record<CollectionItemKind, RegExp>> = {
  ...SERVICE_COLLECTION_SHAPES,
  listItem: /^sites\/[^/]+\/lists\/[^/]+\/items$/,
  todoTask: /^users\/[^/]+\/todo\/lists\/[^/]+\/tasks$/,
  conversation: /^groups\/[^/]+\/conversations$/,
  groupEvent: /^groups\/[^/]+\/events$/,
  callRecord: /^communications\/callRecords$/,
};

export class MutationRejected extends Error {
  readonly status: number;
  constructor(message: string, status = 400) {
    super(message);
    this.name = 'MutationRejected';
    this.status = status;
  }
}

export type ChangeListener = (change: ChangeEvent) => void;

/** The change log of the tenant's chat messages, every chat's. */
export const CHAT_MESSAGES_LOG = 'chatMessages';

/** Delta scope of a change: the feed a `delta` query on that collection reads. */
export function deltaScopeOf(kind: SimResourceKind, owner: ResourceOwner): string | undefined {
  switch (kind) {
    case 'user':
      return 'users';
    case 'group':
      return 'groups';
    case 'message':
      return `messages:${owner.userId ?? ''}:${owner.folderId ?? ''}`;
    case 'event':
      return `events:${owner.userId ?? ''}`;
    case 'contact':
      return `contacts:${owner.userId ?? ''}`;
    case 'driveItem':
      return `drive:${owner.driveId ?? ''}`;
    case 'listItem':
    case 'todoTask':
      return `${kind}:${owner.collectionPath ?? ''}`;
    case 'chatMessage':
      // One channel's root messages (`teams/{id}/channels/{id}/messages`), or the messages of every chat: one log
      // each user's chat messages delta reads, the chats the user is in (`DeltaScope.log`).
      if (owner.chatId !== undefined) return CHAT_MESSAGES_LOG;
      return owner.collectionPath === undefined ? undefined : `channelMessages:${owner.collectionPath}`;
    default:
      return undefined;
  }
}

export class TenantDirectory {
  readonly tenantId: string;
  readonly displayName: string;
  readonly domain: string;
  readonly driveType: 'business' | 'personal';
  readonly #now: () => Date;
  readonly #byPath = new Map<string, StoredResource>();
  readonly #collections = new Map<string, Map<string, StoredResource>>();
  readonly #changes: ChangeEvent[] = [];
  readonly #listeners: ChangeListener[] = [];
  #seq = 0;
  /** Bumped by a delta reset: tokens of older generations answer 410 Gone. */
  deltaGeneration = 0;

  constructor(
    tenantId: string,
    displayName: string,
    domain: string,
    now: () => Date,
    driveType: 'business' | 'personal' = 'business',
  ) {
    this.tenantId = tenantId;
    this.displayName = displayName;
    this.domain = domain;
    this.driveType = driveType;
    this.#now = now;
  }

  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  get lastSeq(): number {
    return this.#seq;
  }

  /** Every change of the tenant, oldest first (the accounting log). */
  changes(): readonly ChangeEvent[] {
    return this.#changes;
  }

  /** Changes with seq greater than `afterSeq` in the given delta scope, oldest first. */
  changesSince(scope: string, afterSeq: number): ChangeEvent[] {
    const result: ChangeEvent[] = [];
    for (let i = this.#changes.length - 1; i >= 0; i--) {
      const change = this.#changes[i];
      if (change === undefined || change.seq <= afterSeq) break;
      if (deltaScopeOf(change.kind, change.owner) === scope) result.push(change);
    }
    return result.reverse();
  }

  get(path: string): StoredResource | undefined {
    const resource = this.#byPath.get(path);
    return resource?.softDeleted === true ? undefined : resource;
  }

  /** Includes soft-deleted users, groups and Teams messages. */
  getIncludingDeleted(path: string): StoredResource | undefined {
    return this.#byPath.get(path);
  }

  list(collection: string): StoredResource[] {
    return [...(this.#collections.get(collection)?.values() ?? [])].filter((r) => !r.softDeleted);
  }

  /** Whether user `userId` is a member of chat `chatId` (an aadUserConversationMember under `chats/{id}/members`). */
  isChatMember(chatId: string, userId: string): boolean {
    return this.list(`chats/${chatId}/members`).some((member) => member.body.userId === userId);
  }

  findUser(idOrUpn: string): StoredResource | undefined {
    const byId = this.get(`users/${idOrUpn}`);
    if (byId !== undefined) return byId;
    const upn = idOrUpn.toLowerCase();
    return this.list('users').find((u) => String(u.body.userPrincipalName).toLowerCase() === upn);
  }

  /** Resolves a folder id or a well-known folder name within a user's mailbox. */
  findFolder(userId: string, idOrName: string): StoredResource | undefined {
    const byId = this.get(`users/${userId}/mailFolders/${idOrName}`);
    if (byId !== undefined) return byId;
    const name = idOrName.toLowerCase();
    return this.list(`users/${userId}/mailFolders`).find((f) => f.body.wellKnownName === name);
  }

  driveOfUser(userId: string): StoredResource | undefined {
    return this.list('drives').find((d) => d.owner.userId === userId);
  }

  rootOfDrive(driveId: string): StoredResource | undefined {
    return this.list(`drives/${driveId}/items`).find((i) => i.body.root !== undefined);
  }

  /** Whether a drive item (as its body says, alive or just deleted) lies below `folderId`, walking parentReference up. */
  isInDriveFolder(driveId: string, body: JsonObject | undefined, folderId: string): boolean {
    let parentId = (body?.parentReference as { id?: unknown } | undefined)?.id;
    for (let depth = 0; typeof parentId === 'string' && depth < 1_000; depth++) {
      if (parentId === folderId) return true;
      parentId = (this.get(`drives/${driveId}/items/${parentId}`)?.body.parentReference as { id?: unknown } | undefined)
        ?.id;
    }
    return false;
  }

  /** Every live resource, for ground-truth comparisons. */
  resources(): StoredResource[] {
    return [...this.#byPath.values()].filter((r) => !r.softDeleted);
  }

  apply(mutation: Mutation, hints: ChangeHints = {}): StoredResource | undefined {
    switch (mutation.kind) {
      case 'user':
      case 'group':
        return this.#applyDirectory(mutation, hints);
      case 'message':
        return this.#applyMessage(mutation, hints);
      case 'event':
      case 'contact':
        return this.#applyMailboxItem(mutation, hints);
      case 'driveItem':
        return this.#applyDriveItem(mutation, hints);
      case 'chat':
        return this.#applyChat(mutation, hints);
      case 'chatMessage':
        return this.#applyChatMessage(mutation, hints);
      case 'team':
        return this.#applyTeam(mutation, hints);
      case 'channel':
        return this.#applyChannel(mutation, hints);
      case 'channelMessage':
        return this.#applyChannelMessage(mutation, hints);
      case 'teamsMember':
        return this.#applyTeamsMember(mutation, hints);
      case 'presence':
        return this.#applyPresence(mutation, hints);
      case 'listItem':
      case 'todoTask':
      case 'conversation':
      case 'groupEvent':
      case 'callRecord':
        return this.#applyCollectionItem(mutation, hints);
      default:
        // Teams meetings, Copilot, security alerts and Universal Print (serviceResources.ts).
        return this.#applyCollectionItem(mutation, hints);
    }
  }

  // ---- directory objects -------------------------------------------------------------------------

  #applyDirectory(
    mutation: Extract<Mutation, { kind: 'user' | 'group' }>,
    hints: ChangeHints,
  ): StoredResource | undefined {
    const collection = mutation.kind === 'user' ? 'users' : 'groups';
    if (mutation.op === 'create') {
      const id = typeof mutation.data?.id === 'string' ? mutation.data.id : newGuid();
      const body =
        mutation.kind === 'user'
          ? this.#newUserBody(id, mutation.data ?? {})
          : this.#newGroupBody(id, mutation.data ?? {});
      const user = this.#create(mutation.kind, collection, {}, id, body, hints);
      if (mutation.kind === 'user') this.#provisionUser(id);
      return user;
    }
    const existing = this.#byPath.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`${mutation.kind} ${mutation.id} does not exist`, 404);
    switch (mutation.op) {
      case 'update':
        return this.#update(this.#requireLive(existing), mutation.data, hints);
      case 'delete':
        if (mutation.permanent === true) return this.#remove(existing, hints, false);
        return this.#remove(this.#requireLive(existing), hints, true);
      case 'restore': {
        if (!existing.softDeleted) throw new MutationRejected(`${mutation.kind} ${mutation.id} is not deleted`);
        existing.softDeleted = false;
        existing.version += 1;
        // A restored object reappears in delta as new and Graph notifies it as `updated` (docs/graph-protocol.md §6.1, §3.4).
        this.#record(existing, 'created', false, undefined, hints);
        return existing;
      }
    }
  }

  #newUserBody(id: string, data: JsonObject): JsonObject {
    const alias = typeof data.mailNickname === 'string' ? data.mailNickname : `user${id.slice(0, 6)}`;
    const upn = `${alias}@${this.domain}`;
    return {
      id,
      displayName: `User ${alias}`,
      givenName: null,
      surname: null,
      jobTitle: null,
      mail: upn,
      userPrincipalName: upn,
      accountEnabled: true,
      ...data,
    };
  }

  #newGroupBody(id: string, data: JsonObject): JsonObject {
    return {
      id,
      displayName: `Group ${id.slice(0, 6)}`,
      description: null,
      mailEnabled: false,
      mailNickname: `group${id.slice(0, 6)}`,
      securityEnabled: true,
      groupTypes: [],
      createdDateTime: this.#now().toISOString(),
      ...data,
    };
  }

  /** A new user gets a mailbox with the well-known folders and a OneDrive with a root folder. */
  #provisionUser(userId: string): void {
    for (const [wellKnownName, displayName] of WELL_KNOWN_FOLDERS) {
      const id = newOutlookId('AAMkAGFolder');
      this.#insert('mailFolder', `users/${userId}/mailFolders`, { userId }, id, {
        id,
        displayName,
        parentFolderId: null,
        wellKnownName,
        childFolderCount: 0,
        totalItemCount: 0,
        unreadItemCount: 0,
      });
    }
    const driveId = `b!${newGuid().replaceAll('-', '')}`;
    this.#insert('drive', 'drives', { userId, driveId }, driveId, {
      id: driveId,
      driveType: this.driveType,
      name: 'OneDrive',
      owner: { user: { id: userId } },
    });
    const rootId = newDriveItemId();
    const now = this.#now().toISOString();
    this.#insert('driveItem', `drives/${driveId}/items`, { driveId, userId }, rootId, {
      id: rootId,
      name: 'root',
      root: {},
      folder: { childCount: 0 },
      createdDateTime: now,
      lastModifiedDateTime: now,
      eTag: `"{${newGuid().toUpperCase()}},1"`,
      cTag: `"c:{${newGuid().toUpperCase()}},1"`,
      size: 0,
      parentReference: { driveId, driveType: this.driveType },
    });
  }

  // ---- Outlook -----------------------------------------------------------------------------------

  #mailbox(userId: string): StoredResource {
    const user = this.get(`users/${userId}`);
    if (user === undefined) throw new MutationRejected(`user ${userId} does not exist`, 404);
    return user;
  }

  #applyMessage(mutation: Extract<Mutation, { kind: 'message' }>, hints: ChangeHints): StoredResource | undefined {
    const user = this.#mailbox(mutation.userId);
    const userId = user.id;
    if (mutation.op === 'create') {
      const folder = this.findFolder(userId, mutation.folder ?? 'inbox');
      if (folder === undefined) throw new MutationRejected(`folder ${mutation.folder ?? 'inbox'} does not exist`, 404);
      const id = newOutlookId();
      const now = this.#now().toISOString();
      const changeKey = newChangeKey();
      return this.#create(
        'message',
        `users/${userId}/messages`,
        { userId, folderId: folder.id },
        id,
        {
          '@odata.etag': `W/"${changeKey}"`,
          id,
          createdDateTime: now,
          lastModifiedDateTime: now,
          changeKey,
          receivedDateTime: now,
          sentDateTime: now,
          subject: 'Simulated message',
          bodyPreview: 'Hello from the Graph simulator',
          importance: 'normal',
          isRead: false,
          isDraft: false,
          parentFolderId: folder.id,
          from: { emailAddress: { name: 'Sender', address: `sender@${this.domain}` } },
          toRecipients: [{ emailAddress: { name: String(user.body.displayName), address: String(user.body.mail) } }],
          body: { contentType: 'text', content: 'Hello from the Graph simulator' },
          ...mutation.data,
        },
        hints,
      );
    }
    const existing = this.get(`users/${userId}/messages/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`message ${mutation.id} does not exist`, 404);
    if (mutation.op === 'update') return this.#update(existing, mutation.data, hints);
    if (mutation.op === 'delete') return this.#remove(existing, hints, false);
    // A move gives the message a new id in the destination folder: Graph reports deleted + created (docs/graph-protocol.md §3.4).
    const destination = this.findFolder(userId, mutation.folder);
    if (destination === undefined) throw new MutationRejected(`folder ${mutation.folder} does not exist`, 404);
    const body = { ...existing.body };
    this.#remove(existing, hints, false);
    const id = newOutlookId();
    const changeKey = newChangeKey();
    return this.#create(
      'message',
      `users/${userId}/messages`,
      { userId, folderId: destination.id },
      id,
      {
        ...body,
        id,
        parentFolderId: destination.id,
        changeKey,
        '@odata.etag': `W/"${changeKey}"`,
        lastModifiedDateTime: this.#now().toISOString(),
      },
      hints,
    );
  }

  #applyMailboxItem(
    mutation: Extract<Mutation, { kind: 'event' | 'contact' }>,
    hints: ChangeHints,
  ): StoredResource | undefined {
    const user = this.#mailbox(mutation.userId);
    const collection = `users/${user.id}/${mutation.kind === 'event' ? 'events' : 'contacts'}`;
    if (mutation.op === 'create') {
      const id = newOutlookId();
      const changeKey = newChangeKey();
      const now = this.#now();
      const common = {
        '@odata.etag': `W/"${changeKey}"`,
        id,
        createdDateTime: now.toISOString(),
        lastModifiedDateTime: now.toISOString(),
        changeKey,
      };
      const body: JsonObject =
        mutation.kind === 'event'
          ? {
              ...common,
              subject: 'Simulated meeting',
              isCancelled: false,
              start: { dateTime: new Date(now.getTime() + 86_400_000).toISOString().slice(0, 19), timeZone: 'UTC' },
              end: { dateTime: new Date(now.getTime() + 90_000_000).toISOString().slice(0, 19), timeZone: 'UTC' },
              location: { displayName: 'Room 1' },
              ...mutation.data,
            }
          : {
              ...common,
              displayName: 'Simulated Contact',
              givenName: 'Simulated',
              surname: 'Contact',
              emailAddresses: [{ name: 'Simulated Contact', address: `contact@${this.domain}` }],
              ...mutation.data,
            };
      return this.#create(mutation.kind, collection, { userId: user.id }, id, body, hints);
    }
    const existing = this.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`${mutation.kind} ${mutation.id} does not exist`, 404);
    return mutation.op === 'update'
      ? this.#update(existing, mutation.data, hints)
      : this.#remove(existing, hints, false);
  }

  // ---- OneDrive ----------------------------------------------------------------------------------

  #applyDriveItem(mutation: Extract<Mutation, { kind: 'driveItem' }>, hints: ChangeHints): StoredResource | undefined {
    const drive = this.get(`drives/${mutation.driveId}`);
    if (drive === undefined) throw new MutationRejected(`drive ${mutation.driveId} does not exist`, 404);
    const collection = `drives/${drive.id}/items`;
    if (mutation.op === 'create') {
      const parent =
        mutation.parentId === undefined ? this.rootOfDrive(drive.id) : this.get(`${collection}/${mutation.parentId}`);
      if (parent === undefined)
        throw new MutationRejected(`parent item ${mutation.parentId ?? 'root'} does not exist`, 404);
      const id = newDriveItemId();
      const now = this.#now().toISOString();
      const isFolder = mutation.data?.folder !== undefined;
      return this.#create(
        'driveItem',
        collection,
        { driveId: drive.id, ...(drive.owner.userId === undefined ? {} : { userId: drive.owner.userId }) },
        id,
        {
          id,
          name: isFolder ? `Folder ${id.slice(-6)}` : `Document ${id.slice(-6)}.docx`,
          createdDateTime: now,
          lastModifiedDateTime: now,
          eTag: `"{${newGuid().toUpperCase()}},1"`,
          cTag: `"c:{${newGuid().toUpperCase()}},1"`,
          size: isFolder ? 0 : 1024,
          parentReference: { driveId: drive.id, driveType: this.driveType, id: parent.id },
          ...(isFolder
            ? {}
            : { file: { mimeType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' } }),
          ...mutation.data,
        },
        hints,
      );
    }
    const existing = this.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`drive item ${mutation.id} does not exist`, 404);
    if (existing.body.root !== undefined && mutation.op === 'delete')
      throw new MutationRejected('the drive root cannot be deleted');
    if (mutation.op === 'update') {
      const etag = String(existing.body.eTag);
      const version = existing.version + 1;
      return this.#update(
        existing,
        {
          ...mutation.data,
          eTag: etag.replace(/,\d+"$/, `,${version}"`),
          cTag: `"c:{${newGuid().toUpperCase()}},${version}"`,
        },
        hints,
      );
    }
    return this.#remove(existing, hints, false);
  }

  // ---- Teams -------------------------------------------------------------------------------------

  #applyChat(mutation: Extract<Mutation, { kind: 'chat' }>, hints: ChangeHints): StoredResource | undefined {
    if (mutation.op === 'create') {
      const id = `19:${randomUUID().replaceAll('-', '')}@thread.v2`;
      const now = this.#now().toISOString();
      return this.#create(
        'chat',
        'chats',
        { chatId: id },
        id,
        { id, topic: null, chatType: 'group', createdDateTime: now, lastUpdatedDateTime: now, ...mutation.data },
        hints,
      );
    }
    const existing = this.get(`chats/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`chat ${mutation.id} does not exist`, 404);
    return this.#update(existing, { ...mutation.data, lastUpdatedDateTime: this.#now().toISOString() }, hints);
  }

  #applyChatMessage(
    mutation: Extract<Mutation, { kind: 'chatMessage' }>,
    hints: ChangeHints,
  ): StoredResource | undefined {
    const chat = this.get(`chats/${mutation.chatId}`);
    if (chat === undefined) throw new MutationRejected(`chat ${mutation.chatId} does not exist`, 404);
    const collection = `chats/${chat.id}/messages`;
    if (mutation.op === 'create') {
      const now = this.#now();
      const id = String(now.getTime() + this.#seq);
      return this.#create(
        'chatMessage',
        collection,
        { chatId: chat.id },
        id,
        {
          id,
          etag: id,
          messageType: 'message',
          chatId: chat.id,
          createdDateTime: now.toISOString(),
          lastModifiedDateTime: now.toISOString(),
          deletedDateTime: null,
          from: { user: { id: newGuid(), displayName: 'Simulated Member' } },
          body: { contentType: 'text', content: 'Hello from the Graph simulator' },
          ...mutation.data,
        },
        hints,
      );
    }
    const existing = this.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`chat message ${mutation.id} does not exist`, 404);
    if (mutation.op === 'update')
      return this.#update(existing, { ...mutation.data, etag: String(this.#now().getTime()) }, hints);
    return this.#softDeleteMessage(existing, hints);
  }

  /** A team (`teams/{id}`): its id is a GUID, as the id of the Microsoft 365 group behind it. */
  #applyTeam(mutation: Extract<Mutation, { kind: 'team' }>, hints: ChangeHints): StoredResource {
    if (mutation.op === 'create') {
      const id = newGuid();
      const body: JsonObject = {
        id,
        displayName: `Team ${id.slice(0, 6)}`,
        description: null,
        createdDateTime: this.#now().toISOString(),
        isArchived: false,
        visibility: 'public',
        tenantId: this.tenantId,
        webUrl: `https://teams.microsoft.com/l/team/19%3a${id.replaceAll('-', '')}%40thread.tacv2/conversations?groupId=${id}&tenantId=${this.tenantId}`,
        ...mutation.data,
      };
      return this.#create('team', 'teams', { teamId: id }, id, body, hints);
    }
    const existing = this.#requireTeam(mutation.id);
    return mutation.op === 'update'
      ? this.#update(existing, mutation.data, hints)
      : this.#remove(existing, hints, false);
  }

  #requireTeam(teamId: string): StoredResource {
    const team = this.get(`teams/${teamId}`);
    if (team === undefined) throw new MutationRejected(`team ${teamId} does not exist`, 404);
    return team;
  }

  /** A channel of a team (`teams/{id}/channels/{id}`), ids `19:{hex}@thread.tacv2` as Graph gives them. */
  #applyChannel(mutation: Extract<Mutation, { kind: 'channel' }>, hints: ChangeHints): StoredResource {
    const team = this.#requireTeam(mutation.teamId);
    const collection = `teams/${team.id}/channels`;
    if (mutation.op === 'create') {
      const id = `19:${randomUUID().replaceAll('-', '')}@thread.tacv2`;
      const body: JsonObject = {
        id,
        displayName: `Channel ${id.slice(3, 9)}`,
        description: null,
        createdDateTime: this.#now().toISOString(),
        membershipType: 'standard',
        email: '',
        ...mutation.data,
      };
      return this.#create('channel', collection, { teamId: team.id, collectionPath: collection }, id, body, hints);
    }
    const existing = this.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`channel ${mutation.id} does not exist`, 404);
    return mutation.op === 'update'
      ? this.#update(existing, mutation.data, hints)
      : this.#remove(existing, hints, false);
  }

  /** A message of a channel (`teams/{id}/channels/{id}/messages/{id}`), stored as a chat message with its team. */
  #applyChannelMessage(mutation: Extract<Mutation, { kind: 'channelMessage' }>, hints: ChangeHints): StoredResource {
    const team = this.#requireTeam(mutation.teamId);
    const channel = this.get(`teams/${team.id}/channels/${mutation.channelId}`);
    if (channel === undefined) throw new MutationRejected(`channel ${mutation.channelId} does not exist`, 404);
    const collection = `teams/${team.id}/channels/${channel.id}/messages`;
    const owner = { teamId: team.id, collectionPath: collection };
    if (mutation.op === 'create') {
      const now = this.#now();
      const id = String(now.getTime() + this.#seq);
      const body: JsonObject = {
        id,
        etag: id,
        messageType: 'message',
        replyToId: null,
        createdDateTime: now.toISOString(),
        lastModifiedDateTime: now.toISOString(),
        deletedDateTime: null,
        channelIdentity: { teamId: team.id, channelId: channel.id },
        from: { user: { id: newGuid(), displayName: 'Simulated Member' } },
        body: { contentType: 'text', content: 'Hello from the Graph simulator' },
        ...mutation.data,
      };
      return this.#create('chatMessage', collection, owner, id, body, hints);
    }
    const existing = this.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`channel message ${mutation.id} does not exist`, 404);
    if (mutation.op === 'update')
      return this.#update(existing, { ...mutation.data, etag: String(this.#now().getTime()) }, hints);
    return this.#softDeleteMessage(existing, hints);
  }

  /**
   * A member of a team or chat (`teams/{id}/members/{id}`, `chats/{id}/members/{id}`), an
   * aadUserConversationMember whose id is, as Graph's, the base64 of `0#{team or chat id}#{user id}`.
   */
  #applyTeamsMember(mutation: Extract<Mutation, { kind: 'teamsMember' }>, hints: ChangeHints): StoredResource {
    const [nav, containerId = ''] = mutation.container.split('/');
    const container = nav === 'teams' || nav === 'chats' ? this.get(`${nav}/${containerId}`) : undefined;
    if (container === undefined) throw new MutationRejected(`${mutation.container} is not a team or chat`, 404);
    const collection = `${mutation.container}/members`;
    const owner: ResourceOwner =
      nav === 'teams'
        ? { teamId: container.id, collectionPath: collection }
        : { chatId: container.id, collectionPath: collection };
    if (mutation.op === 'create') {
      const user = this.#mailbox(mutation.userId);
      const id = Buffer.from(`0#${container.id}#${user.id}`, 'utf8').toString('base64');
      const body: JsonObject = {
        '@odata.type': '#microsoft.graph.aadUserConversationMember',
        id,
        roles: [],
        displayName: user.body.displayName ?? null,
        visibleHistoryStartDateTime: '0001-01-01T00:00:00Z',
        userId: user.id,
        email: user.body.mail ?? null,
        tenantId: this.tenantId,
        ...mutation.data,
      };
      return this.#create('teamsMember', collection, owner, id, body, hints);
    }
    const existing = this.get(`${collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`member ${mutation.id} does not exist`, 404);
    return mutation.op === 'update'
      ? this.#update(existing, mutation.data, hints)
      : this.#remove(existing, hints, false);
  }

  /**
   * A user's Teams presence (`communications/presences/{id}`): every user has one, `Offline` until it first
   * changes; it is never created or deleted, so Graph notifies only `updated` ("Get change notifications for
   * presence").
   */
  #applyPresence(mutation: Extract<Mutation, { kind: 'presence' }>, hints: ChangeHints): StoredResource {
    const user = this.#mailbox(mutation.userId);
    const collection = 'communications/presences';
    const existing =
      this.get(`${collection}/${user.id}`) ??
      this.#insert('presence', collection, { userId: user.id }, user.id, {
        id: user.id,
        availability: 'Offline',
        activity: 'Offline',
        statusMessage: null,
      });
    return this.#update(existing, mutation.data, hints);
  }

  /**
   * A SharePoint list item or a To Do task. The list (or task list) itself is implicit: any collection path of
   * the right shape holds items, created by their first mutation.
   */
  #applyCollectionItem(
    mutation: Extract<Mutation, { kind: CollectionItemKind }>,
    hints: ChangeHints,
  ): StoredResource | undefined {
    if (!COLLECTION_SHAPES[mutation.kind].test(mutation.collection))
      throw new MutationRejected(`${mutation.collection} is not a collection of ${mutation.kind}s`);
    const group = /^groups\/([^/]+)\//.exec(mutation.collection)?.[1];
    if (group !== undefined && this.get(`groups/${group}`) === undefined)
      throw new MutationRejected(`group ${group} does not exist`, 404);
    if (mutation.op === 'create') {
      const id = mutation.kind === 'listItem' ? String(this.#seq + 1) : newOutlookId(`AAMkAG${mutation.kind}`);
      const body = { ...this.#newCollectionItemBody(mutation.kind, id, mutation.collection), ...mutation.data };
      const owner = isServiceItemKind(mutation.kind)
        ? serviceOwner(mutation.kind, mutation.collection, body)
        : { collectionPath: mutation.collection };
      return this.#create(mutation.kind, mutation.collection, owner, id, body, hints);
    }
    const existing = this.get(`${mutation.collection}/${mutation.id}`);
    if (existing === undefined) throw new MutationRejected(`${mutation.kind} ${mutation.id} does not exist`, 404);
    if (mutation.op === 'update') return this.#update(existing, mutation.data, hints);
    // A call record is written once the call ends and never deleted ("callRecord resource type").
    if (mutation.kind === 'callRecord') throw new MutationRejected('call records cannot be deleted');
    if (isServiceItemKind(mutation.kind) && !isServiceItemDeletable(mutation.kind))
      throw new MutationRejected(`Graph reports no deletion of a ${mutation.kind}`);
    return this.#remove(existing, hints, false);
  }

  #newCollectionItemBody(kind: CollectionItemKind, id: string, collection: string): JsonObject {
    const now = this.#now().toISOString();
    if (isServiceItemKind(kind)) return newServiceItemBody(kind, id, collection, now);
    const changeKey = newChangeKey();
    switch (kind) {
      case 'listItem':
        return {
          id,
          eTag: `"${newGuid()},1"`,
          createdDateTime: now,
          lastModifiedDateTime: now,
          fields: { Title: `Item ${id}` },
        };
      case 'todoTask':
        return {
          '@odata.etag': `W/"${changeKey}"`,
          id,
          title: 'Simulated task',
          status: 'notStarted',
          importance: 'normal',
          createdDateTime: now,
          lastModifiedDateTime: now,
        };
      case 'conversation':
        return {
          id,
          topic: 'Simulated conversation',
          hasAttachments: false,
          lastDeliveredDateTime: now,
          preview: 'Hello',
        };
      case 'groupEvent':
        return {
          '@odata.etag': `W/"${changeKey}"`,
          id,
          subject: 'Simulated group meeting',
          createdDateTime: now,
          lastModifiedDateTime: now,
          changeKey,
        };
      case 'callRecord':
        return {
          id,
          version: 1,
          type: 'groupCall',
          modalities: ['audio'],
          startDateTime: now,
          endDateTime: now,
          lastModifiedDateTime: now,
        };
    }
  }

  // ---- store primitives --------------------------------------------------------------------------

  #requireLive(resource: StoredResource): StoredResource {
    if (resource.softDeleted) throw new MutationRejected(`${resource.kind} ${resource.id} is deleted`, 404);
    return resource;
  }

  /** Stores a resource without recording a change (provisioning that Graph does not notify). */
  #insert(
    kind: SimResourceKind,
    collection: string,
    owner: ResourceOwner,
    id: string,
    body: JsonObject,
  ): StoredResource {
    const resource: StoredResource = {
      kind,
      id,
      path: `${collection}/${id}`,
      collection,
      owner,
      body,
      version: 1,
      softDeleted: false,
    };
    this.#byPath.set(resource.path, resource);
    let members = this.#collections.get(collection);
    if (members === undefined) {
      members = new Map();
      this.#collections.set(collection, members);
    }
    members.set(id, resource);
    return resource;
  }

  #create(
    kind: SimResourceKind,
    collection: string,
    owner: ResourceOwner,
    id: string,
    body: JsonObject,
    hints: ChangeHints,
  ): StoredResource {
    if (this.#byPath.has(`${collection}/${id}`)) throw new MutationRejected(`${kind} ${id} already exists`, 409);
    const resource = this.#insert(kind, collection, owner, id, body);
    this.#record(resource, 'created', false, undefined, hints);
    return resource;
  }

  #update(resource: StoredResource, patch: JsonObject, hints: ChangeHints): StoredResource {
    const before = structuredClone(resource.body);
    const now = this.#now().toISOString();
    const next: JsonObject = { ...resource.body, ...patch, id: resource.id };
    if ('changeKey' in resource.body) {
      const changeKey = newChangeKey();
      next.changeKey = changeKey;
      next['@odata.etag'] = `W/"${changeKey}"`;
    }
    if ('lastModifiedDateTime' in resource.body) next.lastModifiedDateTime = now;
    resource.body = next;
    resource.version += 1;
    this.#record(resource, 'updated', false, before, hints);
    return resource;
  }

  /**
   * Teams deletes a chat or channel message softly: it stays readable by id, its `deletedDateTime` set (the property on
   * Microsoft's "chatMessage resource type" page), and Graph notifies `deleted`; lists and delta's first round leave it out.
   */
  #softDeleteMessage(resource: StoredResource, hints: ChangeHints): StoredResource {
    this.#remove(resource, hints, true);
    const now = this.#now().toISOString();
    resource.body = { ...resource.body, deletedDateTime: now, lastModifiedDateTime: now };
    return resource;
  }

  #remove(resource: StoredResource, hints: ChangeHints, soft: boolean): StoredResource {
    const before = structuredClone(resource.body);
    resource.version += 1;
    if (soft) {
      resource.softDeleted = true;
      this.#record(resource, 'deleted', true, before, hints);
      return resource;
    }
    this.#byPath.delete(resource.path);
    this.#collections.get(resource.collection)?.delete(resource.id);
    // Deleting a drive folder removes what it holds; only the folder itself is notified (the drive root is what subscribers watch).
    this.#record(resource, 'deleted', false, before, hints);
    return resource;
  }

  #record(
    resource: StoredResource,
    changeType: ChangeType,
    softDelete: boolean,
    before: JsonObject | undefined,
    hints: ChangeHints,
  ): void {
    const gone = changeType === 'deleted';
    const change: ChangeEvent = {
      seq: ++this.#seq,
      tenantId: this.tenantId,
      at: this.#now(),
      kind: resource.kind,
      id: resource.id,
      path: resource.path,
      owner: { ...resource.owner },
      changeType,
      softDelete,
      version: resource.version,
      before,
      after: gone ? undefined : structuredClone(resource.body),
      hints,
    };
    this.#changes.push(change);
    for (const listener of this.#listeners) listener(change);
  }
}
