/**
 * Which part of the app needs which settings, so a bad setting takes down only what needs it. The typical
 * case is the first deployment: a Key Vault reference the platform has not resolved yet (the secret is
 * written after the app starts) reaches the app as its literal text. When that is only NOTIFICATION_URL,
 * the webhooks and processing keep working and only subscription management answers an error.
 *
 * A part is available when none of the setting areas it reads (`catalogue.ts`) has a problem. The
 * health answer (`GET /api/health`) and the start-up log are built from `assessConfiguration`.
 */
import { ConfigurationInvalid } from '../shared/errors';
import { settingAreas } from './catalogue';
import { formatProblem, type SettingProblem, type UnresolvedReference } from './envReader';

export const APP_PARTS = ['ingest', 'processing', 'subscriptions', 'telemetry'] as const;
export type AppPart = (typeof APP_PARTS)[number];

/** The setting areas each part reads, and how the part is named in errors. */
export const PART_REQUIREMENTS: Readonly<
  Record<AppPart, { readonly title: string; readonly areas: readonly string[] }>
> = {
  ingest: { title: 'Ingest (the notification and lifecycle webhooks)', areas: ['Storage', 'Ingest'] },
  processing: { title: 'Processing (the notifications queue)', areas: ['Storage', 'Graph', 'Processing'] },
  subscriptions: {
    title: 'Subscription management (the management API, the reconciler and lifecycle handling)',
    areas: ['Storage', 'Graph', 'Processing', 'Subscriptions', 'Delivery routes'],
  },
  telemetry: { title: 'Telemetry export', areas: ['Telemetry'] },
};

const areaOfSetting = new Map(
  settingAreas.flatMap(({ area, settings }) => Object.values(settings).map((setting) => [setting.name, area] as const)),
);

/** The parts a problem takes down; a setting outside the catalogue takes down every part. */
export function partsAffectedBy(problem: SettingProblem): AppPart[] {
  const area = areaOfSetting.get(problem.setting);
  return APP_PARTS.filter((part) => area === undefined || PART_REQUIREMENTS[part].areas.includes(area));
}

export interface HealthProblem {
  readonly setting: string;
  readonly problem: string;
  readonly unresolvedReference?: UnresolvedReference;
  readonly affects: readonly AppPart[];
}

export interface ConfigurationHealth {
  /** healthy: everything works; degraded: ingest and processing work, something else does not; unhealthy: ingest or processing does not. */
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly available: Readonly<Record<AppPart, boolean>>;
  /** Settings only by name; a message never holds a secret value. */
  readonly problems: readonly HealthProblem[];
}

export function assessConfiguration(problems: readonly SettingProblem[]): ConfigurationHealth {
  const described = problems.map((problem) => ({
    setting: problem.setting,
    problem: problem.message,
    ...(problem.unresolvedReference === undefined ? {} : { unresolvedReference: problem.unresolvedReference }),
    affects: partsAffectedBy(problem),
  }));
  const available = Object.fromEntries(
    APP_PARTS.map((part) => [part, !described.some((problem) => problem.affects.includes(part))]),
  ) as Record<AppPart, boolean>;
  const status =
    !available.ingest || !available.processing ? 'unhealthy' : described.length > 0 ? 'degraded' : 'healthy';
  return { status, available, problems: described };
}

/** The error a part answers with while its settings are broken, naming only its own problems; undefined when it is available. */
export function partUnavailable(part: AppPart, problems: readonly SettingProblem[]): ConfigurationInvalid | undefined {
  return areasUnavailable(PART_REQUIREMENTS[part], problems);
}

/**
 * The same for any user of some setting areas (a CLI command reads only what it uses): the problems of those
 * areas, and of settings outside the catalogue, as one error titled `title`; undefined when there are none.
 */
export function areasUnavailable(
  user: { readonly title: string; readonly areas: readonly string[] },
  problems: readonly SettingProblem[],
): ConfigurationInvalid | undefined {
  const own = problems.filter((problem) => {
    const area = areaOfSetting.get(problem.setting);
    return area === undefined || user.areas.includes(area);
  });
  return own.length === 0 ? undefined : new ConfigurationInvalid(own.map(formatProblem), user.title);
}
