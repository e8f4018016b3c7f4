import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { kindOfNotificationResource, kindOfSubscriptionResource, normalizeResourcePath } from '../../../src/lib/resources';

describe('normalizeResourcePath', () => {
  it.each([
    ['Outlook basic casing', 'Users/622eaaff-0683/Messages/AAMkAGUw=', 'users/622eaaff-0683/messages/AAMkAGUw='],
    ['Outlook rich form', "Users('622eaaff-0683')/messages('AAMkAGUw=')", 'users/622eaaff-0683/messages/AAMkAGUw='],
    ['drive root with trailing slash', 'drives/b!AbC/root/', 'drives/b!AbC/root'],
    ['leading slash and query', '/me/mailfolders(\'inbox\')/messages?$select=id', 'me/mailfolders/inbox/messages'],
    ['Teams reply with a thread id', "teams('T1')/channels('19:abc@thread.skype')/messages('1')/replies('2')", 'teams/T1/channels/19:abc@thread.skype/messages/1/replies/2'],
    ['an id with a slash inside quotes', "users('u1')/messages('a/b')", 'users/u1/messages/a%2Fb'],
    ['an escaped quote', "users('o''brien')", "users/o'brien"],
    ['a dot-dot id', 'users/..', 'users/%2E%2E'],
  ])('%s', (_case, input, expected) => {
    expect(normalizeResourcePath(input)).toBe(expected);
  });

  it('maps the basic and the rich form of one resource to the same path', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9=_-]{1,40}$/), fc.stringMatching(/^[A-Za-z0-9=_-]{1,60}$/), (user, message) => {
        expect(normalizeResourcePath(`Users/${user}/Messages/${message}`)).toBe(normalizeResourcePath(`Users('${user}')/messages('${message}')`));
      }),
    );
  });

  it('never produces an empty, absolute, parent-escaping or query-carrying path segment', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        const path = normalizeResourcePath(input);
        expect(path.startsWith('/')).toBe(false);
        for (const segment of path === '' ? [] : path.split('/')) {
          expect(segment).not.toBe('');
          expect(segment).not.toBe('..');
          // eslint-disable-next-line no-control-regex -- control characters must never survive into a blob path
          expect(segment).not.toMatch(/[?#\\\u0000-\u001f]/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it.each([['#()'], ["a\\b('x')"], ["users('')/x"]])('keeps even odd input %s path-safe', (input) => {
    expect(normalizeResourcePath(input).split('/').every((segment) => segment !== '' && !/[#\\]/.test(segment))).toBe(true);
  });
});

describe('resource kinds', () => {
  it.each([
    ['users', 'user'],
    ['groups', 'group'],
    ['users/u1/messages', 'message'],
    ["me/mailFolders('inbox')/messages", 'message'],
    ['users/u1/events', 'event'],
    ['users/u1/contacts', 'contact'],
    ['drives/b!1/root', 'driveRoot'],
    ["chats('19:x')/messages", 'chatMessage'],
    ['teams/t/channels/c/messages', 'chatMessage'],
  ])('knows the subscription resource %s as %s', (resource, kind) => {
    expect(kindOfSubscriptionResource(resource)?.name).toBe(kind);
  });

  it.each([
    ['Users/u1', 'user'],
    ['Users/u1/Messages/m1', 'message'],
    ['drives/b!1/root/', 'driveRoot'],
    ["teams('t')/channels('c')/messages('1')/replies('2')", 'chatMessage'],
  ])('knows the notification resource %s as %s', (resource, kind) => {
    expect(kindOfNotificationResource(resource)?.name).toBe(kind);
  });

  it('knows nothing of unsupported resources', () => {
    expect(kindOfSubscriptionResource('print/printers')).toBeUndefined();
    expect(kindOfNotificationResource('security/alerts/1')).toBeUndefined();
  });
});
