/**
 * Rules several resource kinds share, kept in one place so that a kind says only what sets it apart. It imports
 * the `ResourceKind` type alone, so every family module and the registry (resourceKinds.ts) can use it without an
 * import cycle at run time.
 */
import type { ResourceKind } from '../resourceKinds';

/** A kind whose collection Graph offers no delta for: a resync has nothing to page (`resyncCoverage: 'none'`). */
export const NO_RESYNC = {
  resyncDeltaPath: undefined,
  resyncCoverage: 'none',
  resyncItemPath: undefined,
  resyncListsAllOf: () => undefined,
} as const satisfies Partial<ResourceKind>;

/** Read by id on every notification, no rich content, no lifecycle URL required, nothing to resync. */
export const READ_BY_ID_NO_DELTA = {
  richMaxLifetimeMinutes: undefined,
  lifecycleRequiredAboveMinutes: undefined,
  supportsRichNotifications: false,
  retrieval: { kind: 'byId' },
  ...NO_RESYNC,
} as const satisfies Partial<ResourceKind>;
