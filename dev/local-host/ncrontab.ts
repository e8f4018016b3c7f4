/**
 * NCRONTAB schedules as the Functions timer trigger reads them: six fields
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, each `*`, a number, a range `a-b`, a step
 * `*\/s`, `a-b/s` or `a/s` (from a to the field's maximum), or a comma list of those; months and days
 * of the week also by their three-letter English names. Like the NCrontab library the host uses, a
 * time matches only when the day of the month AND the day of the week both match (classic cron would
 * take either). Times are UTC, the host's zone on Azure unless WEBSITE_TIME_ZONE says otherwise.
 */
import { LocalHostError } from './errors';

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day-of-week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

/** A schedule that can fire at all does so within 28 years (the Gregorian weekday cycle). */
const SEARCH_HORIZON_MS = 29 * 366 * 24 * 3600 * 1000;

export interface CronSchedule {
  readonly expression: string;
  /** The first whole second strictly after `after` that the schedule matches. */
  next(after: Date): Date;
}

function invalid(expression: string, problem: string): LocalHostError {
  return new LocalHostError('ERR_LOCAL_HOST_SCHEDULE_INVALID', `Invalid NCRONTAB schedule "${expression}": ${problem}`);
}

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const byName = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  const value = byName >= 0 ? byName + spec.min : /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw invalid(expression, `${spec.name} value "${text}" is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): boolean[] {
  const allowed = new Array<boolean>(spec.max + 1).fill(false);
  for (const item of text.split(',')) {
    const [range = '', stepText, ...extra] = item.split('/');
    if (extra.length > 0 || range === '') throw invalid(expression, `${spec.name} item "${item}" is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1)
        throw invalid(expression, `${spec.name} step "${stepText}" must be a positive number`);
      step = Number(stepText);
    }
    let low: number;
    let high: number;
    if (range === '*') {
      low = spec.min;
      high = spec.max;
    } else if (range.includes('-')) {
      const [lowText = '', highText = '', ...rest] = range.split('-');
      if (rest.length > 0) throw invalid(expression, `${spec.name} range "${range}" is malformed`);
      low = parseValue(lowText, spec, expression);
      high = parseValue(highText, spec, expression);
      if (low > high) throw invalid(expression, `${spec.name} range "${range}" runs backwards`);
    } else {
      low = parseValue(range, spec, expression);
      // `a/s` means every s-th value from a to the maximum; a lone `a` is just a.
      high = stepText === undefined ? low : spec.max;
    }
    for (let value = low; value <= high; value += step) allowed[value] = true;
  }
  return allowed;
}

class NcrontabSchedule implements CronSchedule {
  readonly expression: string;
  readonly #fields: readonly boolean[][];

  constructor(expression: string, fields: readonly boolean[][]) {
    this.expression = expression;
    this.#fields = fields;
  }

  #allows(field: number, value: number): boolean {
    return this.#fields[field]?.[value] === true;
  }

  /** The next match, or undefined when none exists within the search horizon. */
  tryNext(after: Date): Date | undefined {
    const limit = after.getTime() + SEARCH_HORIZON_MS;
    const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
    while (t.getTime() <= limit) {
      if (!this.#allows(4, t.getUTCMonth() + 1)) {
        t.setUTCMonth(t.getUTCMonth() + 1, 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!this.#allows(3, t.getUTCDate()) || !this.#allows(5, t.getUTCDay())) {
        t.setUTCDate(t.getUTCDate() + 1);
        t.setUTCHours(0, 0, 0, 0);
      } else if (!this.#allows(2, t.getUTCHours())) {
        t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      } else if (!this.#allows(1, t.getUTCMinutes())) {
        t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      } else if (!this.#allows(0, t.getUTCSeconds())) {
        t.setUTCSeconds(t.getUTCSeconds() + 1, 0);
      } else {
        return t;
      }
    }
    return undefined;
  }

  next(after: Date): Date {
    const next = this.tryNext(after);
    if (next === undefined) throw invalid(this.expression, `no occurrence after ${after.toISOString()}`);
    return next;
  }
}

/** Parses a six-field NCRONTAB expression; throws `ERR_LOCAL_HOST_SCHEDULE_INVALID` naming the problem. */
export function parseNcrontab(expression: string): CronSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw invalid(
      expression,
      `expected 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}", got ${parts.length}` +
        (parts.length === 5 ? ' (add a seconds field in front)' : ''),
    );
  }
  const fields = FIELDS.map((spec, index) => parseField(parts[index] ?? '', spec, expression));
  const schedule = new NcrontabSchedule(expression.trim(), fields);
  // Reject schedules that can never fire (30 February) now rather than on the first tick.
  if (schedule.tryNext(new Date('2000-01-01T00:00:00Z')) === undefined) throw invalid(expression, 'it never fires');
  return schedule;
}
