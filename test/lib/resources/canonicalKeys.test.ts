/**
 * One resource, one key: every name Graph gives a resource in a notification, whatever its casing, key syntax
 * or `{user-guid}@{tenant-guid}` owner form, maps to the key its subscription's resync writes (`resyncItemPath`);
 * and two different resources never share one (docs/sink.md#canonical-keys).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalizeResourcePath, RESOURCE_KINDS, type ResourceKindName } from '../../../src/lib/resources';

/** A GUID in the casing `upper` picks: Graph matches directory ids case-insensitively. */
const cased = (guid: string, upper: boolean): string => (upper ? guid.toUpperCase() : guid.toLowerCase());
/** An Outlook or drive item id: base64-like, case-sensitive, never a navigation name. */
const itemId = fc.stringMatching(/^AAMk[A-Za-z0-9+=_-]{1,40}$/);
const casing = fc.array(fc.boolean(), { minLength: 4, maxLength: 4 });

function kind(name: ResourceKindName): (typeof RESOURCE_KINDS)[number] {
  const found = RESOURCE_KINDS.find((candidate) => candidate.name === name);
  if (found === undefined) throw new TypeError(`no kind ${name}`);
  return found;
}

/** The key a resync of `subscription` (in `tenant`) writes for the item `id`. */
function resyncKey(name: ResourceKindName, subscription: string, tenant: string, id: string): string | undefined {
  const itemPath = kind(name).resyncItemPath;
  if (itemPath === undefined) throw new TypeError(`${name} has no resync`);
  return itemPath(normalizeResourcePath(subscription, tenant), id);
}

const OUTLOOK: readonly {
  readonly name: 'message' | 'event' | 'contact';
  readonly basic: string;
  readonly rich: string;
  readonly subscriptions: (user: string) => readonly string[];
}[] = [
  {
    name: 'message',
    basic: 'Messages',
    rich: 'messages',
    subscriptions: (user) => [
      `users/${user}/messages`,
      `Users/${user}/mailFolders('inbox')/messages?$select=subject`,
      `users('${user}')/mailfolders/AQMkFolder=/messages`,
    ],
  },
  {
    name: 'event',
    basic: 'Events',
    rich: 'events',
    subscriptions: (user) => [`users/${user}/events`, `users/${user}/calendar/events?$select=subject`],
  },
  {
    name: 'contact',
    basic: 'Contacts',
    rich: 'contacts',
    subscriptions: (user) => [`users/${user}/contacts`, `users/${user}/contactFolders/AQMkFolder=/contacts`],
  },
];

describe('canonical keys per family', () => {
  it.each(OUTLOOK)(
    '$name: every notification form meets the key its resync writes, whatever the GUID casing',
    ({ name, basic, rich, subscriptions }) => {
      fc.assert(
        fc.property(fc.uuid(), fc.uuid(), itemId, casing, (user, tenant, id, upper) => {
          const [u1 = false, u2 = false, t1 = false, t2 = false] = upper;
          const forms = [
            `Users/${cased(user, u1)}/${basic}/${id}`,
            // Microsoft's webhooks page: the owner as {user-guid}@{tenant-guid}.
            `Users/${cased(user, u2)}@${cased(tenant, t1)}/${basic}/${id}`,
            `Users('${cased(user, u1)}')/${rich}('${id}')`,
            `users('${cased(user, u2)}@${cased(tenant, t2)}')/${rich}('${id}')`,
          ];
          // The notification's tenantId is a GUID in whatever casing Graph sent it.
          const notificationTenant = cased(tenant, t2);
          for (const subscription of subscriptions(cased(user, u1))) {
            const expected = resyncKey(name, subscription, cased(tenant, t1), id);
            for (const form of forms) expect(normalizeResourcePath(form, notificationTenant)).toBe(expected);
          }
        }),
        { numRuns: 300 },
      );
    },
  );

  it.each([
    ['user', 'Users', 'users'],
    ['group', 'Groups', 'groups'],
  ] as const)('%s: `%s/{GUID}` in any casing meets the key its resync writes', (name, basic, collection) => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), casing, (id, tenant, [u1 = false, u2 = false]) => {
        const expected = resyncKey(name, collection, tenant, id);
        expect(normalizeResourcePath(`${basic}/${cased(id, u1)}`, tenant)).toBe(expected);
        expect(normalizeResourcePath(`${collection}('${cased(id, u2)}')`, tenant)).toBe(expected);
        // The id a delta page lists may come in either casing too.
        expect(resyncKey(name, collection, tenant, cased(id, !u1))).toBe(expected);
      }),
    );
  });

  it('channelMessage: a root message as a notification names it meets the key its resync writes, whatever the team GUID casing', () => {
    const channelId = fc.stringMatching(/^19:[0-9a-f]{1,32}@thread\.tacv2$/);
    const messageId = fc.stringMatching(/^[0-9]{1,13}$/);
    fc.assert(
      fc.property(
        fc.uuid(),
        channelId,
        messageId,
        fc.uuid(),
        casing,
        (team, channel, id, tenant, [u1 = false, u2 = false]) => {
          const expected = resyncKey(
            'channelMessage',
            `teams/${cased(team, u1)}/channels/${channel}/messages`,
            tenant,
            id,
          );
          const forms = [
            `teams('${cased(team, u2)}')/channels('${channel}')/messages('${id}')`,
            `Teams/${cased(team, u1)}/Channels/${channel}/Messages/${id}`,
          ];
          for (const form of forms) expect(normalizeResourcePath(form, tenant)).toBe(expected);
        },
      ),
    );
  });

  it('driveRoot: the root a notification names meets the drive its resync lists', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^b![A-Za-z0-9_-]{1,40}$/), itemId, fc.uuid(), (drive, id, tenant) => {
        const root = normalizeResourcePath(`drives/${drive}/root/`, tenant);
        expect(root).toBe(normalizeResourcePath(`drives('${drive}')/root`, tenant));
        expect(resyncKey('driveRoot', `drives/${drive}/root`, tenant, id)).toBe(
          `${root.replace(/\/root$/, '')}/items/${id}`,
        );
      }),
    );
  });
});

describe('the {user-guid}@{tenant-guid} owner form', () => {
  it("is the user itself only in the notification's own tenant; any other tenant keeps it distinct", () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.uuid(), itemId, (user, own, other, id) => {
        fc.pre(own.toLowerCase() !== other.toLowerCase());
        const local = normalizeResourcePath(`users/${user}/messages/${id}`, own);
        const foreign = normalizeResourcePath(`Users/${user}@${other}/Messages/${id}`, own);
        expect(normalizeResourcePath(`Users/${user}@${own}/Messages/${id}`, own)).toBe(local);
        expect(foreign).not.toBe(local);
        // Distinct foreign tenants stay distinct from each other too.
        expect(foreign).not.toBe(normalizeResourcePath(`Users/${user}@${own}/Messages/${id}`, other));
      }),
    );
  });

  it('stays a distinct id when the tenant is not known', () => {
    const user = '622EAAFF-0683-4862-9DE6-C7A4A8E8B8E1';
    const tenant = '72F988BF-86F1-41AF-91AB-2D7CD011DB47';
    expect(normalizeResourcePath(`Users/${user}@${tenant}/Messages/AAMk=`)).toBe(
      `users/${user.toLowerCase()}@${tenant.toLowerCase()}/messages/AAMk=`,
    );
  });

  it('never touches an id that only looks like it: a UPN, or a GUID under another navigation name', () => {
    const user = '622eaaff-0683-4862-9de6-c7a4a8e8b8e1';
    expect(normalizeResourcePath(`users/${user}@contoso.com/messages/m`, user)).toBe(
      `users/${user}@contoso.com/messages/m`,
    );
    expect(normalizeResourcePath(`users/${user}/messages/${user.toUpperCase()}`)).toBe(
      `users/${user}/messages/${user.toUpperCase()}`,
    );
  });
});

describe('the key stays injective over GUID ids', () => {
  it('two users share a key exactly when their GUIDs are equal ignoring case', () => {
    fc.assert(
      fc.property(fc.uuid(), fc.uuid(), fc.uuid(), casing, itemId, (a, b, tenant, [u1 = false, u2 = false], id) => {
        const keyA = normalizeResourcePath(`Users/${cased(a, u1)}/Messages/${id}`, tenant);
        const keyB = normalizeResourcePath(`Users/${cased(b, u2)}@${tenant}/Messages/${id}`, tenant);
        expect(keyA === keyB).toBe(a.toLowerCase() === b.toLowerCase());
      }),
    );
  });

  it('keeps item ids case-sensitive: two messages differing only by case are two resources', () => {
    fc.assert(
      fc.property(fc.uuid(), itemId, (user, id) => {
        fc.pre(id.toLowerCase() !== id);
        expect(normalizeResourcePath(`users/${user}/messages/${id}`)).not.toBe(
          normalizeResourcePath(`users/${user}/messages/${id.toLowerCase()}`),
        );
      }),
    );
  });
});
