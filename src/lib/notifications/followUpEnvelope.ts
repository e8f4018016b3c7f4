/**
 * The envelope that carries some of a message's items on a later delivery: work put back on its queue
 * to wait for coalescing, for Graph's Retry-After or for a busy delta run. It keeps the original
 * `receivedAt`, because every newer-wins check compares against when ingest received the notification.
 */
import { ENVELOPE_VERSION, type NotificationEnvelope } from './envelope';
import { isRich } from './packEnvelopes';

export interface FollowUpOptions {
  /** Appended to the original id after `~`, so each follow-up of one message has an id of its own. */
  readonly idSuffix: string;
  /** Marks the items as having waited for coalescing: processing reads them when they return. */
  readonly waited?: true;
}

export function followUpEnvelope(
  original: NotificationEnvelope,
  items: readonly Readonly<Record<string, unknown>>[],
  options: FollowUpOptions,
): NotificationEnvelope {
  // Validation tokens vouch for rich items only; a follow-up without one has no use for them.
  const tokens = items.some(isRich) ? original.validationTokens : undefined;
  return {
    v: ENVELOPE_VERSION,
    kind: original.kind,
    id: `${original.id}~${options.idSuffix}`,
    receivedAt: original.receivedAt,
    ...(original.authenticatedRoute === undefined ? {} : { authenticatedRoute: original.authenticatedRoute }),
    items,
    ...(tokens === undefined ? {} : { validationTokens: tokens }),
    ...(options.waited === true ? { waited: true } : {}),
  };
}
