/**
 * What a resync of one subscription reads: the delta streams that together cover its resource
 * (docs/subscriptions.md#what-is-caught-up). Most kinds have one stream. Message delta is per mail
 * folder (docs/graph-protocol.md §6.2), so a subscription to a whole mailbox covers every folder, child folders
 * included, listed from Graph at each resync. Events have no plain delta; calendarView delta covers
 * the events that start inside a window, which moves on every EVENT_RESYNC_WINDOW_DAYS and so always
 * spans at least that many days back and ahead. One chat's messages have no delta: undefined.
 *
 * Moving a message gives it a new id in the destination folder, so one folder's `@removed` never
 * hides a message another folder still holds.
 */
import { GraphResponseInvalid } from '../graph';
import {
  encodeResourceId,
  kindOfSubscriptionResource,
  normalizeResourcePath,
  type ResourceKind,
  type ResyncScope,
} from '../resources';
import { DEFAULT_RESYNC_SETTINGS, type SubscriptionDependencies } from '../subscriptions/dependencies';
import { pathBelow } from '../subscriptions/graphSubscriptionApi';
import type { StoredSubscription } from '../subscriptions/subscriptionRecord';
import type { DeltaTarget } from './syncDelta';

const DAY_MS = 86_400_000;
/** Graph lists mail folders in pages; a mailbox with more folders than this is refused rather than half-covered. */
const MAX_MAIL_FOLDERS = 10_000;

/** True when graph-notify can catch up changes to this subscription's resource after a gap. */
export function canResync(resource: string): boolean {
  const kind = kindOfSubscriptionResource(resource);
  return kind?.resyncDeltaPath !== undefined && kind.resyncItemPath !== undefined;
}

/** The delta streams of one resync, or undefined when the kind has no delta query. */
export async function resyncTargetsOf(
  record: StoredSubscription,
  deps: Pick<SubscriptionDependencies, 'graph' | 'settings'>,
  now: Date,
): Promise<DeltaTarget[] | undefined> {
  const kind = kindOfSubscriptionResource(record.resource);
  const deltaPath = kind?.resyncDeltaPath;
  const itemPath = kind?.resyncItemPath;
  if (kind === undefined || deltaPath === undefined || itemPath === undefined) return undefined;
  const path = normalizeResourcePath(record.resource, record.tenantId);
  const target = (key: string, scope: ResyncScope): DeltaTarget => ({
    tenantId: record.tenantId,
    key,
    startPath: deltaPath(path, scope),
    subscriptionId: record.subscriptionId,
    itemPath: (item) => itemPath(path, item.id, item.entity),
  });
  switch (coverageOf(kind, path)) {
    case 'everyMailFolder': {
      const owner = path.replace(/\/messages$/, '');
      const folders = await listMailFolders(record.tenantId, owner, deps);
      // The same key as a subscription to that one folder: one delta stream and lease per folder.
      return folders.map((folderId) =>
        target(`${owner}/mailfolders/${encodeResourceId(folderId)}/messages`, { mailFolderId: folderId }),
      );
    }
    case 'calendarWindow': {
      const window = eventWindow(now, (deps.settings.resync ?? DEFAULT_RESYNC_SETTINGS).eventWindowDays);
      return [target(`${path}|calendarview|${window.start}`, { window })];
    }
    default:
      return [target(path, {})];
  }
}

function coverageOf(kind: ResourceKind, path: string): ResourceKind['resyncCoverage'] {
  // A subscription to one mail folder is one stream.
  if (kind.resyncCoverage === 'everyMailFolder' && path.includes('/mailfolders/')) return 'oneStream';
  return kind.resyncCoverage;
}

/**
 * The calendarView window at `now`: from one window length before the current period's start to two
 * after it, so it always reaches at least `days` back and `days` ahead, and changes only once a period.
 */
export function eventWindow(now: Date, days: number): { readonly start: string; readonly end: string } {
  const length = days * DAY_MS;
  const anchor = Math.floor(now.getTime() / length) * length;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { start: iso(anchor - length), end: iso(anchor + 2 * length) };
}

/** Every mail folder of a mailbox, child folders included, as ids (one GET per page, plus one per folder with children). */
async function listMailFolders(
  tenantId: string,
  owner: string,
  deps: Pick<SubscriptionDependencies, 'graph' | 'settings'>,
): Promise<string[]> {
  const ids: string[] = [];
  const pending = [`/${owner}/mailFolders?$select=id,childFolderCount&includeHiddenFolders=true`];
  const seen = new Set<string>();
  for (let path = pending.shift(); path !== undefined; path = pending.shift()) {
    if (seen.has(path)) throw new GraphResponseInvalid('Graph repeated a mailFolders nextLink');
    seen.add(path);
    const response = await deps.graph.send(tenantId, { method: 'GET', path, operation: 'listMailFolders' });
    const page = response.body as { value?: unknown; '@odata.nextLink'?: unknown } | undefined;
    if (!Array.isArray(page?.value))
      throw new GraphResponseInvalid('Graph answered a mailFolders page without a value array');
    for (const folder of page.value as unknown[]) {
      const { id, childFolderCount } = (folder ?? {}) as { id?: unknown; childFolderCount?: unknown };
      if (typeof id !== 'string' || id === '') continue;
      ids.push(id);
      if (typeof childFolderCount === 'number' && childFolderCount > 0)
        pending.push(`/${owner}/mailFolders/${encodeResourceId(id)}/childFolders?$select=id,childFolderCount`);
    }
    const next = page['@odata.nextLink'];
    if (typeof next === 'string') pending.unshift(pathBelow(next, deps.settings.graphBaseUrl));
    if (ids.length > MAX_MAIL_FOLDERS)
      throw new GraphResponseInvalid(
        `the mailbox has more than ${MAX_MAIL_FOLDERS} mail folders; graph-notify resyncs at most that many`,
      );
  }
  return ids;
}
