import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_CONTAINERS_PER_REQUEST,
  MAX_ITEMS_PER_REQUEST,
  NotificationTooManyItems,
  parseNotificationCollection,
  SHORTEST_BODY_OVER_A_CAP,
} from '../../../src/lib/notifications';
import { nestedJson } from '../../support/hostileInput';

const LIMIT_BYTES = 64 * 1024 * 1024;
const bytes = (text: string) => new TextEncoder().encode(text);
const parse = (text: string) => parseNotificationCollection('application/json', bytes(text), LIMIT_BYTES);
const items = (count: number, item = '{}') => Array.from({ length: count }, () => item).join(',');

describe('the item cap', () => {
  it(`takes ${MAX_ITEMS_PER_REQUEST} items and refuses one more, before parsing`, () => {
    expect(parse(`{"value":[${items(MAX_ITEMS_PER_REQUEST)}]}`).rawItems).toHaveLength(MAX_ITEMS_PER_REQUEST);
    expect(() => parse(`{"value":[${items(MAX_ITEMS_PER_REQUEST + 1)}]}`)).toThrow(NotificationTooManyItems);
    // Refused before JSON.parse: a body that is not even JSON past the cap gets the same answer.
    expect(() => parse(`{"value":[${items(MAX_ITEMS_PER_REQUEST + 1)},`)).toThrow(NotificationTooManyItems);
  });

  it('refuses the shortest body past the item cap: one byte per item and a separator before each', () => {
    const shortest = `[${items(MAX_ITEMS_PER_REQUEST + 1, '1')}`;
    expect(shortest).toHaveLength(SHORTEST_BODY_OVER_A_CAP);
    // The count is skipped only below this length: a body this long is still counted and refused.
    expect(() => parse(shortest)).toThrow(NotificationTooManyItems);
  });

  it('refuses 1.3 million empty items (3.9 MB) with ERR_INGEST_TOO_MANY_ITEMS', () => {
    const body = `{"value":[${items(1_300_000)}]}`;
    expect(body.length).toBeGreaterThan(3_900_000);
    expect(() => parse(body)).toThrow(expect.objectContaining({ code: 'ERR_INGEST_TOO_MANY_ITEMS' }));
  });

  it('counts a key spelled with escapes, repeated keys and a top-level array', () => {
    expect(() => parse(`{"\\u0076alue":[${items(MAX_ITEMS_PER_REQUEST + 1, '1')}]}`)).toThrow(NotificationTooManyItems);
    const half = items(MAX_ITEMS_PER_REQUEST / 2 + 1, '"x"');
    expect(() => parse(`{"value":[${half}],"value":[${half}]}`)).toThrow(NotificationTooManyItems);
    expect(() => parse(`[${items(MAX_ITEMS_PER_REQUEST + 1, 'null')}]`)).toThrow(NotificationTooManyItems);
  });

  it('refuses more JSON objects and arrays than eight per allowed item, wherever they are', () => {
    const hidden = `{"value":[{}],"other":[${items(MAX_CONTAINERS_PER_REQUEST)}]}`;
    expect(() => parse(hidden)).toThrow(NotificationTooManyItems);
    // One item nested 6,000 deep is no flood: ingest refuses that item on its own (MAX_ITEM_DEPTH).
    expect(parse(`{"value":[${nestedJson(6_000)},{}]}`).rawItems).toHaveLength(2);
  });

  it('counts exactly the items of value, whatever the items and the other keys hold', () => {
    const json = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value));
    fc.assert(
      fc.property(
        fc.array(json, { maxLength: 20 }),
        fc.array(json, { maxLength: 5 }),
        fc.constantFrom(' ', '\n', '', '\t\r\n '),
        (tail, other, space) => {
          const total = MAX_ITEMS_PER_REQUEST - 10 + tail.length;
          const value = `[${space}${[items(MAX_ITEMS_PER_REQUEST - 10, '{"a":"],[{\\"\\\\"}'), ...tail].join(`${space},${space}`)}${space}]`;
          const body = `{${space}"x":${space}[${other.join(',')}],"value"${space}:${space}${value},"y":[${other.join(',')}]}`;
          if (total > MAX_ITEMS_PER_REQUEST) expect(() => parse(body)).toThrow(NotificationTooManyItems);
          else expect(parse(body).rawItems).toHaveLength(total);
        },
      ),
      { numRuns: 100 },
    );
  });
});
