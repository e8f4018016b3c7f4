/**
 * Settings whose names are not the app's but nearly are (`NOTIFICATIONS_URL` for `NOTIFICATION_URL`,
 * `graph_client_id` for `GRAPH_CLIENT_ID`): such a setting is otherwise ignored without a word, and the app
 * runs on the default or fails on a "missing" setting that the operator believes is set. The app logs these
 * once at start (src/index.ts), the CLI prints them, `npm run dev` prints them for its settings file.
 */
import { allSettings } from './catalogue';
import type { Environment } from './envReader';

export interface MisspeltSetting {
  /** The name as given. */
  readonly given: string;
  /** The app's setting it most likely means. */
  readonly meant: string;
}

const KNOWN = allSettings.map((setting) => setting.name);
/** Each known name with its upper-case spelling, compared against once per name the environment holds. */
const KNOWN_UPPER = KNOWN.map((name) => ({ name, upper: name.toUpperCase() }));

/**
 * Edits (insert, delete, replace, swap two neighbours) between two strings, optimal string alignment distance, or
 * `limit + 1` as soon as it is sure to exceed `limit` (no later row can be cheaper than the cheapest cell of this one).
 */
function editDistance(a: string, b: string, limit: number): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    let cheapest = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((previous[j] ?? i) + 1, (current[j - 1] ?? i) + 1, (previous[j - 1] ?? i) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, (beforePrevious[j - 2] ?? i) + 1);
      current.push(best);
      cheapest = Math.min(cheapest, best);
    }
    if (cheapest > limit) return limit + 1;
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] ?? limit + 1;
}

/** Edits a name of this length may be away from a known one and still count as a slip: 1 for short names, 2 from 10 characters. */
function tolerance(name: string): number {
  return name.length >= 10 ? 2 : 1;
}

/** The app's setting that `name` nearly spells (ignoring case), or undefined. */
export function meantSetting(name: string): string | undefined {
  if (KNOWN.includes(name)) return undefined;
  const upper = name.toUpperCase();
  let best: { name: string; distance: number } | undefined;
  for (const known of KNOWN_UPPER) {
    const allowed = tolerance(known.name);
    // An edit changes the length by one at most: most pairs are ruled out here, without the quadratic table (an
    // environment on Azure holds a hundred names or more, all checked at start).
    if (Math.abs(upper.length - known.upper.length) > allowed) continue;
    const distance = editDistance(upper, known.upper, allowed);
    if (distance <= allowed && (best === undefined || distance < best.distance)) best = { name: known.name, distance };
  }
  return best?.name;
}

/** Every set name in `environment` that is not the app's but nearly spells one of its settings. */
export function misspeltSettings(environment: Environment): MisspeltSetting[] {
  return Object.keys(environment)
    .filter((name) => environment[name] !== undefined)
    .flatMap((given) => {
      const meant = meantSetting(given);
      return meant === undefined ? [] : [{ given, meant }];
    })
    .sort((a, b) => a.given.localeCompare(b.given));
}

/** One line per misspelt setting, naming both (never a value). */
export function describeMisspeltSettings(environment: Environment): string[] {
  return misspeltSettings(environment).map(
    ({ given, meant }) => `Unknown setting ${given} is ignored: did you mean ${meant}?`,
  );
}
