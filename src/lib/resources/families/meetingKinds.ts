/**
 * Resource kinds of Teams meetings and Microsoft 365 Copilot: meeting transcripts and recordings, the call
 * events of one online meeting, and Copilot AI interactions. Rules from Microsoft's pages "Get change
 * notifications for meeting transcripts and recordings", "Get change notifications for Microsoft Teams meeting
 * call updates" and "Get change notifications for Copilot AI interactions" (docs/resources.md). All four are
 * `notificationsOnly`: an app-only read of a transcript or recording needs its organiser, which the notification
 * does not name; meeting call events and single Copilot interactions have no read at all. Their rich content
 * (the transcript's or recording's metadata, the call event, the interaction) is what lands in the sink.
 */
import type { ResourceKind } from '../resourceKinds';
import { NO_RESYNC } from './sharedRules';

const ID = '[^/]+';
/** Teams subscriptions live at most 3 days and need a lifecycle URL past 1 hour (subscription resource type). */
const TEAMS_LIFETIME_MINUTES = 4_320;
const TEAMS_LIFECYCLE_ABOVE_MINUTES = 60;

/** What the four kinds share: Teams lifetimes, rich content, nothing to read or resync. */
const NOTIFICATION_IS_STATE = {
  level: 'notificationsOnly',
  maxLifetimeMinutes: TEAMS_LIFETIME_MINUTES,
  richMaxLifetimeMinutes: undefined,
  lifecycleRequiredAboveMinutes: TEAMS_LIFECYCLE_ABOVE_MINUTES,
  supportsRichNotifications: true,
  retrieval: { kind: 'notification' },
  ...NO_RESYNC,
} as const satisfies Partial<ResourceKind>;

/**
 * Graph names a transcript or recording `communications/onlineMeetings('{meeting}')/transcripts('{id}')` whatever
 * the form subscribed to: a tenant-wide, per-user or per-app (`appCatalogs/teamsApps/{id}/installedToOnlineMeetings/
 * getAll…`, beta) subscription's notifications lie under `communications/onlineMeetings`; a per-meeting one's under
 * its own meeting (its path less the last segment, the default).
 */
const meetingsContainer = (resource: string): string | undefined =>
  /\/getall(transcripts|recordings)$/i.test(resource) ? 'communications/onlinemeetings' : undefined;

/** A meeting artefact kind: `transcripts` or `recordings`, available once, `created` only. */
function meetingArtefactKind(name: 'callTranscript' | 'callRecording', collection: string, all: string): ResourceKind {
  return {
    name,
    ...NOTIFICATION_IS_STATE,
    subscriptionPattern: new RegExp(
      `^((communications|users/${ID})/onlinemeetings/${all}|appcatalogs/teamsapps/${ID}/installedtoonlinemeetings/${all}|communications/onlinemeetings/(?!getall)${ID}/${collection})$`,
      'i',
    ),
    itemPattern: new RegExp(`^communications/onlinemeetings/${ID}/${collection}/${ID}$`),
    // A transcript or recording becomes available once; Graph sends `created` only.
    allowedChangeTypes: ['created'],
    notificationContainer: meetingsContainer,
  };
}

/** A meeting named by its join URL, as `normalizeResourcePath` writes it: the URL is one id, its '/' escaped. */
const MEETING_BY_JOIN_URL = /^communications\/onlinemeetings\/https?:%2F%2F[^/]+$/i;

export const MEETING_FAMILY_KINDS: readonly ResourceKind[] = [
  meetingArtefactKind('callTranscript', 'transcripts', 'getalltranscripts'),
  meetingArtefactKind('callRecording', 'recordings', 'getallrecordings'),
  {
    // The call events (call started, call ended, roster updated) of one meeting, named by its join URL:
    // `communications/onlineMeetings/?$filter=JoinWebUrl eq '{url}'` (canonical `communications/onlinemeetings/
    // {url}`, see resourcePath.ts). Notifications name the meeting the same way, so the sink holds its last event.
    name: 'onlineMeeting',
    ...NOTIFICATION_IS_STATE,
    subscriptionPattern: MEETING_BY_JOIN_URL,
    itemPattern: MEETING_BY_JOIN_URL,
    // Microsoft's example subscribes to `updated`, which every call event is; `created` is accepted too.
    allowedChangeTypes: ['created', 'updated'],
    // One meeting's subscription covers that meeting only.
    notificationContainer: (resource) => resource,
  },
  {
    // Copilot interactions of the tenant or of one user (`?$filter=` on top-level properties allowed).
    // Notifications name `copilot/interactionHistory/interactions('{id}')` for either form.
    name: 'aiInteraction',
    ...NOTIFICATION_IS_STATE,
    subscriptionPattern: new RegExp(`^copilot(/users/${ID})?/interactionhistory/getallenterpriseinteractions$`, 'i'),
    itemPattern: new RegExp(`^copilot/interactionhistory/interactions/${ID}$`),
    allowedChangeTypes: ['created', 'updated', 'deleted'],
    notificationContainer: () => 'copilot/interactionhistory',
  },
];
