/**
 * Types of the simulated Microsoft 365 world: tenants, app registrations, the resources Graph serves and
 * the change events every mutation produces. Change events are the single source for delta queries,
 * change notifications and the ground-truth state tests compare against.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ChangeType } from '../../src/lib/resources/resourceKinds.js';
import type { ServiceItemKind } from './serviceResources.js';

export type SimResourceKind =
  | 'user'
  | 'group'
  | 'mailFolder'
  | 'message'
  | 'event'
  | 'contact'
  | 'drive'
  | 'driveItem'
  | 'chat'
  | 'chatMessage'
  | 'team'
  | 'channel'
  | 'teamsMember'
  | 'presence'
  | 'listItem'
  | 'todoTask'
  | 'conversation'
  | 'groupEvent'
  | 'callRecord'
  | ServiceItemKind;

/** Graph's change types: the app's own type (src/lib/resources), one home for the fact. */
export type { ChangeType };

export type JsonObject = Record<string, unknown>;

export interface TenantSeed {
  id?: string;
  displayName?: string;
  /** Verified domain used for user principal names; defaults to `<first 8 of id>.onmicrosoft.com`. */
  domain?: string;
  /**
   * Kind of the users' OneDrives: `business` (OneDrive for Business, default; subscriptions on the root only)
   * or `personal` (personal OneDrive; subscriptions on the root or any folder).
   */
  driveType?: 'business' | 'personal';
}

export interface AppRegistration {
  /** Application (client) id; a random GUID when absent. */
  clientId?: string;
  displayName?: string;
  /** Accepted client secrets. */
  clientSecrets?: string[];
  /** PEM X.509 certificates whose keys may sign client assertions. */
  certificates?: string[];
  /** Tenants where the app is consented; all tenants when absent. */
  tenants?: string[];
  /** Application permissions granted (roles claim). All the simulator knows when absent. */
  roles?: string[];
}

export interface StoredResource {
  readonly kind: SimResourceKind;
  readonly id: string;
  /** Canonical Graph path without version: `users/{uid}/messages/{mid}`. */
  readonly path: string;
  /** Collection path the resource lives in: `users/{uid}/messages`. */
  readonly collection: string;
  readonly owner: ResourceOwner;
  body: JsonObject;
  version: number;
  /** Users and groups deleted softly stay restorable, out of lists and GETs. */
  softDeleted: boolean;
}

export interface ResourceOwner {
  userId?: string;
  folderId?: string;
  driveId?: string;
  chatId?: string;
  /** The team a channel, channel message or team member belongs to. */
  teamId?: string;
  /** The collection a SharePoint list item or To Do task lives in (`sites/{id}/lists/{id}/items`, `users/{id}/todo/lists/{id}/tasks`). */
  collectionPath?: string;
}

/** One mutation as the service saw it. `seq` orders the tenant's changes for delta queries. */
export interface ChangeEvent {
  readonly seq: number;
  readonly tenantId: string;
  readonly at: Date;
  readonly kind: SimResourceKind;
  readonly id: string;
  readonly path: string;
  readonly owner: ResourceOwner;
  readonly changeType: ChangeType;
  /** Users and groups: deletion that can be undone (Graph sends `updated`, delta `@removed: changed`). */
  readonly softDelete: boolean;
  /** The resource's own version after this change: 1 on creation, one more on every later change (deletions too). */
  readonly version: number;
  /** State before and after (undefined when absent). */
  readonly before: JsonObject | undefined;
  readonly after: JsonObject | undefined;
  /** Per-change delivery tweaks from the workload generator. */
  readonly hints: ChangeHints;
}

export interface ChangeHints {
  /** Probability that each notification of this change is delivered twice. */
  duplicateRatio?: number;
  /** Upper bound of a random extra delay per notification, which reorders deliveries. */
  reorderWindowMs?: number;
}

export const MICROSOFT_GRAPH_ODATA_TYPES: Record<SimResourceKind, string> = {
  user: 'user',
  group: 'group',
  mailFolder: 'mailFolder',
  message: 'message',
  event: 'event',
  contact: 'contact',
  drive: 'drive',
  driveItem: 'driveItem',
  chat: 'chat',
  chatMessage: 'chatMessage',
  team: 'team',
  channel: 'channel',
  teamsMember: 'aadUserConversationMember',
  presence: 'presence',
  listItem: 'listItem',
  todoTask: 'todoTask',
  conversation: 'conversation',
  groupEvent: 'event',
  callRecord: 'callRecord',
  callTranscript: 'callTranscript',
  callRecording: 'callRecording',
  meetingCallEvent: 'onlineMeeting',
  aiInteraction: 'aiInteraction',
  securityAlert: 'alert',
  printJob: 'printJob',
  printTask: 'printTask',
  scheduleItem: 'shift',
  approvalItem: 'approvalItem',
  teamsAppInstallation: 'teamsAppInstallation',
  virtualEvent: 'virtualEventWebinar',
  virtualEventSession: 'virtualEventSession',
  virtualEventRegistration: 'virtualEventRegistration',
  unknownItem: 'entity',
};

/** Outlook ids are long base64 strings ending in `=`; the simulator's are shorter but share the alphabet and the `=`. */
export function newOutlookId(prefix = 'AAMkAG'): string {
  return `${prefix}${randomBytes(24).toString('base64url')}AAA=`;
}

/** Outlook change keys appear in `W/"..."` etags. */
export function newChangeKey(): string {
  return `CQAAABYAAA${randomBytes(15).toString('base64url')}`;
}

/** OneDrive item ids: 34 upper-case base32-ish characters. */
export function newDriveItemId(): string {
  return `01${randomBytes(16).toString('hex').toUpperCase()}`;
}

export function newGuid(): string {
  return randomUUID();
}

export function isGuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}
