import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeResourceId,
  encodeResourceId,
  hasUnsafeCanonicalId,
  isDotSegment,
  kindOfNotificationResource,
  kindOfSubscriptionResource,
  normalizeResourcePath,
  sinkBlobName,
} from '../../../src/lib/resources';
import {
  HASHED_FOLDER,
  isNavigationName,
  MAX_BLOB_NAME_CHARS,
  MAX_BLOB_PATH_SEGMENTS,
} from '../../../src/lib/resources/resourcePath';

describe('normalizeResourcePath', () => {
  it.each([
    ['Outlook basic casing', 'Users/622eaaff-0683/Messages/AAMkAGUw=', 'users/622eaaff-0683/messages/AAMkAGUw='],
    ['Outlook rich form', "Users('622eaaff-0683')/messages('AAMkAGUw=')", 'users/622eaaff-0683/messages/AAMkAGUw='],
    ['drive root with trailing slash', 'drives/b!AbC/root/', 'drives/b!AbC/root'],
    ['leading slash and query', "/me/mailfolders('inbox')/messages?$select=id", 'me/mailfolders/inbox/messages'],
    [
      'Teams reply with a thread id',
      "teams('T1')/channels('19:abc@thread.skype')/messages('1')/replies('2')",
      'teams/T1/channels/19:abc@thread.skype/messages/1/replies/2',
    ],
    ['an id with a slash inside quotes', "users('u1')/messages('a/b')", 'users/u1/messages/a%2Fb'],
    ['an escaped quote', "users('o''brien')", "users/o'brien"],
    ['a dot-dot id', 'users/..', 'users/%2E%2E'],
  ])('%s', (_case, input, expected) => {
    expect(normalizeResourcePath(input)).toBe(expected);
  });

  it('maps the basic and the rich form of one resource to the same path', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9=_-]{1,40}$/),
        fc.stringMatching(/^[A-Za-z0-9=_-]{1,60}$/),
        (user, message) => {
          expect(normalizeResourcePath(`Users/${user}/Messages/${message}`)).toBe(
            normalizeResourcePath(`Users('${user}')/messages('${message}')`),
          );
        },
      ),
    );
  });

  it('never produces an empty, absolute, parent-escaping or query-carrying path segment', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (input) => {
        const path = normalizeResourcePath(input);
        expect(path.startsWith('/')).toBe(false);
        for (const segment of path === '' ? [] : path.split('/')) {
          expect(segment).not.toBe('');
          expect(segment).not.toBe('..');
          // eslint-disable-next-line no-control-regex -- control characters must never survive into a blob path
          expect(segment).not.toMatch(/[?#\\\u0000-\u001f]/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it.each([['#()'], ["a\\b('x')"], ["users('')/x"]])('keeps even odd input %s path-safe', (input) => {
    expect(
      normalizeResourcePath(input)
        .split('/')
        .every((segment) => segment !== '' && !/[#\\]/.test(segment)),
    ).toBe(true);
  });
});

/** One Graph resource as structure: navigation names (lower-case) each with an optional key. */
type Structure = readonly { readonly nav: string; readonly id: string | undefined }[];

const NAVIGATION = [
  'users',
  'messages',
  'mailFolders',
  'childFolders',
  'events',
  'contacts',
  'drives',
  'root',
  'items',
  'chats',
  'teams',
  'channels',
  'replies',
];
/** Any UTF-16 string, lone surrogates and control characters included, that Graph's grammar would read as an id. */
const anyId = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((id) => !isNavigationName(id));
const structure: fc.Arbitrary<Structure> = fc.array(
  fc.record({ nav: fc.constantFrom(...NAVIGATION), id: fc.option(anyId, { nil: undefined }) }),
  { minLength: 1, maxLength: 6 },
);
/** How each step is spelled: name casing, and `nav/id`, `nav('id')` or `nav(id)` when the id allows it. */
const spelling = fc.array(fc.record({ upper: fc.boolean(), form: fc.constantFrom('slash', 'quoted', 'bare') }), {
  minLength: 6,
  maxLength: 6,
});

function render(resource: Structure, spell: readonly { upper: boolean; form: string }[]): string {
  return resource
    .map(({ nav, id }, index) => {
      const { upper, form } = spell[index] ?? { upper: false, form: 'quoted' };
      const name = upper ? nav.toUpperCase() : nav;
      if (id === undefined) return name;
      const plain = !/[/?'()]/.test(id);
      if (form === 'slash' && plain) return `${name}/${id}`;
      if (form === 'bare' && plain) return `${name}(${id})`;
      return `${name}('${id.replace(/'/g, "''")}')`;
    })
    .join('/');
}

const canonical = (resource: Structure): string =>
  JSON.stringify(resource.map(({ nav, id }) => [nav.toLowerCase(), id ?? null]));

describe('the sink key', () => {
  it('is injective: two resources share a key exactly when they are the same resource, however spelled', () => {
    fc.assert(
      fc.property(structure, structure, spelling, spelling, (a, b, spellA, spellB) => {
        expect(normalizeResourcePath(render(a, spellA))).toBe(normalizeResourcePath(render(a, spellB)));
        expect(normalizeResourcePath(render(a, spellA)) === normalizeResourcePath(render(b, spellB))).toBe(
          canonical(a) === canonical(b),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('never merges two resources that differ by one id, whatever characters the ids hold', () => {
    fc.assert(
      fc.property(structure, anyId, anyId, (resource, first, second) => {
        fc.pre(first !== second);
        const at = (id: string): Structure => [...resource, { nav: 'messages', id }];
        expect(normalizeResourcePath(render(at(first), []))).not.toBe(normalizeResourcePath(render(at(second), [])));
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes ids reversibly and path-safe', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (id) => {
        expect(decodeResourceId(encodeResourceId(id))).toBe(id);
        expect(encodeResourceId(id)).not.toMatch(/[/?#\\]/);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['a key after an id from a nested path', "users/x('y')", 'users/x/y'],
    ['a quoted id holding a slash from two ids', "users('a/b')", 'users/a/b'],
    ['a quoted id holding a query mark from its prefix', "users('a?b')", 'users/a'],
    ['an id with a trailing space from one without', 'users/x ', 'users/x'],
    ['a lone surrogate from the replacement character', 'users/\ud800', 'users/\ufffd'],
  ])('keeps %s', (_case, first, second) => {
    expect(normalizeResourcePath(first)).not.toBe(normalizeResourcePath(second));
  });

  it('lower-cases the tenant id: one resource, one blob, whatever casing the notification used', () => {
    fc.assert(
      fc.property(fc.uuid(), structure, (tenant, resource) => {
        const path = normalizeResourcePath(render(resource, []));
        expect(sinkBlobName(tenant.toUpperCase(), path)).toBe(sinkBlobName(tenant, path));
        expect(sinkBlobName(tenant, path).startsWith(`${tenant.toLowerCase()}/`)).toBe(true);
      }),
    );
  });

  it("gives names beyond Azure's limits a stable hashed form that fits, distinct for distinct paths", () => {
    const longId = fc
      .string({ minLength: 1_000, maxLength: 3_000 })
      .map((id): Structure => [{ nav: 'users', id: `u${id.replace(/[/?']/g, 'x')}` }]);
    const deep = fc
      .integer({ min: 130, max: 400 })
      .map((n): Structure => Array.from({ length: n }, (_, i) => ({ nav: 'items', id: `i${i}` })));
    fc.assert(
      fc.property(
        fc.uuid(),
        fc.oneof(longId, deep),
        fc.string({ minLength: 1, maxLength: 5 }),
        (tenant, resource, suffix) => {
          const path = normalizeResourcePath(render(resource, []));
          const name = sinkBlobName(tenant, path);

          expect(name.length).toBeLessThanOrEqual(MAX_BLOB_NAME_CHARS);
          expect(name.split('/').length).toBeLessThanOrEqual(MAX_BLOB_PATH_SEGMENTS);
          expect(name).toMatch(new RegExp(`^${tenant.toLowerCase()}/${HASHED_FOLDER}/[0-9a-f]{64}\\.json$`));
          expect(sinkBlobName(tenant, path)).toBe(name);
          expect(sinkBlobName(tenant, `${path}/${encodeResourceId(suffix)}`)).not.toBe(name);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('keeps every name within the limits readable as {tenant}/{path}.json', () => {
    expect(sinkBlobName('72F988BF-86F1-41AF-91AB-2D7CD011DB47', 'users/u1/messages/AAMk=')).toBe(
      '72f988bf-86f1-41af-91ab-2d7cd011db47/users/u1/messages/AAMk=.json',
    );
  });
});

describe('resource kinds', () => {
  it.each([
    ['users', 'user'],
    ['groups', 'group'],
    ['users/u1/messages', 'message'],
    ["me/mailFolders('inbox')/messages", 'message'],
    ['users/u1/events', 'event'],
    ['users/u1/contacts', 'contact'],
    ['drives/b!1/root', 'driveRoot'],
    ["chats('19:x')/messages", 'chatMessage'],
    ['teams/t/channels/c/messages', 'channelMessage'],
  ])('knows the subscription resource %s as %s', (resource, kind) => {
    expect(kindOfSubscriptionResource(resource)?.name).toBe(kind);
  });

  it.each([
    ['Users/u1', 'user'],
    ['Users/u1/Messages/m1', 'message'],
    ['drives/b!1/root/', 'driveRoot'],
    ["teams('t')/channels('c')/messages('1')/replies('2')", 'channelMessage'],
  ])('knows the notification resource %s as %s', (resource, kind) => {
    expect(kindOfNotificationResource(resource)?.name).toBe(kind);
  });

  it('knows nothing of unsupported resources', () => {
    expect(kindOfSubscriptionResource('print/printers')).toBeUndefined();
    expect(kindOfNotificationResource('solutions/virtualEvents/events/a1')).toBeUndefined();
  });
});

describe('hasUnsafeResourceId', () => {
  it.each([
    ['an id ..', 'Users/u1/Messages/..', true],
    ['an id .', 'Users/u1/Messages/.', true],
    ['a quoted ..', "Users('u1')/messages('..')", true],
    ['a percent-encoded ..', 'Users/u1/Messages/%2E%2E', true],
    ['half encoded, lower case', 'Users/u1/Messages/.%2e', true],
    ["IIS's %u form", 'Users/u1/Messages/%u002E%u002E', true],
    ['an encoded slash', 'Users/u1/Messages/a%2F..%2Fb', true],
    ['an encoded backslash', 'Users/u1/Messages/a%5Cb', true],
    ['a backslash', 'Users/u1/Messages/a\\b', true],
    ['a slash inside quotes', "users('u1')/messages('a/b')", true],
    ['dots inside an id', 'Users/u1/Messages/a..b', false],
    ['a base64 id', 'Users/622eaaff-0683/Messages/AAMkAGUw+AAA=', false],
    ['an encoded space', 'Users/u1/Messages/a%20b', false],
    ['a thread id', "chats('19:abc@thread.v2')/messages('1')", false],
  ])('%s: %s', (_case, resource, unsafe) => {
    expect(hasUnsafeCanonicalId(normalizeResourcePath(resource))).toBe(unsafe);
  });

  it("agrees with a segment-by-segment reading of any path (its shortcut: no '%', nothing unsafe)", () => {
    const unsafeSegment = (segment: string): boolean => {
      const id = decodeResourceId(segment);
      return isDotSegment(id) || /[/\\]/.test(id) || /%(?:u00)?(2f|5c)/i.test(id);
    };
    fc.assert(
      fc.property(
        fc.string({
          maxLength: 80,
          unit: fc.constantFrom('a', '.', '/', '\\', '%', '2', 'e', 'F', 'u', '0', "'", '(', ')'),
        }),
        (resource) => {
          const canonical = normalizeResourcePath(resource);
          expect(hasUnsafeCanonicalId(canonical)).toBe(canonical.split('/').some(unsafeSegment));
        },
      ),
    );
  });
});
