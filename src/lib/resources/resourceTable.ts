/**
 * The resource table as operators read it (`graph-notify resources`, docs/resources.md): one row per kind,
 * the registry's rules next to the facts of `RESOURCE_KIND_FACTS`.
 */
import { RESOURCE_KIND_FACTS } from './families/catalogue';
import {
  RESOURCE_KINDS,
  UNLISTED_KIND,
  type ResourceKind,
  type ResourceKindName,
  type ResourceLevel,
} from './resourceKinds';

export interface ResourceTableRow {
  readonly kind: ResourceKindName;
  readonly family: string;
  readonly level: ResourceLevel;
  readonly forms: readonly string[];
  readonly maxLifetimeMinutes: number;
  readonly changeTypes: string;
  /** `above 60 min` when Graph requires a lifecycle URL past that lifetime, else `optional`. */
  readonly lifecycleUrl: string;
  /** `no`, `yes`, or `yes, $select required, max {n} min` (Outlook). */
  readonly rich: string;
  readonly delta: boolean;
  readonly permission: string;
  readonly page: string;
}

function rowOf(kind: ResourceKind): ResourceTableRow {
  const facts = RESOURCE_KIND_FACTS[kind.name];
  const outlook = kind.richMaxLifetimeMinutes !== undefined;
  return {
    kind: kind.name,
    family: facts.family,
    level: kind.level,
    forms: facts.forms,
    maxLifetimeMinutes: kind.maxLifetimeMinutes,
    changeTypes: kind.allowedChangeTypes.join(','),
    lifecycleUrl:
      kind.lifecycleRequiredAboveMinutes === undefined ? 'optional' : `above ${kind.lifecycleRequiredAboveMinutes} min`,
    rich: !kind.supportsRichNotifications
      ? 'no'
      : outlook
        ? `yes, $select required, max ${kind.richMaxLifetimeMinutes} min`
        : 'yes',
    delta: kind.resyncDeltaPath !== undefined,
    permission: facts.permission,
    page: facts.page,
  };
}

/** Every listed kind, then the unlisted opt-in. */
export function resourceTable(): ResourceTableRow[] {
  return [...RESOURCE_KINDS, UNLISTED_KIND].map(rowOf);
}
