import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeResourceId,
  isNavigationName,
  kindOfNotificationResource,
  kindOfStoredSubscription,
  kindOfSubscriptionResource,
  normalizeResourcePath,
  RESOURCE_KINDS,
  resourceTable,
  UNLISTED_KIND,
} from '../../../src/lib/resources';
import { planSubscription, SubscriptionRuleViolated } from '../../../src/lib/subscriptions';
import { subscriptionSettings } from '../../support/subscriptionSettings';

const NOW = new Date('2026-05-01T10:00:00Z');

describe('resource families', () => {
  it.each([
    ['chats/getAllMessages', 'allChatMessages'],
    ['chats/getAllMessages?model=B', 'allChatMessages'],
    ['users/u1/chats/getAllMessages', 'allChatMessages'],
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
    ["communications/presences?$filter=id in ('a','b')", 'presence'],
    ['communications/presences/a', 'presence'],
    ['sites/s1/lists/l1', 'listItem'],
    ['users/u1/todo/lists/l1/tasks', 'todoTask'],
    ['groups/g1/conversations', 'groupConversation'],
    ['groups/g1/events', 'groupEvent'],
    ['groups/g1/calendar/events', 'groupEvent'],
    ['communications/callRecords', 'callRecord'],
    // The existing kinds keep theirs.
    ['chats/19:a/messages', 'chatMessage'],
    ['groups', 'group'],
  ])('knows the subscription resource %s as %s', (resource, kind) => {
    expect(kindOfSubscriptionResource(resource)?.name).toBe(kind);
  });

  it.each([
    ["chats('19:a@thread.v2')/messages('1')", 'chatMessage'],
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
  ])('knows the notification resource %s as %s', (resource, kind) => {
    expect(kindOfNotificationResource(resource)?.name).toBe(kind);
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
        ];
        for (const [forms, key] of cases) for (const form of forms) expect(normalizeResourcePath(form)).toBe(key);
        // Resyncs write what a notification or a read names.
        const list = `sites/${e(a)}/lists/${e(b)}`;
        expect(kindOfSubscriptionResource(list)?.resyncItemPath?.(list, c)).toBe(`${list}/items/${e(c)}`);
        const tasks = `users/${e(a)}/todo/lists/${e(b)}/tasks`;
        expect(kindOfSubscriptionResource(tasks)?.resyncItemPath?.(tasks, c)).toBe(
          normalizeResourcePath(`Users/${e(a)}/todo/lists/${e(b)}/tasks(${quoted(c)})`),
        );
      }),
    );
  });
});

describe('unlisted resources', () => {
  it('refuses a resource the table does not list, naming the families and how to opt in', () => {
    const act = () =>
      planSubscription({ resource: 'solutions/approval/approvalItems', changeType: 'created' }, subscriptionSettings, NOW);

    expect(act).toThrow(SubscriptionRuleViolated);
    expect(act).toThrow(/allChatMessages.*presence.*listItem/);
    expect(act).toThrow(/"unlisted": true.*--unlisted/);
  });

  it('subscribes to it at the notificationsOnly level with a warning, renewed within the shortest lifetime', () => {
    const plan = planSubscription(
      { resource: 'solutions/approval/approvalItems', changeType: 'created', unlisted: true },
      subscriptionSettings,
      NOW,
    );

    expect(plan.kind).toBe(UNLISTED_KIND);
    expect(plan.warnings).toEqual([expect.stringContaining('notificationsOnly')]);
    expect(Date.parse(plan.expirationDateTime) - NOW.getTime()).toBeLessThanOrEqual(60 * 60_000);
    expect(kindOfStoredSubscription('solutions/approval/approvalItems')).toBe(UNLISTED_KIND);
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
