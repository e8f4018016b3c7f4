/**
 * Teams virtual events: webinars and town halls, their sessions, and webinar registrations (Microsoft's "Get change
 * notifications for Microsoft Teams virtual event updates"). Subscriptions live at most a day, send basic
 * notifications only, and take `created` and `updated` (a webinar or town hall itself: `updated`); Graph reports no
 * deletion. Each item has an app-only read with VirtualEvent.Read.All ("Get virtualEventWebinar", "Get
 * virtualEventSession", "Get virtualEventRegistration"; the tenant's application access policy must cover the
 * organiser), so the three kinds are `mirrored`; there is no delta.
 *
 * Session and registration notifications name the COLLECTION in `resource`
 * (`solutions/virtualEvents/webinars/{id}/sessions`) and the item in `resourceData.id`: those kinds declare
 * `itemInResourceData`, and ingest reads such a notification as about `{collection}/{id}` (collectionNotification.ts).
 *
 * Microsoft's page is silent on the lifecycle URL; every example sets one, so graph-notify takes the Teams rule (one
 * is required past an hour). The tenant-wide forms (`solutions/virtualEvents/events`, `…/getEventsFromOrganizers(…)`),
 * attendance reports and video-on-demand publication stay unlisted (docs/resources.md#unlisted-resources).
 */
import type { ResourceKind } from '../resourceKinds';
import { NO_RESYNC } from './sharedRules';

const ID = '[^/]+';
const EVENT = `solutions/virtualevents/(webinars|townhalls)/${ID}`;

/** What the three kinds share: a day at most, the Teams lifecycle rule, basic notifications, read by id. */
const VIRTUAL_EVENT_RULES = {
  level: 'mirrored',
  // "Virtual event subscriptions have a maximum period of a day."
  maxLifetimeMinutes: 1_440,
  richMaxLifetimeMinutes: undefined,
  lifecycleRequiredAboveMinutes: 60,
  supportsRichNotifications: false,
  retrieval: { kind: 'byId' },
  ...NO_RESYNC,
} as const satisfies Partial<ResourceKind>;

/** A collection of one virtual event whose notifications name the collection and leave the item to resourceData. */
function collectionKind(name: 'virtualEventSession' | 'virtualEventRegistration', collection: string): ResourceKind {
  const subscriptionPattern = new RegExp(`^${collection}$`);
  return {
    name,
    ...VIRTUAL_EVENT_RULES,
    subscriptionPattern,
    itemPattern: new RegExp(`^${collection}/${ID}$`),
    allowedChangeTypes: ['created', 'updated'],
    itemInResourceData: subscriptionPattern,
  };
}

export const VIRTUAL_EVENT_KINDS: readonly ResourceKind[] = [
  {
    // One webinar or town hall; its notifications name it (`solutions/virtualEvents/webinars/{id}/`).
    name: 'virtualEvent',
    ...VIRTUAL_EVENT_RULES,
    // Not the listing functions (`webinars/getByUserRole(…)`), which Microsoft does not list as subscribable.
    subscriptionPattern: new RegExp(`^solutions/virtualevents/(webinars|townhalls)/(?!get)${ID}$`, 'i'),
    itemPattern: new RegExp(`^${EVENT}$`),
    allowedChangeTypes: ['updated'],
    // A webinar's subscription covers that webinar only.
    notificationContainer: (resource) => resource,
  },
  collectionKind('virtualEventSession', `${EVENT}/sessions`),
  // Registrations exist for webinars only ("Get virtualEventRegistration").
  collectionKind('virtualEventRegistration', `solutions/virtualevents/webinars/${ID}/registrations`),
];
