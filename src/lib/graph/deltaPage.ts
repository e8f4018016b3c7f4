/**
 * One page of a delta query, classified. Graph marks removed items with `@removed` (directory, Outlook;
 * reason `changed` = soft-deleted, `deleted` = gone), drive items with a `deleted` facet
 * (docs/graph-protocol.md §6.1-§6.2), and a deleted channel message by its `deletedDateTime`: channel message
 * delta lists it as a chatMessage whose `deletedDateTime` is set, with no `@removed` (Microsoft's "chatMessage:
 * delta" page). A page holds either a nextLink or a deltaLink, never both, and may be empty while still having a
 * nextLink.
 */
import { invalidResponse, type ResponseContext } from './errorFromResponse';
import type { GraphEntity } from './graphClient';

const CHAT_MESSAGE_TYPE = '#microsoft.graph.chatMessage';

export type GraphDeltaItem =
  | { readonly kind: 'changed'; readonly id: string; readonly entity: GraphEntity }
  | {
      readonly kind: 'removed';
      readonly id: string;
      /** `deleted` (permanent), `changed` (soft-deleted, restorable) or whatever Graph sent. */
      readonly reason: string;
      readonly entity: GraphEntity;
    };

export interface GraphDeltaPage {
  readonly items: readonly GraphDeltaItem[];
  /** Follow it for the next page; undefined on the last page. */
  readonly nextLink: string | undefined;
  /** Present on the last page only: store it and start there next time. */
  readonly deltaLink: string | undefined;
}

export function parseDeltaPage(body: unknown, context: ResponseContext): GraphDeltaPage {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalidResponse('delta page is not a JSON object', context);
  const page = body as Record<string, unknown>;
  const value = page.value;
  if (!Array.isArray(value)) throw invalidResponse('delta page has no value array', context);
  const nextLink = optionalString(page['@odata.nextLink']);
  const deltaLink = optionalString(page['@odata.deltaLink']);
  if ((nextLink === undefined) === (deltaLink === undefined)) {
    throw invalidResponse('delta page must carry exactly one of @odata.nextLink and @odata.deltaLink', context);
  }
  const items = (value as unknown[]).map((entry, index) => classify(entry, index, context));
  return { items, nextLink, deltaLink };
}

function classify(entry: unknown, index: number, context: ResponseContext): GraphDeltaItem {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw invalidResponse(`delta item ${index} is not a JSON object`, context);
  }
  const entity = entry as Record<string, unknown>;
  const id = entity.id;
  if (typeof id !== 'string' || id === '') throw invalidResponse(`delta item ${index} has no id`, context);
  const removed = entity['@removed'];
  if (typeof removed === 'object' && removed !== null) {
    const reason = (removed as { reason?: unknown }).reason;
    return { kind: 'removed', id, reason: typeof reason === 'string' ? reason : 'deleted', entity };
  }
  if (typeof entity.deleted === 'object' && entity.deleted !== null)
    return { kind: 'removed', id, reason: 'deleted', entity };
  // Teams deletes a message softly (it can be undone), which is `@removed`'s reason `changed`.
  if (isDeletedChatMessage(entity)) return { kind: 'removed', id, reason: 'changed', entity };
  return { kind: 'changed', id, entity };
}

/**
 * A chat message Teams has deleted: typed `#microsoft.graph.chatMessage` with a `deletedDateTime`. Only that type:
 * another resource's `deletedDateTime` (a deleted team's, a directory object's) says nothing of this kind.
 */
function isDeletedChatMessage(entity: Readonly<Record<string, unknown>>): boolean {
  return entity['@odata.type'] === CHAT_MESSAGE_TYPE && typeof entity.deletedDateTime === 'string';
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
