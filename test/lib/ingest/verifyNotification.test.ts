import { describe, expect, it } from 'vitest';
import { checkItemShape, verifyNotification } from '../../../src/lib/ingest/verifyNotification';
import { parseNotificationItem, type NotificationItem } from '../../../src/lib/notifications';
import { normalizeResourcePath } from '../../../src/lib/resources';
import { presentedSecretDigests } from '../../../src/lib/shared/constantTimeEquals';
import { subscriptionRecord, TENANT_ID } from '../../support/notificationFactories';

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

describe('verifyNotification: an unlisted collection that names its item in resourceData', () => {
  const events = 'solutions/virtualEvents/events';
  const record = subscriptionRecord({ subscriptionId: SUBSCRIPTION_ID, resource: events, clientState: 'state' });
  const verify = (item: NotificationItem) => {
    const { checked } = checkItemShape(item);
    if (checked === undefined) throw new TypeError('the item failed its shape check');
    return verifyNotification(checked, record, presentedSecretDigests());
  };

  it('carries each notification on as about its own item under the collection, so none overwrites another', () => {
    // Microsoft's "Event created" example: the collection in resource, a webinar's path in resourceData.id.
    const verdicts = ['w1', 'w2'].map((id) =>
      verify(
        changeAbout(events, {
          '@odata.type': '#microsoft.graph.virtualEventWebinar',
          id: `solutions/virtualEvents/webinars/${id}`,
        }),
      ),
    );

    const paths = verdicts.map((verdict) =>
      verdict.accepted && verdict.item?.kind === 'change'
        ? normalizeResourcePath(verdict.item.resource, TENANT_ID)
        : undefined,
    );
    expect(paths).toEqual([
      'solutions/virtualevents/events/solutions%2FvirtualEvents%2Fwebinars%2Fw1',
      'solutions/virtualevents/events/solutions%2FvirtualEvents%2Fwebinars%2Fw2',
    ]);
    expect(verdicts[0]).toMatchObject({
      item: { payload: { resource: "solutions/virtualEvents/events('solutions/virtualEvents/webinars/w1')" } },
    });
  });

  it('leaves a notification naming an item, or the collection with no id, as Graph sent it', () => {
    expect(verify(changeAbout(`${events}/e1`, { id: 'e1' }))).toEqual({ accepted: true });
    expect(verify(changeAbout(events))).toEqual({ accepted: true });
  });

  it('names nothing anew for a listed subscription, one whose kind its query tells included', () => {
    // A meeting's call events: the subscription and its notifications name the meeting by its join URL.
    const joinUrl = 'https://teams.microsoft.com/l/meetup-join/19%3ameeting_m1%40thread.v2/0';
    const meeting = `communications/onlineMeetings/?$filter=JoinWebUrl eq '${joinUrl}'`;
    const listed = subscriptionRecord({ subscriptionId: SUBSCRIPTION_ID, resource: meeting, clientState: 'state' });
    const { checked } = checkItemShape(changeAbout(meeting, { id: 'event-1' }));
    if (checked === undefined) throw new TypeError('the item failed its shape check');

    expect(verifyNotification(checked, listed, presentedSecretDigests())).toEqual({ accepted: true });
  });
});
