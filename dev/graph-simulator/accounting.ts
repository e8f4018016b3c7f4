/**
 * Change accounting: every change the simulator makes carries its own identity (a tenant-wide sequence
 * number and the resource's own version) and the log records what became of each notification Graph
 * generated for it (delivered with a 2xx, dropped, lost to a pause, discarded, abandoned, and whether a
 * `missed` was sent). Tests use it to account for every change, not only for the final state.
 *
 * A resource shows its version the way Graph shows one: Outlook messages, events and contacts by their
 * `@odata.etag` (the changeKey), drive items by `eTag`, chat messages by `etag`. Users, groups and chats
 * have no version property in Graph, so their version is read from their content: the newest version whose
 * properties equal the given ones.
 */
import { isDeepStrictEqual } from 'node:util';
import type { NotificationRecord } from './delivery.js';
import type { ChangeEvent, ChangeType, JsonObject, SimResourceKind } from './model.js';

/** What became of one notification of a change. */
export interface NotificationFate {
  readonly notificationId: string;
  readonly subscriptionId: string;
  readonly status: NotificationRecord['status'];
  readonly reason: string | undefined;
  /** Extra copies acknowledged by the receiver (injected duplicates). */
  readonly duplicatesDelivered: number;
  /** For a dropped or lost notification: whether Graph sent `missed` for it. */
  readonly missedSent: boolean | undefined;
}

/** One change the simulator made, with its identity and the fate of its notifications. */
export interface ChangeRecord {
  /** `{tenantId}:{seq}`: unique across the simulator. */
  readonly changeId: string;
  readonly tenantId: string;
  /** Tenant-wide order of the change (the position delta queries use). */
  readonly seq: number;
  /** Virtual instant of the change. */
  readonly at: string;
  readonly kind: SimResourceKind;
  readonly id: string;
  /** Canonical path, e.g. `users/{uid}/messages/{mid}`. */
  readonly path: string;
  readonly changeType: ChangeType;
  readonly softDelete: boolean;
  /** The resource's version after the change: 1 on creation, one more per later change. */
  readonly version: number;
  /** The version as the resource shows it (etag, changeKey, eTag); undefined for deletions and kinds without one. */
  readonly versionTag: string | undefined;
  /** One entry per notification Graph generated for this change (one per matching subscription). */
  readonly notifications: readonly NotificationFate[];
}

/** The property through which a resource kind shows its version, as Graph names it. */
const VERSION_PROPERTY: Partial<Record<SimResourceKind, string>> = {
  message: '@odata.etag',
  event: '@odata.etag',
  contact: '@odata.etag',
  driveItem: 'eTag',
  chatMessage: 'etag',
};

export function versionTagOf(kind: SimResourceKind, body: JsonObject | undefined): string | undefined {
  const property = VERSION_PROPERTY[kind];
  const value = property === undefined ? undefined : body?.[property];
  return typeof value === 'string' ? value : undefined;
}

function fateOf(record: NotificationRecord): NotificationFate {
  return {
    notificationId: record.id,
    subscriptionId: record.subscriptionId,
    status: record.status,
    reason: record.reason,
    duplicatesDelivered: record.duplicatesDelivered,
    missedSent: record.missedSent,
  };
}

/** Joins a tenant's change log with the dispatcher's notification records. */
export function changeRecords(
  tenantId: string,
  changes: readonly ChangeEvent[],
  notifications: readonly NotificationRecord[],
): ChangeRecord[] {
  const bySeq = new Map<number, NotificationFate[]>();
  for (const record of notifications) {
    if (record.kind !== 'change' || record.tenantId !== tenantId || record.changeSeq === undefined) continue;
    const fates = bySeq.get(record.changeSeq) ?? [];
    fates.push(fateOf(record));
    bySeq.set(record.changeSeq, fates);
  }
  return changes.map((change) => ({
    changeId: `${tenantId}:${change.seq}`,
    tenantId,
    seq: change.seq,
    at: change.at.toISOString(),
    kind: change.kind,
    id: change.id,
    path: change.path,
    changeType: change.changeType,
    softDelete: change.softDelete,
    version: change.version,
    versionTag: versionTagOf(change.kind, change.after),
    notifications: bySeq.get(change.seq) ?? [],
  }));
}

/** Response annotations are not resource state. */
function isAnnotation(key: string): boolean {
  return key === '@odata.context' || key === '@odata.type';
}

/**
 * The version of the resource at `path` that `body` shows, or undefined when no version of it looks like
 * that: by the kind's version property when the body has it, otherwise the newest version whose properties
 * include every property of `body` with the same value. Paths compare case-insensitively (sinks may lower-case).
 */
export function versionShownBy(changes: readonly ChangeEvent[], path: string, body: JsonObject): number | undefined {
  const wanted = path.toLowerCase();
  const history = changes.filter((change) => change.path.toLowerCase() === wanted && change.after !== undefined);
  const kind = history[0]?.kind;
  if (kind === undefined) return undefined;
  const tag = versionTagOf(kind, body);
  const entries = Object.entries(body).filter(([key]) => !isAnnotation(key));
  for (let i = history.length - 1; i >= 0; i--) {
    const change = history[i];
    if (change?.after === undefined) continue;
    if (
      tag !== undefined
        ? versionTagOf(kind, change.after) === tag
        : entries.every(([key, value]) => isDeepStrictEqual(change.after?.[key], value))
    )
      return change.version;
  }
  return undefined;
}
