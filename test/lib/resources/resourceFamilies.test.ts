import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeResourceId,
  isNavigationName,
  itemOfCollectionNotification,
  kindOfNotificationResource,
  kindOfStoredSubscription,
  kindOfSubscriptionResource,
  normalizeResourcePath,
  notificationWithinSubscription,
  RESOURCE_KINDS,
  resourceTable,
  UNLISTED_KIND,
} from '../../../src/lib/resources';
import { planSubscription, SubscriptionRuleViolated } from '../../../src/lib/subscriptions';
import { TENANT_ID } from '../../support/notificationFactories';
import { subscriptionSettings } from '../../support/subscriptionSettings';

const NOW = new Date('2026-05-01T10:00:00Z');
/** A Teams meeting's join URL, as the onlineMeeting resource carries it. */
const JOIN_URL =
  'https://teams.microsoft.com/l/meetup-join/19%3ameeting_NWQ0ZmM5%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d';

describe('resource families', () => {
  it.each([
    ['chats/getAllMessages', 'allChatMessages'],
    ['chats/getAllMessages?model=B', 'allChatMessages'],
    ['users/u1/chats/getAllMessages', 'userChatMessages'],
    ["users('adele@contoso.com')/chats/getAllMessages?model=B", 'userChatMessages'],
    ['/Users/u1/Chats/GetAllMessages?model=A', 'userChatMessages'],
    ['appCatalogs/teamsApps/app1/installedToChats/getAllMessages?model=B', 'allChatMessages'],
    ["appCatalogs/teamsApps('app1')/installedToChats/getAllMessages", 'allChatMessages'],
    ['teams/getAllMessages', 'allChannelMessages'],
    ['teams/t1/channels/getAllMessages?model=A', 'allChannelMessages'],
    ['chats', 'chat'],
    ["chats('19:a@thread.v2')", 'chat'],
    ['users/u1/chats', 'chat'],
    ['teams', 'team'],
    ['teams/t1', 'team'],
    ['teams/getAllChannels', 'channel'],
    ['teams/t1/channels', 'channel'],
    ['teams/t1/members', 'teamsMember'],
    ['chats/19:a/members', 'teamsMember'],
    ['chats/getAllMembers', 'teamsMember'],
    ['teams/t1/channels/getAllMembers', 'teamsMember'],
    ['/appCatalogs/teamsApps/app1/installedToChats/getAllMembers', 'teamsMember'],
    ['appCatalogs/teamsApps/app1/installedToChats', 'chat'],
    ["communications/presences?$filter=id in ('a','b')", 'presence'],
    ['communications/presences/a', 'presence'],
    ['sites/s1/lists/l1', 'listItem'],
    ['users/u1/todo/lists/l1/tasks', 'todoTask'],
    ['groups/g1/conversations', 'groupConversation'],
    ['groups/g1/events', 'groupEvent'],
    ['groups/g1/calendar/events', 'groupEvent'],
    ['communications/callRecords', 'callRecord'],
    ['communications/onlineMeetings/getAllTranscripts', 'callTranscript'],
    ['users/u1/onlineMeetings/getAllTranscripts', 'callTranscript'],
    ['communications/onlineMeetings/m1/transcripts', 'callTranscript'],
    ['appCatalogs/teamsApps/app1/installedToOnlineMeetings/getAllTranscripts', 'callTranscript'],
    ['communications/onlineMeetings/getAllRecordings', 'callRecording'],
    ['users/u1/onlineMeetings/getAllRecordings', 'callRecording'],
    ["communications/onlineMeetings('m1')/recordings", 'callRecording'],
    ['appCatalogs/teamsApps/app1/installedToOnlineMeetings/getAllRecordings', 'callRecording'],
    [`/communications/onlineMeetings/?$filter=JoinWebUrl eq '${JOIN_URL}'`, 'onlineMeeting'],
    ['copilot/interactionHistory/getAllEnterpriseInteractions', 'aiInteraction'],
    [
      "/copilot/users/u1/interactionHistory/getAllEnterpriseInteractions?$filter=appClass eq 'IPM.SkypeTeams.Message.Copilot.Teams'",
      'aiInteraction',
    ],
    ["security/alerts?$filter=status eq 'newAlert'", 'securityAlert'],
    ['security/alerts/a1', 'securityAlert'],
    ['print/printers/p1/jobs', 'printJob'],
    ['print/taskDefinitions/d1/tasks', 'printTask'],
    ['teams/t1/schedule/shifts', 'scheduleItem'],
    ['teams/t1/schedule/openShiftChangeRequests', 'scheduleItem'],
    ['teams/t1/schedule/swapShiftsChangeRequests', 'scheduleItem'],
    ['teams/t1/schedule/offerShiftRequests', 'scheduleItem'],
    ['teams/t1/schedule/timeOffRequests', 'scheduleItem'],
    ['solutions/approval/approvalItems', 'approvalItem'],
    ['/Solutions/Approval/ApprovalItems/', 'approvalItem'],
    ['teams/t1/channels/19:c@thread.tacv2/messages', 'channelMessage'],
    ["teams('t1')/channels('19:c@thread.tacv2')/messages", 'channelMessage'],
    ['solutions/virtualEvents/webinars/w1', 'virtualEvent'],
    ['solutions/virtualEvents/townhalls/t1', 'virtualEvent'],
    ['solutions/virtualEvents/webinars/w1/sessions', 'virtualEventSession'],
    ['solutions/virtualevents/townhalls/t1/sessions', 'virtualEventSession'],
    ['solutions/virtualEvents/webinars/w1/registrations', 'virtualEventRegistration'],
    // The existing kinds keep theirs.
    ['chats/19:a/messages', 'chatMessage'],
    ['groups', 'group'],
  ])('knows the subscription resource %s as %s', (resource, kind) => {
    expect(kindOfSubscriptionResource(resource)?.name).toBe(kind);
  });

  it.each([
    ["chats('19:a@thread.v2')/messages('1')", 'chatMessage'],
    ["teams('t1')/channels('19:c@thread.tacv2')/messages('1')", 'channelMessage'],
    ["teams('t1')/channels('19:c@thread.tacv2')/messages('1')/replies('2')", 'channelMessage'],
    ["chats('19:a@thread.v2')", 'chat'],
    ["teams('t1')", 'team'],
    ["teams('t1')/channels('19:c@thread.tacv2')", 'channel'],
    ["teams('t1')/members('m1')", 'teamsMember'],
    ["chats('19:a')/members('m1')", 'teamsMember'],
    ["communications/presences('u1')", 'presence'],
    ["sites('s1')/lists('l1')", 'listItem'],
    ['Users/u1/todo/lists/l1/tasks/t1', 'todoTask'],
    ["groups('g1')/conversations('c1')", 'groupConversation'],
    ['Groups/g1/Events/e1', 'groupEvent'],
    ['communications/callRecords/r1', 'callRecord'],
    ["communications/onlineMeetings('m1')/transcripts('t1')", 'callTranscript'],
    ["communications/onlineMeetings('m1')/recordings('r1')", 'callRecording'],
    [`communications/onlineMeetings?$filter=joinWebUrl+eq+'${JOIN_URL}'`, 'onlineMeeting'],
    ["copilot/interactionHistory/interactions('1731701801008')", 'aiInteraction'],
    ["security/alerts('a1')", 'securityAlert'],
    ["print/printers('p1')/jobs('j1')", 'printJob'],
    ["print/taskDefinitions('d1')/tasks('t1')", 'printTask'],
    ["teams('t1')/schedule/shifts('s1')", 'scheduleItem'],
    ["teams('t1')/schedule/timeOffRequests('r1')", 'scheduleItem'],
    ["solutions/approval/approvalItems('a1')", 'approvalItem'],
    ['solutions/virtualEvents/webinars/w1/', 'virtualEvent'],
    ['solutions/virtualevents/townhalls/t1', 'virtualEvent'],
    ['solutions/virtualEvents/webinars/w1/sessions/s1', 'virtualEventSession'],
    ["solutions/virtualEvents/townhalls('t1')/sessions('s1')", 'virtualEventSession'],
    ['solutions/virtualEvents/webinars/w1/registrations/r1', 'virtualEventRegistration'],
  ])('knows the notification resource %s as %s', (resource, kind) => {
    expect(kindOfNotificationResource(resource)?.name).toBe(kind);
  });

  it('knows no meeting without its join URL, and no Copilot, print, app-catalog or approval path Microsoft does not list', () => {
    for (const resource of [
      'communications/onlineMeetings',
      'communications/onlineMeetings/m1',
      "communications/onlineMeetings/?$filter=subject eq 'x'",
      'copilot/interactionHistory/interactions',
      'print/printers/p1',
      'security',
      'teams/t1/schedule',
      'teams/t1/schedule/schedulingGroups',
      // Of a Teams app, only what it is installed in, and only the forms Microsoft lists.
      'appCatalogs/teamsApps/app1',
      'appCatalogs/teamsApps/app1/installedToChats/messages',
      'appCatalogs/teamsApps/app1/installedToOnlineMeetings/getAllMessages',
      'solutions/approval/approvalItems/a1',
      // Virtual event forms whose notifications name no item of the subscribed collection stay unlisted.
      'solutions/virtualEvents/events',
      "solutions/virtualEvents/events/getEventsFromOrganizers(organizerIds=['id1'])",
      'solutions/virtualEvents/webinars/w1/getAttendanceReports',
      'solutions/virtualEvents/webinars/w1/getVideoOnDemandPublication',
      "solutions/virtualEvents/webinars/getByUserRole(role='organizer')",
      'solutions/virtualEvents/townhalls/t1/registrations',
    ])
      expect(kindOfSubscriptionResource(resource), resource).toBeUndefined();
  });

  it('gives the meeting, Copilot, security and print kinds the rules Microsoft documents', () => {
    const rules = (name: string) => {
      const kind = RESOURCE_KINDS.find((candidate) => candidate.name === name);
      return [
        kind?.level,
        kind?.maxLifetimeMinutes,
        kind?.allowedChangeTypes.join(','),
        kind?.lifecycleRequiredAboveMinutes,
      ];
    };
    expect(rules('callTranscript')).toEqual(['notificationsOnly', 4_320, 'created', 60]);
    expect(rules('callRecording')).toEqual(['notificationsOnly', 4_320, 'created', 60]);
    expect(rules('onlineMeeting')).toEqual(['notificationsOnly', 4_320, 'created,updated', 60]);
    expect(rules('aiInteraction')).toEqual(['notificationsOnly', 4_320, 'created,updated,deleted', 60]);
    expect(rules('securityAlert')).toEqual(['mirrored', 43_200, 'created,updated', undefined]);
    expect(rules('printJob')).toEqual(['mirrored', 4_230, 'updated', undefined]);
    expect(rules('printTask')).toEqual(['mirrored', 4_230, 'created', undefined]);
    expect(rules('scheduleItem')).toEqual(['mirrored', 360, 'created,updated,deleted', 60]);
    // Microsoft documents no read, notification shape nor lifecycle rule for approvals: the conservative reading.
    expect(rules('approvalItem')).toEqual(['notificationsOnly', 43_200, 'created,updated,deleted', 60]);
    expect(RESOURCE_KINDS.find((kind) => kind.name === 'approvalItem')?.supportsRichNotifications).toBe(false);
    // Virtual events: a day at most, basic notifications only, no deletion reported; the lifecycle rule is Teams'.
    expect(rules('virtualEvent')).toEqual(['mirrored', 1_440, 'updated', 60]);
    expect(rules('virtualEventSession')).toEqual(['mirrored', 1_440, 'created,updated', 60]);
    expect(rules('virtualEventRegistration')).toEqual(['mirrored', 1_440, 'created,updated', 60]);
    for (const name of ['virtualEvent', 'virtualEventSession', 'virtualEventRegistration'])
      expect(RESOURCE_KINDS.find((kind) => kind.name === name)?.supportsRichNotifications, name).toBe(false);
  });

  it("covers one webinar's own notifications and items, not another's", () => {
    expect(
      notificationWithinSubscription('solutions/virtualEvents/webinars/w1', 'solutions/virtualEvents/webinars/w1/'),
    ).toBe(true);
    expect(
      notificationWithinSubscription('solutions/virtualEvents/webinars/w1', 'solutions/virtualEvents/webinars/w2/'),
    ).toBe(false);
    expect(
      notificationWithinSubscription(
        'solutions/virtualEvents/webinars/w1/sessions',
        'solutions/virtualEvents/webinars/w1/sessions/s1',
      ),
    ).toBe(true);
    expect(
      notificationWithinSubscription(
        'solutions/virtualEvents/webinars/w1/sessions',
        'solutions/virtualEvents/webinars/w2/sessions/s1',
      ),
    ).toBe(false);
    expect(
      notificationWithinSubscription(
        'solutions/virtualEvents/webinars/w1/sessions',
        'solutions/virtualEvents/webinars/w1/registrations/r1',
      ),
    ).toBe(false);
  });

  it('covers the chats or meetings a Teams app is installed in with the app-catalog forms, as Graph names them', () => {
    const chats = 'appCatalogs/teamsApps/app1/installedToChats';
    const meetings = 'appCatalogs/teamsApps/app1/installedToOnlineMeetings';
    expect(
      notificationWithinSubscription(`${chats}/getAllMessages?model=B`, "chats('19:a@thread.v2')/messages('1')"),
    ).toBe(true);
    expect(notificationWithinSubscription(`${chats}/getAllMembers`, "chats('19:a@thread.v2')/members('m1')")).toBe(
      true,
    );
    expect(notificationWithinSubscription(chats, "chats('19:a@thread.v2')")).toBe(true);
    expect(notificationWithinSubscription(chats, "chats('19:a@thread.v2')/messages('1')")).toBe(false);
    expect(
      notificationWithinSubscription(
        `${meetings}/getAllTranscripts`,
        "communications/onlineMeetings('m1')/transcripts('t1')",
      ),
    ).toBe(true);
    expect(
      notificationWithinSubscription(
        `${meetings}/getAllRecordings`,
        "communications/onlineMeetings('m1')/recordings('r1')",
      ),
    ).toBe(true);
    // Each form covers its own kind's items only: no channel message, no team member, no recording for transcripts.
    expect(notificationWithinSubscription(`${chats}/getAllMessages`, "teams('t1')/channels('c1')/messages('1')")).toBe(
      false,
    );
    expect(notificationWithinSubscription(`${chats}/getAllMembers`, "teams('t1')/members('m1')")).toBe(false);
    expect(
      notificationWithinSubscription(
        `${meetings}/getAllTranscripts`,
        "communications/onlineMeetings('m1')/recordings('r1')",
      ),
    ).toBe(false);
  });

  it("resyncs one channel's messages by its delta, and one chat's messages not at all", () => {
    const channel = 'teams/t1/channels/19:c@thread.tacv2/messages';
    const channelMessage = kindOfSubscriptionResource(channel);
    const chatMessage = kindOfSubscriptionResource('chats/19:a@thread.v2/messages');

    expect([channelMessage?.name, channelMessage?.level, channelMessage?.resyncCoverage]).toEqual([
      'channelMessage',
      'mirroredAndResynced',
      'oneStream',
    ]);
    expect(channelMessage?.resyncDeltaPath?.(channel, {})).toBe(`/${channel}/delta`);
    // The delta lists neither replies nor messages older than eight months: no sweep of the collection.
    expect(channelMessage?.resyncListsAllOf(channel)).toBeUndefined();
    expect([chatMessage?.name, chatMessage?.level, chatMessage?.resyncDeltaPath]).toEqual([
      'chatMessage',
      'mirrored',
      undefined,
    ]);
    // The export forms keep no delta either.
    for (const resource of ['teams/getAllMessages', 'teams/t1/channels/getAllMessages', 'chats/getAllMessages'])
      expect(kindOfSubscriptionResource(resource)?.level, resource).toBe('mirrored');
  });

  it("resyncs one user's chat messages by the per-user chatMessage delta, keying each by its chat", () => {
    const resource = normalizeResourcePath('users/u1/chats/getAllMessages?model=A');
    const kind = kindOfSubscriptionResource(resource);

    expect([kind?.name, kind?.level, kind?.resyncCoverage]).toEqual([
      'userChatMessages',
      'mirroredAndResynced',
      'oneStream',
    ]);
    // The model query chooses the billing, not what the delta lists: the delta path leaves it out.
    expect(kind?.resyncDeltaPath?.(resource, {})).toBe('/users/u1/chats/getAllMessages/delta');
    // Eight months and no replies: no sweep of any collection.
    expect(kind?.resyncListsAllOf(resource)).toBeUndefined();
    expect(kind?.queryRule?.('users/u1/chats/getAllMessages?model=C')).toBeDefined();
    expect(kind?.identityQuery?.('users/u1/chats/getAllMessages?model=A')).toBe('model=A');
    expect(kind?.resyncItemPath?.(resource, '1700000000001', { id: '1700000000001', chatId: '19:a@thread.v2' })).toBe(
      'chats/19:a@thread.v2/messages/1700000000001',
    );
    expect(
      kind?.resyncItemPath?.(resource, '1/2', {
        '@odata.type': '#microsoft.graph.chatMessage',
        id: '1/2',
        chatId: '19:a/b@thread.v2',
        deletedDateTime: '2026-05-01T10:00:00Z',
      }),
    ).toBe(`chats/${encodeResourceId('19:a/b@thread.v2')}/messages/${encodeResourceId('1/2')}`);
  });

  it.each([
    ['no entity', undefined],
    ['no chatId', { id: '1' }],
    ['an empty chatId', { id: '1', chatId: '' }],
    ['a chatId that is no string', { id: '1', chatId: { id: '19:a@thread.v2' } }],
  ])("gives a user's chat message with %s no sink key, so a resync skips it", (_case, entity) => {
    const resource = 'users/u1/chats/getallmessages';

    const path = kindOfSubscriptionResource(resource)?.resyncItemPath?.(resource, '1', entity);

    expect(path).toBeUndefined();
  });

  it("keeps the tenant-wide and app-catalog chat message exports without a resync, and a user's chats' notifications under chats", () => {
    for (const resource of ['chats/getAllMessages', 'appCatalogs/teamsApps/app1/installedToChats/getAllMessages'])
      expect([kindOfSubscriptionResource(resource)?.name, kindOfSubscriptionResource(resource)?.level]).toEqual([
        'allChatMessages',
        'mirrored',
      ]);
    expect(
      notificationWithinSubscription('users/u1/chats/getAllMessages', "chats('19:a@thread.v2')/messages('1')"),
    ).toBe(true);
    expect(
      notificationWithinSubscription('users/u1/chats/getAllMessages', "teams('t1')/channels('c1')/messages('1')"),
    ).toBe(false);
  });

  it('gives every listed kind exactly one level, matching what it can read and catch up', () => {
    for (const kind of RESOURCE_KINDS) {
      if (kind.level === 'mirroredAndResynced') expect(kind.resyncDeltaPath, kind.name).toBeDefined();
      if (kind.level === 'mirrored') expect(kind.resyncDeltaPath, kind.name).toBeUndefined();
      expect(kind.level === 'notificationsOnly', kind.name).toBe(kind.retrieval.kind === 'notification');
    }
    expect(UNLISTED_KIND.level).toBe('notificationsOnly');
  });

  it('prints one table row per kind, the unlisted opt-in last', () => {
    const rows = resourceTable();
    expect(rows.map((row) => row.kind)).toEqual([...RESOURCE_KINDS.map((kind) => kind.name), 'unlisted']);
    expect(rows.find((row) => row.kind === 'presence')).toMatchObject({
      level: 'mirrored',
      maxLifetimeMinutes: 60,
      changeTypes: 'updated',
      permission: 'Presence.Read.All',
    });
  });

  // Ids as Graph writes them bare in a path (Teams ids hold ':' and '@'); escaping and quotes inside ids
  // are resourcePath.test.ts's business.
  const id = fc
    .string({ minLength: 1, maxLength: 12 })
    .filter((value) => encodeResourceId(value) === value && !/['()]/.test(value) && !isNavigationName(value));
  const quoted = (value: string): string => `'${value.replaceAll("'", "''")}'`;

  it('maps every form a family notification uses for one resource to the key its read or resync writes', () => {
    fc.assert(
      fc.property(id, id, id, (a, b, c) => {
        const e = encodeResourceId;
        // Virtual event sessions and registrations: the collection in resource and the item in resourceData.id (bare
        // or as Microsoft's examples write it, the whole path), or the item's own path, meet on the key of the read.
        for (const collection of [
          `solutions/virtualEvents/webinars/${e(a)}/sessions`,
          `solutions/virtualEvents/townhalls/${e(a)}/sessions`,
          `solutions/virtualEvents/webinars/${e(a)}/registrations`,
        ]) {
          const key = `${normalizeResourcePath(collection)}/${e(b)}`;
          const named = normalizeResourcePath(collection, TENANT_ID);
          for (const id of [b, `${collection}/${b}`, `/${collection}/${b}/`])
            expect(itemOfCollectionNotification(named, collection, { id }, TENANT_ID)?.path, id).toBe(key);
          expect(normalizeResourcePath(`${collection}/${b}`)).toBe(key);
          expect(normalizeResourcePath(`${collection}(${quoted(b)})`)).toBe(key);
        }
        const cases: [readonly string[], string][] = [
          [
            [`chats(${quoted(a)})/messages(${quoted(b)})`, `chats/${e(a)}/messages/${e(b)}`],
            `chats/${e(a)}/messages/${e(b)}`,
          ],
          [
            [`communications/presences(${quoted(a)})`, `communications/presences/${e(a)}`],
            `communications/presences/${e(a)}`,
          ],
          [
            [`teams(${quoted(a)})/channels(${quoted(b)})`, `Teams/${e(a)}/Channels/${e(b)}`],
            `teams/${e(a)}/channels/${e(b)}`,
          ],
          [[`groups(${quoted(a)})/conversations(${quoted(b)})`], `groups/${e(a)}/conversations/${e(b)}`],
          [[`Groups/${e(a)}/Events/${e(b)}`], `groups/${e(a)}/events/${e(b)}`],
          [[`communications/callRecords(${quoted(a)})`], `communications/callrecords/${e(a)}`],
          [
            [
              `communications/onlineMeetings(${quoted(a)})/transcripts(${quoted(b)})`,
              `communications/onlineMeetings/${e(a)}/transcripts/${e(b)}`,
            ],
            `communications/onlinemeetings/${e(a)}/transcripts/${e(b)}`,
          ],
          [
            [`communications/onlineMeetings(${quoted(a)})/recordings(${quoted(b)})`],
            `communications/onlinemeetings/${e(a)}/recordings/${e(b)}`,
          ],
          [
            [`copilot/interactionHistory/interactions(${quoted(a)})`],
            `copilot/interactionhistory/interactions/${e(a)}`,
          ],
          // Security alerts and print jobs and tasks are read by id: the key a read of that path writes.
          [[`security/alerts(${quoted(a)})`, `Security/Alerts/${e(a)}`], `security/alerts/${e(a)}`],
          [[`print/printers(${quoted(a)})/jobs(${quoted(b)})`], `print/printers/${e(a)}/jobs/${e(b)}`],
          [
            [`print/taskDefinitions(${quoted(a)})/tasks(${quoted(b)})`, `print/taskdefinitions/${e(a)}/tasks/${e(b)}`],
            `print/taskdefinitions/${e(a)}/tasks/${e(b)}`,
          ],
          [
            [
              `teams(${quoted(a)})/schedule/timeOffRequests(${quoted(b)})`,
              `Teams/${e(a)}/Schedule/TimeOffRequests/${e(b)}`,
            ],
            `teams/${e(a)}/schedule/timeoffrequests/${e(b)}`,
          ],
          // Approval items are never read: both forms Graph may use meet on one key.
          [
            [`solutions/approval/approvalItems(${quoted(a)})`, `Solutions/Approval/ApprovalItems/${e(a)}`],
            `solutions/approval/approvalitems/${e(a)}`,
          ],
          // A chat member notified to an app-catalog subscription: the key its read by id writes.
          [
            [`chats(${quoted(a)})/members(${quoted(b)})`, `Chats/${e(a)}/Members/${e(b)}`],
            `chats/${e(a)}/members/${e(b)}`,
          ],
        ];
        for (const [forms, key] of cases) for (const form of forms) expect(normalizeResourcePath(form)).toBe(key);
        // Resyncs write what a notification or a read names.
        const list = `sites/${e(a)}/lists/${e(b)}`;
        expect(kindOfSubscriptionResource(list)?.resyncItemPath?.(list, c)).toBe(`${list}/items/${e(c)}`);
        const messages = normalizeResourcePath(`teams/${e(a)}/channels/${e(b)}/messages`);
        expect(kindOfSubscriptionResource(messages)?.resyncItemPath?.(messages, c)).toBe(
          normalizeResourcePath(`teams(${quoted(a)})/channels(${quoted(b)})/messages(${quoted(c)})`),
        );
        // A user's chat messages: the delta item's chatId and id give the key the notification about it gives.
        const userChats = normalizeResourcePath(`users/${e(a)}/chats/getAllMessages`);
        expect(kindOfSubscriptionResource(userChats)?.resyncItemPath?.(userChats, c, { id: c, chatId: b })).toBe(
          normalizeResourcePath(`chats(${quoted(b)})/messages(${quoted(c)})`),
        );
        const tasks = `users/${e(a)}/todo/lists/${e(b)}/tasks`;
        expect(kindOfSubscriptionResource(tasks)?.resyncItemPath?.(tasks, c)).toBe(
          normalizeResourcePath(`Users/${e(a)}/todo/lists/${e(b)}/tasks(${quoted(c)})`),
        );
      }),
    );
  });
});

describe('a Teams meeting named by its join URL', () => {
  const meetingToken = fc.stringMatching(/^[A-Za-z0-9_-]{1,24}$/);
  const joinUrl = (meeting: string): string =>
    `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${meeting}%40thread.v2/0?context=%7b%22Tid%22%3a%22t%22%7d`;

  it('has one key however its subscription, its notifications or their content name it, and it is the join URL', () => {
    fc.assert(
      fc.property(meetingToken, (meeting) => {
        const url = joinUrl(meeting);
        const forms = [
          `/communications/onlineMeetings/?$filter=JoinWebUrl eq '${url}'`,
          `communications/onlineMeetings?$filter=joinWebUrl+eq+'${url}'`,
          `communications/onlineMeetings?%24filter=joinWebUrl%20eq%20'${url}'`,
          `communications/onlineMeetings(joinWebUrl='${encodeURIComponent(url)}')/meetingCallEvents`,
        ];
        for (const form of forms)
          expect(normalizeResourcePath(form), form).toBe(`communications/onlinemeetings/${encodeResourceId(url)}`);
      }),
    );
  });

  it("gives two meetings two keys, and a meeting's subscription covers its own notifications only", () => {
    fc.assert(
      fc.property(meetingToken, meetingToken, (one, other) => {
        fc.pre(one !== other);
        const subscription = `communications/onlineMeetings/?$filter=JoinWebUrl eq '${joinUrl(one)}'`;
        const notification = (meeting: string): string =>
          `communications/onlineMeetings?$filter=joinWebUrl+eq+'${joinUrl(meeting)}'`;
        expect(normalizeResourcePath(notification(one))).not.toBe(normalizeResourcePath(notification(other)));
        expect(notificationWithinSubscription(subscription, notification(one))).toBe(true);
        expect(notificationWithinSubscription(subscription, notification(other))).toBe(false);
      }),
    );
  });
});

describe('unlisted resources', () => {
  it('refuses a resource the table does not list, naming the families and how to opt in', () => {
    const act = () =>
      planSubscription(
        { resource: 'solutions/virtualEvents/events', changeType: 'created' },
        subscriptionSettings,
        NOW,
      );

    expect(act).toThrow(SubscriptionRuleViolated);
    expect(act).toThrow(/allChatMessages.*presence.*listItem/);
    expect(act).toThrow(/"unlisted": true.*--unlisted/);
  });

  it('subscribes to it at the notificationsOnly level with a warning, renewed within the shortest lifetime', () => {
    const plan = planSubscription(
      { resource: 'solutions/virtualEvents/events', changeType: 'created', unlisted: true },
      subscriptionSettings,
      NOW,
    );

    expect(plan.kind).toBe(UNLISTED_KIND);
    expect(plan.warnings).toEqual([expect.stringContaining('notificationsOnly')]);
    expect(Date.parse(plan.expirationDateTime) - NOW.getTime()).toBeLessThanOrEqual(60 * 60_000);
    expect(kindOfStoredSubscription('solutions/virtualEvents/events')).toBe(UNLISTED_KIND);
  });

  it('keeps a listed resource at its own level when unlisted is given too, without a warning', () => {
    const plan = planSubscription(
      { resource: 'sites/s1/lists/l1', changeType: 'updated', unlisted: true },
      subscriptionSettings,
      NOW,
    );

    expect(plan.kind.name).toBe('listItem');
    expect(plan.warnings).toEqual([]);
  });
});
