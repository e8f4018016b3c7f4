/**
 * What an operator needs to know about each resource kind besides the rules the code enforces: the family it
 * belongs to, the subscription path forms, the application permission the app needs to subscribe and read,
 * and Microsoft's page. `graph-notify resources` prints it with the rules; docs/resources.md holds the same table.
 */
import type { ResourceKindName } from '../resourceKinds';

export interface ResourceKindFacts {
  readonly family: string;
  /** Subscription path forms, query forms included. */
  readonly forms: readonly string[];
  /** Least-privileged application permission(s) to subscribe and read. */
  readonly permission: string;
  /** Microsoft's page for the family's change notifications. */
  readonly page: string;
}

const TEAMS_PAGE = 'https://learn.microsoft.com/graph/teams-changenotifications-chatmessage';
const MEETING_ARTEFACTS_PAGE =
  'https://learn.microsoft.com/graph/teams-changenotifications-callrecording-and-calltranscript';
const PRINT_PAGE = 'https://learn.microsoft.com/graph/universal-print-webhook-notifications';
const VIRTUAL_EVENT_PAGE = 'https://learn.microsoft.com/graph/changenotifications-for-virtualevent';

export const RESOURCE_KIND_FACTS: Readonly<Record<ResourceKindName, ResourceKindFacts>> = {
  user: {
    family: 'Entra ID users',
    forms: ['users'],
    permission: 'User.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/webhooks',
  },
  group: {
    family: 'Entra ID groups',
    forms: ['groups'],
    permission: 'Group.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/webhooks',
  },
  message: {
    family: 'Outlook mail',
    forms: ['users/{id}/messages', 'users/{id}/mailFolders/{id}/messages'],
    permission: 'Mail.Read',
    page: 'https://learn.microsoft.com/graph/outlook-change-notifications-overview',
  },
  event: {
    family: 'Outlook calendar',
    forms: ['users/{id}/events', 'users/{id}/calendars/{id}/events'],
    permission: 'Calendars.Read',
    page: 'https://learn.microsoft.com/graph/outlook-change-notifications-overview',
  },
  contact: {
    family: 'Outlook contacts',
    forms: ['users/{id}/contacts', 'users/{id}/contactFolders/{id}/contacts'],
    permission: 'Contacts.Read',
    page: 'https://learn.microsoft.com/graph/outlook-change-notifications-overview',
  },
  driveRoot: {
    family: 'OneDrive and SharePoint files',
    forms: ['drives/{id}/root', 'users/{id}/drive/root', 'sites/{id}/drive/root'],
    permission: 'Files.Read.All',
    page: 'https://learn.microsoft.com/onedrive/developer/rest-api/concepts/using-webhooks',
  },
  chatMessage: {
    family: 'Teams messages of one chat',
    forms: ['chats/{id}/messages'],
    permission: 'Chat.Read.All',
    page: TEAMS_PAGE,
  },
  channelMessage: {
    family: 'Teams messages of one channel',
    forms: ['teams/{id}/channels/{id}/messages'],
    permission: 'ChannelMessage.Read.All',
    page: TEAMS_PAGE,
  },
  userChatMessages: {
    family: 'Teams messages of every chat one user is in',
    forms: ['users/{id}/chats/getAllMessages[?model=A|B]'],
    permission: 'Chat.Read.All',
    page: TEAMS_PAGE,
  },
  allChatMessages: {
    family: 'Teams chat messages, tenant-wide or where a Teams app is installed',
    forms: ['chats/getAllMessages[?model=A|B]', 'appCatalogs/teamsApps/{id}/installedToChats/getAllMessages[?model=B]'],
    permission: 'Chat.Read.All / Chat.Read.WhereInstalled',
    page: TEAMS_PAGE,
  },
  allChannelMessages: {
    family: 'Teams channel messages, tenant-wide or per team',
    forms: ['teams/getAllMessages[?model=A|B]', 'teams/{id}/channels/getAllMessages[?model=A|B]'],
    permission: 'ChannelMessage.Read.All',
    page: TEAMS_PAGE,
  },
  chat: {
    family: 'Teams chats, tenant-wide, one, per user or where a Teams app is installed',
    forms: ['chats', 'chats/{id}', 'users/{id}/chats', 'appCatalogs/teamsApps/{id}/installedToChats'],
    permission: 'Chat.ReadBasic.All / Chat.ReadBasic.WhereInstalled',
    page: 'https://learn.microsoft.com/graph/teams-changenotifications-chat',
  },
  team: {
    family: 'Teams teams',
    forms: ['teams', 'teams/{id}'],
    permission: 'Team.ReadBasic.All',
    page: 'https://learn.microsoft.com/graph/teams-changenotifications-team-and-channel',
  },
  channel: {
    family: 'Teams channels',
    forms: ['teams/getAllChannels', 'teams/{id}/channels'],
    permission: 'Channel.ReadBasic.All',
    page: 'https://learn.microsoft.com/graph/teams-changenotifications-team-and-channel',
  },
  teamsMember: {
    family: 'Teams members',
    forms: [
      'teams/{id}/members',
      'chats/{id}/members',
      'chats/getAllMembers',
      'teams/getAllMembers',
      'teams/{id}/channels/getAllMembers',
      'appCatalogs/teamsApps/{id}/installedToChats/getAllMembers',
    ],
    permission: 'TeamMember.Read.All / ChatMember.Read.All / ChannelMember.Read.All / ChatMember.Read.WhereInstalled',
    page: 'https://learn.microsoft.com/graph/teams-changenotifications-teammembership',
  },
  presence: {
    family: 'Teams presence',
    forms: ["communications/presences?$filter=id in ('{id}',…) (1-650 users)", 'communications/presences/{id}'],
    permission: 'Presence.Read.All',
    page: 'https://learn.microsoft.com/graph/changenotifications-for-presence',
  },
  listItem: {
    family: 'SharePoint lists',
    forms: ['sites/{id}/lists/{id}'],
    permission: 'Sites.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/list',
  },
  todoTask: {
    family: 'To Do tasks',
    forms: ['users/{id}/todo/lists/{id}/tasks'],
    permission: 'Tasks.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/todotask',
  },
  groupConversation: {
    family: 'Group conversations',
    forms: ['groups/{id}/conversations'],
    permission: 'Group.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/conversation',
  },
  groupEvent: {
    family: 'Group calendars',
    forms: ['groups/{id}/events', 'groups/{id}/calendar/events'],
    permission: 'Group.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/event',
  },
  callRecord: {
    family: 'Teams call records',
    forms: ['communications/callRecords'],
    permission: 'CallRecords.Read.All',
    page: 'https://learn.microsoft.com/graph/api/resources/callrecords-callrecord',
  },
  callTranscript: {
    family: 'Teams meeting transcripts',
    forms: [
      'communications/onlineMeetings/getAllTranscripts',
      'users/{id}/onlineMeetings/getAllTranscripts',
      'communications/onlineMeetings/{id}/transcripts',
      'appCatalogs/teamsApps/{id}/installedToOnlineMeetings/getAllTranscripts (beta)',
    ],
    permission: 'OnlineMeetingTranscript.Read.All',
    page: MEETING_ARTEFACTS_PAGE,
  },
  callRecording: {
    family: 'Teams meeting recordings',
    forms: [
      'communications/onlineMeetings/getAllRecordings',
      'users/{id}/onlineMeetings/getAllRecordings',
      'communications/onlineMeetings/{id}/recordings',
      'appCatalogs/teamsApps/{id}/installedToOnlineMeetings/getAllRecordings (beta)',
    ],
    permission: 'OnlineMeetingRecording.Read.All',
    page: MEETING_ARTEFACTS_PAGE,
  },
  onlineMeeting: {
    family: 'Teams meeting call events',
    forms: ["communications/onlineMeetings/?$filter=JoinWebUrl eq '{joinWebUrl}'"],
    permission: 'OnlineMeetings.Read.All',
    page: 'https://learn.microsoft.com/graph/changenotifications-for-onlinemeeting',
  },
  aiInteraction: {
    family: 'Copilot AI interactions',
    forms: [
      'copilot/interactionHistory/getAllEnterpriseInteractions[?$filter=…]',
      'copilot/users/{id}/interactionHistory/getAllEnterpriseInteractions[?$filter=…]',
    ],
    permission: 'AiEnterpriseInteraction.Read.All',
    page: 'https://learn.microsoft.com/graph/aiinteraction-changenotifications-overview',
  },
  securityAlert: {
    family: 'Security alerts',
    forms: ["security/alerts?$filter={e.g. status eq 'newAlert'}", 'security/alerts/{id}'],
    permission: 'SecurityEvents.ReadWrite.All',
    page: 'https://learn.microsoft.com/graph/api/resources/alert',
  },
  printJob: {
    family: 'Universal Print jobs (JobFetchable)',
    forms: ['print/printers/{id}/jobs (notificationQueryOptions $filter=isFetchable eq true)'],
    permission: 'Printer.Read.All + PrintJob.Read.All',
    page: PRINT_PAGE,
  },
  printTask: {
    family: 'Universal Print tasks (JobStarted)',
    forms: ['print/taskDefinitions/{id}/tasks'],
    permission: 'PrintTaskDefinition.ReadWrite.All',
    page: PRINT_PAGE,
  },
  scheduleItem: {
    family: 'Teams Shifts',
    forms: [
      'teams/{id}/schedule/shifts',
      'teams/{id}/schedule/openShiftChangeRequests',
      'teams/{id}/schedule/swapShiftsChangeRequests',
      'teams/{id}/schedule/offerShiftRequests',
      'teams/{id}/schedule/timeOffRequests',
    ],
    permission: 'Schedule.Read.All',
    page: 'https://learn.microsoft.com/graph/api/subscription-post-subscriptions',
  },
  approvalItem: {
    family: 'Teams approvals',
    forms: ['solutions/approval/approvalItems'],
    permission: 'ApprovalSolution.ReadWrite.All',
    page: 'https://learn.microsoft.com/graph/api/resources/subscription',
  },
  virtualEvent: {
    family: 'Teams virtual events (webinars, town halls)',
    forms: ['solutions/virtualEvents/webinars/{id}', 'solutions/virtualEvents/townhalls/{id}'],
    permission: 'VirtualEvent.Read.All',
    page: VIRTUAL_EVENT_PAGE,
  },
  virtualEventSession: {
    family: 'Teams virtual event sessions',
    forms: ['solutions/virtualEvents/webinars/{id}/sessions', 'solutions/virtualEvents/townhalls/{id}/sessions'],
    permission: 'VirtualEvent.Read.All',
    page: VIRTUAL_EVENT_PAGE,
  },
  virtualEventRegistration: {
    family: 'Teams webinar registrations',
    forms: ['solutions/virtualEvents/webinars/{id}/registrations'],
    permission: 'VirtualEvent.Read.All',
    page: VIRTUAL_EVENT_PAGE,
  },
  unlisted: {
    family: 'Any other resource (opt in with unlisted)',
    forms: ['any path Graph accepts'],
    permission: "the resource's own",
    page: 'https://learn.microsoft.com/graph/api/resources/subscription',
  },
};
