import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { notificationWithinSubscription } from '../../../src/lib/resources';

const A = '622eaaff-0683-4862-9de4-f2ec83c2bd98';
const B = '9c4a3f1e-5b2d-4e6f-8a7b-0c1d2e3f4a5b';

describe('notificationWithinSubscription', () => {
  it.each([
    ['a mailbox covers its messages', `users/${A}/messages`, `Users/${A}/Messages/AAMk1=`, true],
    ['in any folder of it', `users/${A}/messages`, `users/${A}/mailFolders('inbox')/messages('AAMk1=')`, true],
    [
      'a mail folder covers Graph`s folder-less name',
      `users/${A}/mailFolders/inbox/messages`,
      `Users/${A}/Messages/M1`,
      true,
    ],
    ['and its own folder', `users/${A}/mailFolders/inbox/messages`, `users/${A}/mailFolders/inbox/messages/M1`, true],
    ['not another folder', `users/${A}/mailFolders/inbox/messages`, `users/${A}/mailFolders/sent/messages/M1`, false],
    ['not another mailbox', `users/${A}/messages`, `Users/${B}/Messages/AAMk1=`, false],
    ['not the owner', `users/${A}/messages`, `Users/${A}`, false],
    ['not another user object', `users/${A}/messages`, `Users/${B}`, false],
    ['not the owner`s events', `users/${A}/messages`, `Users/${A}/Events/E1`, false],
    ['not the collection itself', `users/${A}/messages`, `Users/${A}/Messages`, false],
    ['users covers a user', 'users', `Users/${B}`, true],
    ['users covers no message', 'users', `Users/${B}/Messages/M1`, false],
    ['users covers no group', 'users', 'Groups/G1', false],
    ['a query string changes nothing', `users/${A}/messages?$select=subject`, `Users/${A}/Messages/M1`, true],
    ['a calendar covers Graph`s event name', `users/${A}/calendars/C1/events`, `Users/${A}/Events/E1`, true],
    [
      'a contact folder covers Graph`s contact name',
      `users/${A}/contactFolders/F1/contacts`,
      `Users/${A}/Contacts/K1`,
      true,
    ],
    ['a chat covers its messages', 'chats/19:c1@thread.v2/messages', "chats('19:c1@thread.v2')/messages('1')", true],
    [
      'and their replies',
      'teams/T1/channels/19:x@thread.skype/messages',
      'teams/T1/channels/19:x@thread.skype/messages/1/replies/2',
      true,
    ],
    ['not another chat', 'chats/19:c1@thread.v2/messages', 'chats/19:c2@thread.v2/messages/1', false],
    ['not another channel of the team', 'teams/T1/channels/C1/messages', 'teams/T1/channels/C2/messages/1', false],
    ['a drive root covers itself', 'drives/b!D1/root', 'drives/b!D1/root/', true],
    ['not another drive', 'drives/b!D1/root', 'drives/b!D2/root', false],
    [
      'a user`s chat messages are named by chat',
      `users/${A}/chats/getAllMessages`,
      "chats('19:c1@thread.v2')/messages('1')",
      true,
    ],
    ['but never as another kind', `users/${A}/chats/getAllMessages`, `Users/${A}/Messages/M1`, false],
    [
      'presence covers a user`s presence',
      "communications/presences?$filter=id in ('a')",
      "communications/presences('a')",
      true,
    ],
    ['the Outlook owner form of the tenant', `users/${A}/messages`, `Users/${A}@T1/Messages/M1`, false],
    ['not an item of its drive by path', 'drives/b!D1/root', 'drives/b!D1/items/I1', false],
    [
      'an unknown kind covers what lies under it',
      'users/U1/todo/lists/L1/tasks',
      'Users/U1/todo/lists/L1/tasks/T1',
      true,
    ],
    ['and nothing beside it', 'users/U1/todo/lists/L1/tasks', 'users/U1/todo/lists/L2/tasks/T1', false],
    ['nor its container', 'users/U1/todo/lists/L1/tasks', 'users/U1', false],
  ])('%s', (_case, subscription, notification, expected) => {
    expect(notificationWithinSubscription(subscription, notification)).toBe(expected);
  });
});

/**
 * A model of the resources subscriptions and notifications name: a family, the owner or container it belongs to and,
 * for mailboxes, calendars and contact books, an optional folder. A notification lies inside a subscription exactly
 * when the model says so; the paths given to the function are spelled the many ways Graph spells them.
 */
type Family = 'user' | 'group' | 'message' | 'event' | 'contact' | 'drive' | 'chat';

interface Subscribed {
  readonly family: Family;
  /** `users/{id}` for mailbox families, the drive's or chat's path for the others, '' for users and groups. */
  readonly owner: string;
  /** `mailFolders/{id}`, `calendars/{id}`, `calendar` or `contactFolders/{id}`; undefined = the whole collection. */
  readonly folder: string | undefined;
}

interface Named extends Subscribed {
  readonly id: string;
  readonly reply: string | undefined;
}

const COLLECTION: Readonly<Record<Family, string>> = {
  user: 'users',
  group: 'groups',
  message: 'messages',
  event: 'events',
  contact: 'contacts',
  drive: 'root',
  chat: 'messages',
};

const ids = fc.constantFrom(A, B, 'AAMkAGUw=', 'b!Xy-9_Z', '19:c1@thread.v2', '19:c2@thread.v2', 'x1');

const families = fc.constantFrom<Family>('user', 'group', 'message', 'event', 'contact', 'drive', 'chat');

function folderOf(family: Family): fc.Arbitrary<string | undefined> {
  const folderId = ids.map((id) => id);
  switch (family) {
    case 'message':
      return fc.option(
        folderId.map((id) => `mailFolders/${id}`),
        { nil: undefined },
      );
    case 'event':
      return fc.option(
        fc.oneof(
          fc.constant('calendar'),
          folderId.map((id) => `calendars/${id}`),
        ),
        { nil: undefined },
      );
    case 'contact':
      return fc.option(
        folderId.map((id) => `contactFolders/${id}`),
        { nil: undefined },
      );
    default:
      return fc.constant(undefined);
  }
}

function ownerOf(family: Family): fc.Arbitrary<string> {
  switch (family) {
    case 'user':
    case 'group':
      return fc.constant('');
    case 'drive':
      return fc.oneof(
        ids.map((id) => `drives/${id}`),
        ids.map((id) => `users/${id}/drive`),
        ids.map((id) => `sites/${id}/drive`),
      );
    case 'chat':
      return fc.oneof(
        ids.map((id) => `chats/${id}`),
        fc.tuple(ids, ids).map(([team, channel]) => `teams/${team}/channels/${channel}`),
      );
    default:
      return ids.map((id) => `users/${id}`);
  }
}

const subscribed: fc.Arbitrary<Subscribed> = families.chain((family) =>
  fc.record({ family: fc.constant(family), owner: ownerOf(family), folder: folderOf(family) }),
);

const named: fc.Arbitrary<Named> = families.chain((family) =>
  fc.record({
    family: fc.constant(family),
    owner: ownerOf(family),
    folder: folderOf(family),
    id: ids,
    reply: family === 'chat' ? fc.option(ids, { nil: undefined }) : fc.constant(undefined),
  }),
);

function segmentsOfSubscription(resource: Subscribed): string[] {
  const path = [resource.owner, resource.folder, COLLECTION[resource.family]];
  return path
    .filter((part): part is string => part !== undefined && part !== '')
    .join('/')
    .split('/');
}

function segmentsOfNotification(resource: Named): string[] {
  if (resource.family === 'drive') return segmentsOfSubscription(resource);
  const reply = resource.reply === undefined ? [] : ['replies', resource.reply];
  return [...segmentsOfSubscription(resource), resource.id, ...reply];
}

/** The model's answer: same family, same owner, and no folder that differs. */
function insideByModel(subscription: Subscribed, notification: Named): boolean {
  if (subscription.family !== notification.family || subscription.owner !== notification.owner) return false;
  return (
    subscription.folder === undefined ||
    notification.folder === undefined ||
    subscription.folder === notification.folder
  );
}

const NAVIGATION = new Set([
  'users',
  'groups',
  'messages',
  'events',
  'contacts',
  'root',
  'drives',
  'drive',
  'sites',
  'chats',
  'teams',
  'channels',
  'replies',
  'mailfolders',
  'calendars',
  'calendar',
  'contactfolders',
]);

/** Spells a path as Graph or a user might: navigation names in any case, ids bare or as `name('id')`, stray slashes. */
function spelled(segments: readonly string[]): fc.Arbitrary<string> {
  const choices = segments.map((segment) => ({
    segment,
    navigation: NAVIGATION.has(segment.toLowerCase()),
  }));
  return fc
    .tuple(
      fc.array(fc.boolean(), { minLength: segments.length, maxLength: segments.length }),
      fc.array(fc.boolean(), { minLength: segments.length, maxLength: segments.length }),
      fc.boolean(),
      fc.boolean(),
    )
    .map(([upper, quoted, leading, trailing]) => {
      const parts: string[] = [];
      choices.forEach(({ segment, navigation }, index) => {
        if (!navigation) {
          const previous = parts.at(-1);
          if (quoted[index] === true && previous !== undefined && NAVIGATION.has(previous.toLowerCase()))
            parts[parts.length - 1] = `${previous}('${segment}')`;
          else parts.push(segment);
          return;
        }
        parts.push(upper[index] === true ? segment.charAt(0).toUpperCase() + segment.slice(1) : segment);
      });
      return `${leading ? '/' : ''}${parts.join('/')}${trailing ? '/' : ''}`;
    });
}

describe('notificationWithinSubscription, for random subscriptions and notifications', () => {
  it('accepts a notification exactly when its canonical resource lies inside its subscription', () => {
    const cases = fc.tuple(subscribed, named).chain(([subscription, notification]) =>
      fc.record({
        subscription: fc.constant(subscription),
        notification: fc.constant(notification),
        subscriptionPath: spelled(segmentsOfSubscription(subscription)),
        notificationPath: fc.oneof(
          spelled(segmentsOfNotification(notification)),
          // What a mail, calendar or contact notification is called whatever the folder: `Users/{id}/Messages/{id}`.
          spelled(segmentsOfNotification({ ...notification, folder: undefined })),
          // A resource of another shape under the same owner: the owner itself, the collection, or a deeper path.
          spelled(segmentsOfSubscription(notification).slice(0, -1)),
          spelled(segmentsOfSubscription(notification)),
          spelled([...segmentsOfNotification(notification), 'attachments', 'x1']),
        ),
      }),
    );
    fc.assert(
      fc.property(cases, ({ subscription, notification, subscriptionPath, notificationPath }) => {
        const shape = shapeOf(notificationPath, notification);
        const expected = shape === undefined ? false : insideByModel(subscription, shape);
        expect(notificationWithinSubscription(subscriptionPath, notificationPath)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });
});

/**
 * Which model resource a generated notification path names: the notification itself (with or without its folder),
 * a user or group, or undefined for the paths of another shape, which no subscription of a supported kind covers.
 */
function shapeOf(path: string, notification: Named): Named | undefined {
  const canonical = (segments: readonly string[]) => segments.join('/').toLowerCase();
  const plain = path
    .replace(/\('([^']*)'\)/g, '/$1')
    .replace(/^\/|\/$/g, '')
    .toLowerCase();
  if (plain === canonical(segmentsOfNotification(notification))) return notification;
  const withoutFolder = { ...notification, folder: undefined };
  if (plain === canonical(segmentsOfNotification(withoutFolder))) return withoutFolder;
  // The owner of a mailbox, calendar or contact book is a user.
  const directoryObject = /^(users|groups)\/[^/]+$/.exec(plain);
  if (directoryObject !== null)
    return {
      family: directoryObject[1] === 'users' ? 'user' : 'group',
      owner: '',
      folder: undefined,
      id: '',
      reply: undefined,
    };
  return undefined;
}
