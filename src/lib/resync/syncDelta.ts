/**
 * Runs a delta query for one resource and writes every changed or removed item to the sink, continuing
 * from the stored delta link (docs/graph-protocol.md §6). One run at a time per resource: a run takes a lease first
 * and answers `busy` when another run holds it. A 410 / resync-required answer forgets the link and
 * starts again from scratch, once. Used for drive notifications (which name no item) and for resyncs
 * after `missed` or a re-created subscription.
 */
import type { GraphClient, GraphDeltaItem } from '../graph';
import { GraphDeltaResyncRequired, GraphResourceNotFound, isGraphError } from '../graph';
import type { Clock } from '../shared/clock';
import type { Logger } from '../shared/logger';
import type { ChangeSink, SinkWriteOutcome } from '../processing/ports';
import type { LeaseStore } from './ports';

/** Long enough for a large first sync; short enough that a crashed run blocks its resource briefly. */
export const DELTA_LEASE_MS = 5 * 60_000;

export interface DeltaTarget {
  readonly tenantId: string;
  /** Identifies the delta stream, e.g. the normalised resource path of the drive root. */
  readonly key: string;
  /** Where a full sync starts, e.g. `/drives/{id}/root/delta`. */
  readonly startPath: string;
  readonly subscriptionId: string | undefined;
  /** The sink path of one delta item; undefined when the item lacks what its path needs (`resyncItemPath`). */
  readonly itemPath: (item: GraphDeltaItem) => string | undefined;
}

export interface DeltaDependencies {
  readonly graph: Pick<GraphClient, 'deltaPages'>;
  readonly leases: LeaseStore;
  readonly sink: ChangeSink;
  readonly clock: Clock;
  readonly log: Pick<Logger, 'warn'>;
}

export type DeltaRunResult =
  | { readonly outcome: 'busy' }
  | {
      readonly outcome: 'synced';
      readonly pages: number;
      readonly writes: Readonly<Record<SinkWriteOutcome, number>>;
      readonly fullSync: boolean;
      /** After a full sync: the sink path of every item the listing holds (removed ones excluded); else empty. */
      readonly listed: ReadonlySet<string>;
    };

export async function syncDelta(target: DeltaTarget, deps: DeltaDependencies): Promise<DeltaRunResult> {
  let lease = await deps.leases.tryAcquire(target.tenantId, target.key, deps.clock.now(), DELTA_LEASE_MS);
  if (lease === undefined) return { outcome: 'busy' };
  const writes: Record<SinkWriteOutcome, number> = { written: 0, unchanged: 0, stale: 0, tied: 0 };
  let pages = 0;
  let fullSync = lease.deltaLink === undefined;
  let listed = new Set<string>();
  try {
    let start = lease.deltaLink ?? target.startPath;
    for (let attempt = 0; ; attempt += 1) {
      try {
        for await (const page of deps.graph.deltaPages(target.tenantId, start)) {
          pages += 1;
          const observedAt = deps.clock.now().toISOString();
          // Sequential on purpose: the feed may list one item twice and the last entry wins (§6.2).
          for (const item of page.items) {
            const resourcePath = target.itemPath(item);
            if (resourcePath === undefined) {
              // Never under a guessed key: a user's chat message without its chatId has no key a notification gives.
              deps.log.warn(`Delta ${target.key}: skipped item ${item.id}, which lacks what its sink path needs`);
              continue;
            }
            if (fullSync) {
              if (item.kind === 'removed') listed.delete(resourcePath);
              else listed.add(resourcePath);
            }
            const outcome = await deps.sink.write({
              tenantId: target.tenantId,
              resourcePath,
              changeType: item.kind === 'removed' ? 'deleted' : 'resync',
              subscriptionId: target.subscriptionId,
              etag: typeof item.entity['@odata.etag'] === 'string' ? item.entity['@odata.etag'] : undefined,
              observedAt,
              receivedAt: undefined,
              body: item.kind === 'removed' ? undefined : item.entity,
            });
            writes[outcome] += 1;
          }
          if (page.deltaLink !== undefined) lease = await deps.leases.saveLink(lease, page.deltaLink);
        }
        return { outcome: 'synced', pages, writes, fullSync, listed: fullSync ? listed : new Set() };
      } catch (error) {
        if (!(error instanceof GraphDeltaResyncRequired) || attempt > 0) throw error;
        // The link expired (410 Gone): forget it and resync from scratch, from Graph's Location when given.
        lease = await deps.leases.saveLink(lease, undefined);
        start = error.location ?? target.startPath;
        fullSync = true;
        listed = new Set();
      }
    }
  } finally {
    await deps.leases.release(lease);
  }
}

export interface UnlistedSweep {
  /** Tombstones written for resources Graph answered 404 for. */
  readonly tombstoned: number;
  /** Candidates Graph still holds (created while the listing ran, or listed under another path): left as they are. */
  readonly present: number;
  /** Candidates left unconfirmed because a read failed (throttled, unavailable): the sweep is incomplete. */
  readonly unconfirmed: number;
}

/**
 * After full syncs that together list every resource of `collectionPath` (begun at `listingStartedAt`),
 * finds the live sink entries there that the listings lack and that were observed before they began: their
 * deletion was never reported (a dropped notification, a pause). Each is confirmed with a GET before its
 * tombstone is written (a 404), so a resource created while the listing ran, or a clock that disagrees, never
 * costs a live resource. Tombstones carry the instant the GET left, so state written since wins. A failed
 * GET stops the sweep: the rest stay unconfirmed, and the caller arranges a new full listing.
 */
export async function tombstoneUnlisted(
  scope: { readonly tenantId: string; readonly collectionPath: string; readonly subscriptionId: string | undefined },
  listed: ReadonlySet<string>,
  listingStartedAt: string,
  deps: { readonly graph: Pick<GraphClient, 'send'>; readonly sink: ChangeSink; readonly clock: Clock },
): Promise<UnlistedSweep> {
  const candidates: string[] = [];
  for await (const { resourcePath, entry } of deps.sink.listChildren(scope.tenantId, scope.collectionPath)) {
    if (!entry.deleted && entry.observedAt < listingStartedAt && !listed.has(resourcePath))
      candidates.push(resourcePath);
  }
  let tombstoned = 0;
  let present = 0;
  for (const [index, resourcePath] of candidates.entries()) {
    const observedAt = deps.clock.now().toISOString();
    try {
      await deps.graph.send(scope.tenantId, {
        method: 'GET',
        path: `/${resourcePath}?$select=id`,
        operation: 'confirmDeleted',
      });
      present += 1;
    } catch (error) {
      if (!(error instanceof GraphResourceNotFound)) {
        if (isGraphError(error)) return { tombstoned, present, unconfirmed: candidates.length - index };
        throw error;
      }
      const outcome = await deps.sink.write({
        tenantId: scope.tenantId,
        resourcePath,
        changeType: 'deleted',
        subscriptionId: scope.subscriptionId,
        etag: undefined,
        observedAt,
        receivedAt: undefined,
        body: undefined,
      });
      if (outcome === 'written') tombstoned += 1;
    }
  }
  return { tombstoned, present, unconfirmed: 0 };
}
