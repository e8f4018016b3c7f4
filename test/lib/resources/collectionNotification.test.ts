import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeResourceId,
  itemOfCollectionNotification,
  kindOfNotificationResource,
  normalizeResourcePath,
  notificationWithinSubscription,
} from '../../../src/lib/resources';
import { TENANT_ID } from '../../support/notificationFactories';

/** What ingest asks of a notification naming `resource` with `resourceData`. */
function itemOf(resource: string, resourceData: unknown) {
  return itemOfCollectionNotification(normalizeResourcePath(resource, TENANT_ID), resource, resourceData, TENANT_ID);
}

const SESSIONS = 'solutions/virtualEvents/webinars/w1/sessions';
const UNSAFE = "resourceData.id: unsafeResourceId (the id is '.' or '..' or decodes to a path separator)";

describe('itemOfCollectionNotification', () => {
  it("reads Microsoft's session and registration examples as about {collection}/{id}", () => {
    const session = itemOf(SESSIONS, { id: `${SESSIONS}/s1`, '@odata.id': `${SESSIONS}/s1` });
    const registration = itemOf('solutions/virtualEvents/webinars/w1/registrations', {
      id: 'solutions/virtualEvents/webinars/w1/registrations/r1',
    });
    const townHall = itemOf('solutions/virtualevents/townhalls/t1/sessions/', { id: 's1' });

    expect(session).toEqual({ path: 'solutions/virtualevents/webinars/w1/sessions/s1', resource: `${SESSIONS}/s1` });
    expect(registration?.path).toBe('solutions/virtualevents/webinars/w1/registrations/r1');
    expect(townHall).toEqual({
      path: 'solutions/virtualevents/townhalls/t1/sessions/s1',
      resource: "solutions/virtualevents/townhalls/t1/sessions('s1')",
    });
    expect(kindOfNotificationResource(session?.resource ?? '')?.name).toBe('virtualEventSession');
  });

  it('says nothing of a notification that names its item, or of a kind that does not opt in', () => {
    expect(itemOf(`${SESSIONS}/s1`, { id: 's1' })).toBeUndefined();
    expect(
      itemOf('solutions/virtualEvents/webinars/w1/', { id: 'solutions/virtualEvents/webinars/w1/' }),
    ).toBeUndefined();
    expect(itemOf('users/u1/messages', { id: 'm1' })).toBeUndefined();
    expect(itemOf('solutions/virtualEvents/events/', { id: 'solutions/virtualEvents/webinars/w1/' })).toBeUndefined();
  });

  it('refuses a collection-named notification without a usable resourceData.id', () => {
    const required = { problem: 'resourceData.id: required when resource names a collection' };
    expect(itemOf(SESSIONS, undefined)).toEqual(required);
    expect(itemOf(SESSIONS, null)).toEqual(required);
    expect(itemOf(SESSIONS, {})).toEqual(required);
    expect(itemOf(SESSIONS, { id: '' })).toEqual(required);
    expect(itemOf(SESSIONS, { id: 42 })).toEqual(required);
  });

  it('refuses an id that is a dot segment or decodes to a path separator', () => {
    for (const id of ['.', '..', '%2E%2E', 'a%2Fb', 'a\\b', '%5C', `${SESSIONS}/..`, `${SESSIONS}/%2e%2e`])
      expect(itemOf(SESSIONS, { id }), id).toEqual({ problem: UNSAFE });
  });

  it('refuses an id naming anything but one item of the notified collection', () => {
    const elsewhere = { problem: 'resourceData.id: names no item of the collection resource names' };
    for (const id of [
      'solutions/virtualEvents/webinars/w2/sessions/s1',
      'solutions/virtualEvents/webinars/w1/registrations/r1',
      `${SESSIONS}/s1/attendanceReports/a1`,
      SESSIONS,
      `${SESSIONS}/`,
      'a/b',
    ])
      expect(itemOf(SESSIONS, { id }), id).toEqual(elsewhere);
    // A query after the collection leaves no item to name.
    expect(itemOf(`${SESSIONS}?$top=1`, { id: 's1' })).toEqual(elsewhere);
  });

  it('gives the collection-plus-id forms and the item-path forms of one session one key, within its subscription', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 16 }), fc.boolean(), (id, townHall) => {
        const collection = `solutions/virtualEvents/${townHall ? 'townhalls' : 'webinars'}/e1/sessions`;
        const bare = itemOf(collection, { id });
        if (id.includes('/')) {
          // An id with a separator is read as a path, which names no session of this collection.
          expect(bare?.problem).toBeDefined();
          return;
        }
        const itemKey = normalizeResourcePath(`${collection}('${id.replaceAll("'", "''")}')`, TENANT_ID);
        if (bare?.problem !== undefined) {
          expect(bare.problem).toBe(UNSAFE);
          return;
        }
        expect(bare?.path).toBe(itemKey);
        expect(itemKey).toBe(`${normalizeResourcePath(collection)}/${encodeResourceId(id)}`);
        // An id Graph can write bare in a path (virtual event ids are `{guid}@{guid}`): the item's whole path, in
        // resourceData.id or in resource, meets the same key.
        if (encodeResourceId(id) === id && !/['()?]/.test(id)) {
          expect(itemOf(collection, { id: `${collection}/${id}` })?.path).toBe(itemKey);
          expect(normalizeResourcePath(`${collection}/${id}/`, TENANT_ID)).toBe(itemKey);
        }
        expect(normalizeResourcePath(bare?.resource ?? '', TENANT_ID)).toBe(itemKey);
        expect(notificationWithinSubscription(collection, bare?.resource ?? '', TENANT_ID)).toBe(true);
      }),
    );
  });
});
