import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNcrontab } from '../../../dev/local-host';

function nextAfter(expression: string, after: string): string {
  return parseNcrontab(expression).next(new Date(after)).toISOString();
}

describe('parseNcrontab', () => {
  it.each([
    ['0 */5 * * * *', '2026-01-01T00:02:30Z', '2026-01-01T00:05:00.000Z'],
    ['*/15 * * * * *', '2026-01-01T00:00:15Z', '2026-01-01T00:00:30.000Z'],
    ['0 0 */6 * * *', '2026-01-01T06:00:00Z', '2026-01-01T12:00:00.000Z'],
    ['0 30 9 * * 1-5', '2026-01-02T10:00:00Z', '2026-01-05T09:30:00.000Z'], // Friday after 09:30 → Monday
    ['0 0 0 1 1 *', '2026-06-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['5,10,50 0 0 * * *', '2026-01-01T00:00:10Z', '2026-01-01T00:00:50.000Z'],
    ['0 10-20/5 * * * *', '2026-01-01T00:16:00Z', '2026-01-01T00:20:00.000Z'],
    ['0 50/5 * * * *', '2026-01-01T00:51:00Z', '2026-01-01T00:55:00.000Z'], // a/s runs from a to the maximum
    ['0 0 12 * JAN-MAR mon', '2026-03-31T00:00:00Z', '2027-01-04T12:00:00.000Z'],
    ['0 0 0 29 2 *', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    // Day of month AND day of week, like NCrontab: the next Friday the 13th.
    ['0 0 0 13 * 5', '2026-01-01T00:00:00Z', '2026-02-13T00:00:00.000Z'],
  ])('"%s" after %s is %s', (expression, after, expected) => {
    expect(nextAfter(expression, after)).toBe(expected);
  });

  it('moves strictly forward from an exact occurrence and ignores milliseconds', () => {
    expect(nextAfter('0 * * * * *', '2026-01-01T00:01:00.000Z')).toBe('2026-01-01T00:02:00.000Z');
    expect(nextAfter('* * * * * *', '2026-01-01T00:01:00.999Z')).toBe('2026-01-01T00:01:01.000Z');
  });

  it.each([
    ['*/5 * * * *', 'expected 6 fields'],
    ['60 * * * * *', 'second value "60" is outside 0-59'],
    ['0 0 25 * * *', 'hour value "25" is outside 0-23'],
    ['0 0 0 0 * *', 'day value "0" is outside 1-31'],
    ['0 0 0 * 13 *', 'month value "13" is outside 1-12'],
    ['0 0 0 * * 7', 'day-of-week value "7" is outside 0-6'],
    ['0 */0 * * * *', 'step "0" must be a positive number'],
    ['0 20-10 * * * *', 'runs backwards'],
    ['0 0 0 30 2 *', 'it never fires'],
    ['0 0 0 ? * *', 'day value "?"'],
  ])('rejects "%s" (%s)', (expression, problem) => {
    expect(() => parseNcrontab(expression)).toThrow(
      expect.objectContaining({ code: 'ERR_LOCAL_HOST_SCHEDULE_INVALID' }) as Error,
    );
    expect(() => parseNcrontab(expression)).toThrow(problem);
  });

  it('finds exactly the first matching second (checked against a brute-force scan)', () => {
    const values = (min: number, max: number): fc.Arbitrary<string> =>
      fc.oneof(
        fc.constant('*'),
        fc.integer({ min, max }).map(String),
        fc.integer({ min: 1, max: 15 }).map((step) => `*/${step}`),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 4 }).map((list) => list.join(',')),
      );
    // Hours, days, months stay '*' so a match is always within the hour the scan covers.
    const expression = fc.tuple(values(0, 59), values(0, 59)).map(([second, minute]) => `${second} ${minute} * * * *`);
    const instant = fc.date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2030-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(expression, instant, (text, after) => {
        const schedule = parseNcrontab(text);
        const [secondField = '', minuteField = ''] = text.split(' ');
        const matches = (field: string, value: number): boolean =>
          field.split(',').some((item) => {
            const [range = '', step] = item.split('/');
            const [low, high] =
              range === '*'
                ? [0, 59]
                : range.includes('-')
                  ? range.split('-').map(Number)
                  : [Number(range), step === undefined ? Number(range) : 59];
            return value >= (low ?? 0) && value <= (high ?? 0) && (value - (low ?? 0)) % Number(step ?? 1) === 0;
          });
        let expected: number | undefined;
        for (
          let t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
          t <= after.getTime() + 3600_000 + 1000;
          t += 1000
        ) {
          const date = new Date(t);
          if (matches(secondField, date.getUTCSeconds()) && matches(minuteField, date.getUTCMinutes())) {
            expected = t;
            break;
          }
        }
        expect(schedule.next(after).getTime()).toBe(expected);
      }),
      { numRuns: 200 },
    );
  });
});
