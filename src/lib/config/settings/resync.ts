/**
 * Resync: the safety net that catches up what Graph did not deliver. Graph admits it may drop change
 * notifications and sends `missed` only for Outlook resources, and not for every drop, so every
 * subscription whose resource kind has a delta query is resynced periodically (docs/subscriptions.md
 * #what-is-guaranteed). Events are caught up with calendarView delta, which needs a window.
 */
import type { EnvReader } from '../envReader';
import { defineSetting } from '../setting';

export const resyncSettings = {
  resyncIntervalMinutes: defineSetting({
    name: 'RESYNC_INTERVAL_MINUTES',
    description:
      'Every subscription whose resource kind has a delta query is resynced from its stored deltaLink about this often (jittered per subscription, a few per tenant per reconcile run, paused for a tenant while Graph throttles it). It bounds how long a change Graph dropped without a `missed` event stays out of the sink. 0 turns the safety net off.',
    default: '360',
    whenWrong:
      "Too high or 0: a dropped notification stays unmirrored that long (or until the resource changes again). Too low: more delta calls than needed, counted against Graph's throttling limits.",
  }),
  eventResyncWindowDays: defineSetting({
    name: 'EVENT_RESYNC_WINDOW_DAYS',
    description:
      'Resyncs of event subscriptions run calendarView delta over events starting from at least this many days ago to at least this many days ahead. The window moves on every this-many days, which starts a fresh (full) calendarView delta for it.',
    default: '90',
    whenWrong:
      'Too small: changes to events outside the window are not caught up after a dropped notification. Too large: each window move re-lists more events.',
  }),
} as const;

export interface ResyncConfig {
  /** 0 = no periodic resync. */
  readonly resyncIntervalMinutes: number;
  readonly eventResyncWindowDays: number;
}

export function readResyncConfig(env: EnvReader): ResyncConfig {
  const s = resyncSettings;
  const interval = env.integer(s.resyncIntervalMinutes, { min: 0, max: 10_080 * 4 });
  if (interval > 0 && interval < 15)
    env.problem(s.resyncIntervalMinutes, `must be 0 (off) or at least 15 minutes, got ${interval}`);
  return {
    resyncIntervalMinutes: interval,
    eventResyncWindowDays: env.integer(s.eventResyncWindowDays, { min: 1, max: 3_650 }),
  };
}
