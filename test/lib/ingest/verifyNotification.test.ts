import { describe, expect, it } from 'vitest';
import { checkItemShape } from '../../../src/lib/ingest/verifyNotification';
import { parseNotificationItem, type NotificationItem } from '../../../src/lib/notifications';
import { TENANT_ID } from '../../support/notificationFactories';

const SUBSCRIPTION_ID = '5b1f0a55-7a2e-4e8e-9a2c-3d4f5a6b7c8d';

/** A change notification about `resource` (with `resourceData` when given), parsed as ingest parses it. */
function changeAbout(resource: string, resourceData?: Record<string, unknown>): NotificationItem {
  const parsed = parseNotificationItem({
    subscriptionId: SUBSCRIPTION_ID,
    changeType: 'updated',
    resource,
    tenantId: TENANT_ID,
    clientState: 'state',
    subscriptionExpirationDateTime: '2026-05-02T10:00:00Z',
    ...(resourceData === undefined ? {} : { resourceData }),
  });
  if (!parsed.ok) throw new TypeError(parsed.problem);
  return parsed.item;
}

const UNSAFE = "resource: unsafeResourceId (an id is '.' or '..' or decodes to a path separator)";

describe('checkItemShape: ids that would name another resource in a read', () => {
  it("hands on a change's canonical resource for the scope check", () => {
    expect(checkItemShape(changeAbout(`Users('u1@${TENANT_ID}')/Messages('m1')`)).checked?.canonicalResource).toBe(
      'users/u1@' + TENANT_ID + '/messages/m1',
    );
  });

  it('refuses them for a kind read by id and for a resource no kind lists', () => {
    expect(checkItemShape(changeAbout('Users/u1/Messages/..')).problem).toBe(UNSAFE);
    expect(checkItemShape(changeAbout("security/alerts('a%2F..')")).problem).toBe(UNSAFE);
    expect(checkItemShape(changeAbout("solutions/virtualEvents/events('a/b')")).problem).toBe(UNSAFE);
  });

  it('accepts a meeting named by its join URL, whose kind is never read', () => {
    const meeting =
      "communications/onlineMeetings?$filter=joinWebUrl+eq+'https://teams.microsoft.com/l/meetup-join/19%3ameeting_a%40thread.v2/0'";

    expect(checkItemShape(changeAbout(meeting)).problem).toBeUndefined();
  });
});

describe('checkItemShape: a notification that names a collection and the item in resourceData', () => {
  const sessions = 'solutions/virtualEvents/webinars/w1/sessions';

  it('carries on as about the item, in the resource the payload stores too', () => {
    // Microsoft's "Session created" example: the session's whole path in resourceData.id.
    const item = changeAbout(sessions, {
      '@odata.type': '#microsoft.graph.virtualEventSession',
      '@odata.id': `${sessions}/s1`,
      id: `${sessions}/s1`,
    });

    const { checked } = checkItemShape(item);

    expect(checked?.canonicalResource).toBe('solutions/virtualevents/webinars/w1/sessions/s1');
    expect(checked?.item).toMatchObject({ resource: `${sessions}/s1`, payload: { resource: `${sessions}/s1` } });
  });

  it('refuses one without a usable resourceData.id, naming the field', () => {
    expect(checkItemShape(changeAbout(sessions)).problem).toBe(
      'resourceData.id: required when resource names a collection',
    );
    expect(checkItemShape(changeAbout(sessions, { id: '..' })).problem).toMatch(/^resourceData\.id: unsafeResourceId/);
    expect(
      checkItemShape(changeAbout(sessions, { id: 'solutions/virtualEvents/webinars/w2/sessions/s1' })).problem,
    ).toBe('resourceData.id: names no item of the collection resource names');
  });

  it('leaves every other notification as Graph sent it', () => {
    const item = changeAbout('Users/u1/Messages/m1', { id: 'm1' });

    expect(checkItemShape(item).checked?.item).toBe(item);
  });
});
