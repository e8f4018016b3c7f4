import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  GraphAccessDenied,
  GraphAuthenticationFailed,
  GraphClient,
  GraphDeltaResyncRequired,
  GraphRequestFailed,
  GraphResourceNotFound,
  GraphResponseInvalid,
  GraphThrottled,
  GraphUnavailable,
  isTransientGraphError,
  parseRetryAfter,
  type GraphClientOptions,
  type GraphDeltaPage,
  type GraphReadResult,
  type GraphRequestRecord,
} from '../../../src/lib/graph';
import { ManualClock } from '../../../src/lib/shared/clock';
import { graphErrorBody, startFakeGraph, type FakeGraph, type RecordedRequest } from './fakeGraph';

const TENANT = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let graph: FakeGraph;
let records: GraphRequestRecord[];
const tokensAsked: string[] = [];

beforeAll(async () => {
  graph = await startFakeGraph();
});

afterAll(async () => {
  await graph.close();
});

beforeEach(() => {
  graph.requests.length = 0;
  records = [];
  tokensAsked.length = 0;
});

function client(overrides: Partial<GraphClientOptions> = {}): GraphClient {
  return new GraphClient({
    baseUrl: graph.baseUrl,
    timeoutMs: 2_000,
    tokens: {
      getToken: (tenantId) => {
        tokensAsked.push(tenantId);
        return Promise.resolve(`token-for-${tenantId}`);
      },
    },
    onRequest: (record) => records.push(record),
    ...overrides,
  });
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('GraphClient.get', () => {
  it('sends the tenant token and a fresh client-request-id, and returns the entity with etag and request-id', async () => {
    graph.handle(() => ({
      body: { id: 'm1', subject: 'hello', '@odata.etag': 'W/"CQAAAB"' },
      headers: { 'request-id': 'graph-req-1' },
    }));
    const graphClient = client();

    const first = await graphClient.get(TENANT, "/users/u1/messages('m1')?$select=subject");
    await graphClient.get(TENANT, '/users/u1');

    expect(first).toMatchObject({
      status: 200,
      body: { id: 'm1', subject: 'hello' },
      etag: 'W/"CQAAAB"',
      requestId: 'graph-req-1',
    });
    const [sent, second] = graph.requests as [RecordedRequest, RecordedRequest];
    expect(sent.url).toBe("/v1.0/users/u1/messages('m1')?$select=subject");
    expect(sent.headers.authorization).toBe(`Bearer token-for-${TENANT}`);
    expect(sent.headers['client-request-id']).toMatch(UUID);
    expect(second.headers['client-request-id']).not.toBe(sent.headers['client-request-id']);
    expect(first.clientRequestId).toBe(sent.headers['client-request-id']);
    expect(records[0]).toMatchObject({
      tenantId: TENANT,
      method: 'GET',
      path: "/users/u1/messages('m1')",
      status: 200,
      requestId: 'graph-req-1',
      clientRequestId: first.clientRequestId,
      operation: 'getResource',
      throttled: false,
    });
  });

  it.each([
    ['2.128', 2_128],
    ['10', 10_000],
    ['0', 0],
  ])(
    'turns 429 with Retry-After %s into GraphThrottled waiting %i ms, without retrying',
    async (header, expectedMs) => {
      graph.handle(() => ({
        status: 429,
        headers: { 'Retry-After': header },
        body: graphErrorBody('TooManyRequests', 'Please retry again later.'),
      }));

      const error = await failure(client().get(TENANT, '/users/u1'));

      expect(error).toBeInstanceOf(GraphThrottled);
      expect(error).toMatchObject({
        code: 'ERR_GRAPH_THROTTLED',
        status: 429,
        graphCode: 'TooManyRequests',
        retryAfterMs: expectedMs,
        retryAfterFromHeader: true,
        transient: true,
      });
      expect(graph.requests).toHaveLength(1);
      expect(records[0]).toMatchObject({ status: 429, throttled: true });
    },
  );

  it('uses the default backoff when 429 has no Retry-After', async () => {
    graph.handle(() => ({ status: 429, body: graphErrorBody('TooManyRequests') }));

    const error = await failure(client({ defaultRetryAfterMs: 1_234 }).get(TENANT, '/users/u1'));

    expect(error).toMatchObject({ retryAfterMs: 1_234, retryAfterFromHeader: false });
  });

  it('turns 503 with an HTTP-date Retry-After into GraphUnavailable with the remaining delay', async () => {
    const clock = new ManualClock('2026-03-01T10:00:00Z');
    graph.handle(() => ({
      status: 503,
      headers: { 'Retry-After': 'Sun, 01 Mar 2026 10:00:30 GMT' },
      body: graphErrorBody('serviceNotAvailable'),
    }));

    const error = await failure(client({ clock }).get(TENANT, '/users/u1'));

    expect(error).toBeInstanceOf(GraphUnavailable);
    expect(error).toMatchObject({
      code: 'ERR_GRAPH_UNAVAILABLE',
      reason: 'status',
      status: 503,
      retryAfterMs: 30_000,
      retryAfterFromHeader: true,
    });
    expect(records[0]?.throttled).toBe(true);
  });

  it.each([
    [504, GraphUnavailable, 'ERR_GRAPH_UNAVAILABLE', true],
    [500, GraphUnavailable, 'ERR_GRAPH_UNAVAILABLE', true],
    [404, GraphResourceNotFound, 'ERR_GRAPH_NOT_FOUND', false],
    [401, GraphAuthenticationFailed, 'ERR_GRAPH_AUTH_FAILED', false],
    [403, GraphAccessDenied, 'ERR_GRAPH_ACCESS_DENIED', false],
    [400, GraphRequestFailed, 'ERR_GRAPH_REQUEST_FAILED', false],
  ] as const)('maps %i to %o with code %s', async (status, type, code, transient) => {
    graph.handle(() => ({ status, body: graphErrorBody(`Code${status}`, `Message for ${status}`) }));

    const error = await failure(client().get(TENANT, '/users/u1?$select=id'));

    expect(error).toBeInstanceOf(type);
    expect(error).toMatchObject({ code, status, graphCode: `Code${status}`, transient, requestId: 'req-1' });
    expect(isTransientGraphError(error)).toBe(transient);
    expect((error as Error).message).toBe(
      `Graph GET /users/u1 answered ${status} Code${status}: Message for ${status}`,
    );
  });

  it('fails with a timeout when Graph does not answer in time', async () => {
    graph.handle(() => ({ hang: 'all' }));
    const started = Date.now();

    const error = await failure(client({ timeoutMs: 150 }).get(TENANT, '/users/u1'));

    expect(error).toBeInstanceOf(GraphUnavailable);
    expect(error).toMatchObject({ reason: 'timeout', transient: true });
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(records[0]?.status).toBeUndefined();
  });

  it('fails with a timeout when the body stalls after the headers', async () => {
    graph.handle(() => ({ hang: 'body', body: { id: 'x' } }));

    const error = await failure(client({ timeoutMs: 150 }).get(TENANT, '/users/u1'));

    expect(error).toMatchObject({ code: 'ERR_GRAPH_UNAVAILABLE', reason: 'timeout', status: 200 });
  });

  it('reports a refused connection as a network failure', async () => {
    const error = await failure(client({ baseUrl: 'http://127.0.0.1:1/v1.0' }).get(TENANT, '/users/u1'));

    expect(error).toMatchObject({ code: 'ERR_GRAPH_UNAVAILABLE', reason: 'network' });
  });

  it('rejects a 200 whose body is not JSON', async () => {
    graph.handle(() => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"id": ' }));

    const error = await failure(client().get(TENANT, '/users/u1'));

    expect(error).toBeInstanceOf(GraphResponseInvalid);
  });

  it('refuses an absolute or protocol-relative path, so the token cannot be sent elsewhere', async () => {
    const graphClient = client();

    await expect(graphClient.get(TENANT, 'https://evil.example/v1.0/users')).rejects.toThrow(TypeError);
    await expect(graphClient.get(TENANT, '//evil.example/users')).rejects.toThrow(TypeError);
    expect(tokensAsked).toHaveLength(0);
  });

  it('never sends a segment that resolves to . or .., which would read another resource (a user for a message)', async () => {
    graph.handle(() => ({ status: 200, body: { id: 'x' } }));
    const graphClient = client();
    const dotted = [
      '/users/u1/messages/..',
      '/users/u1/messages/%2E%2E',
      '/users/u1/messages/%2e.',
      '/users/u1/messages/%u002E%u002E?$select=id',
      '/users/u1/./messages/m1',
    ];

    for (const path of dotted) await expect(graphClient.get(TENANT, path)).rejects.toThrow(TypeError);
    await expect(
      graphClient.batchGet(TENANT, [{ path: '/users/u1/messages/m1' }, { path: dotted[1] ?? '' }]),
    ).rejects.toThrow(TypeError);
    expect(graph.requests).toEqual([]);
    // Dots inside an id or in the query string are no path segment of their own.
    await graphClient.get(TENANT, "/users/u1/messages/a..b?$filter=subject eq '..'");
    expect(graph.requests.map((request) => request.url)).toEqual([
      '/v1.0/users/u1/messages/a..b?$filter=subject%20eq%20%27..%27',
    ]);
  });
});

describe('GraphClient.send', () => {
  it('sends a JSON body with its content type and returns an empty body for 204', async () => {
    graph.handle((request) =>
      request.method === 'PATCH'
        ? { status: 200, body: { id: 's1', expirationDateTime: '2026-03-02T00:00:00Z' } }
        : { status: 204 },
    );
    const graphClient = client();

    const renewed = await graphClient.send(TENANT, {
      method: 'PATCH',
      path: '/subscriptions/s1',
      body: { expirationDateTime: '2026-03-02T00:00:00Z' },
      operation: 'renewSubscription',
    });
    const deleted = await graphClient.send(TENANT, { method: 'DELETE', path: '/subscriptions/s1' });

    expect(renewed.body).toEqual({ id: 's1', expirationDateTime: '2026-03-02T00:00:00Z' });
    expect(graph.requests[0]?.headers['content-type']).toBe('application/json');
    expect(graph.requests[0]?.body).toEqual({ expirationDateTime: '2026-03-02T00:00:00Z' });
    expect(deleted).toMatchObject({ status: 204, body: undefined });
    expect(records.map((record) => record.operation)).toEqual(['renewSubscription', undefined]);
  });
});

interface BatchRequestBody {
  requests: { id: string; method: string; url: string; headers?: Record<string, string> }[];
}

/** Answers each inner request through `answer`, in reverse order (Graph may answer in any order, docs/graph-protocol.md §7). */
function batchAnswering(answer: (url: string) => { status: number; headers?: Record<string, string>; body?: unknown }) {
  return (request: RecordedRequest) => {
    const { requests } = request.body as BatchRequestBody;
    return { body: { responses: requests.map((inner) => ({ id: inner.id, ...answer(inner.url) })).reverse() } };
  };
}

describe('GraphClient.batchGet', () => {
  it('reads 45 resources in three $batch calls of at most 20, results at the index of their request', async () => {
    graph.handle(
      batchAnswering((url) => ({
        status: 200,
        headers: { ETag: `"etag-${url}"` },
        body: { id: url.split('/').pop() },
      })),
    );
    const paths = Array.from({ length: 45 }, (_, index) => ({ path: `/users/u${index}` }));

    const results = await client().batchGet(TENANT, paths);

    expect(
      graph.requests.map((request) => [
        request.method,
        request.url,
        (request.body as BatchRequestBody).requests.length,
      ]),
    ).toEqual([
      ['POST', '/v1.0/$batch', 20],
      ['POST', '/v1.0/$batch', 20],
      ['POST', '/v1.0/$batch', 5],
    ]);
    expect((graph.requests[0]?.body as BatchRequestBody).requests[0]).toEqual({
      id: '1',
      method: 'GET',
      url: '/users/u0',
    });
    expect(results).toHaveLength(45);
    results.forEach((result, index) => {
      expect(result).toEqual({ ok: true, status: 200, body: { id: `u${index}` }, etag: `"etag-/users/u${index}"` });
    });
    expect(records.map((record) => [record.operation, record.items?.length])).toEqual([
      ['batch', 20],
      ['batch', 20],
      ['batch', 5],
    ]);
  });

  it('reports each item on its own: 404, 403 and 429 with its own Retry-After beside successes', async () => {
    graph.handle(
      batchAnswering((url) => {
        if (url.endsWith('/gone')) return { status: 404, body: graphErrorBody('ResourceNotFound') };
        if (url.endsWith('/secret')) return { status: 403, body: graphErrorBody('ErrorAccessDenied') };
        if (url.endsWith('/busy'))
          return { status: 429, headers: { 'Retry-After': '7' }, body: graphErrorBody('TooManyRequests') };
        return { status: 200, body: { id: 'ok', '@odata.etag': 'W/"1"' } };
      }),
    );

    const [ok, gone, secret, busy] = await client().batchGet(TENANT, [
      { path: '/me/ok' },
      { path: '/me/gone' },
      { path: '/me/secret' },
      { path: '/me/busy' },
    ]);

    expect(ok).toEqual({ ok: true, status: 200, body: { id: 'ok', '@odata.etag': 'W/"1"' }, etag: 'W/"1"' });
    expect(errorOf(gone)).toBeInstanceOf(GraphResourceNotFound);
    expect(errorOf(gone)).toMatchObject({ graphCode: 'ResourceNotFound', requestId: 'req-1' });
    expect(errorOf(secret)).toBeInstanceOf(GraphAccessDenied);
    expect(errorOf(busy)).toBeInstanceOf(GraphThrottled);
    expect(errorOf(busy)).toMatchObject({ retryAfterMs: 7_000, retryAfterFromHeader: true });
    expect(records[0]?.items).toEqual([
      { status: 200, throttled: false },
      { status: 404, throttled: false },
      { status: 403, throttled: false },
      { status: 429, throttled: true },
    ]);
  });

  it('passes per-request headers into the batch', async () => {
    graph.handle(batchAnswering(() => ({ status: 200, body: { id: 'x' } })));

    await client().batchGet(TENANT, [
      { path: '/me/a', headers: { Prefer: 'IdType="ImmutableId"' } },
      { path: '/me/b' },
    ]);

    expect((graph.requests[0]?.body as BatchRequestBody).requests[0]?.headers).toEqual({
      Prefer: 'IdType="ImmutableId"',
    });
  });

  it('reads a single resource with a plain GET', async () => {
    graph.handle(() => ({ body: { id: 'only' } }));

    const results = await client().batchGet(TENANT, [{ path: '/users/only' }]);

    expect(graph.requests.map((request) => request.url)).toEqual(['/v1.0/users/only']);
    expect(results).toEqual([{ ok: true, status: 200, body: { id: 'only' }, etag: undefined }]);
  });

  it('fails every item of a throttled $batch call and does not send the remaining chunks', async () => {
    graph.handle(() => ({ status: 429, headers: { 'Retry-After': '3' }, body: graphErrorBody('TooManyRequests') }));
    const paths = Array.from({ length: 30 }, (_, index) => ({ path: `/users/u${index}` }));

    const results = await client().batchGet(TENANT, paths);

    expect(graph.requests).toHaveLength(1);
    expect(results).toHaveLength(30);
    for (const result of results)
      expect(errorOf(result)).toMatchObject({ code: 'ERR_GRAPH_THROTTLED', retryAfterMs: 3_000 });
  });

  it('marks an item the $batch answer left out as an invalid response', async () => {
    graph.handle(() => ({ body: { responses: [{ id: '1', status: 200, body: { id: 'a' } }] } }));

    const [first, second] = await client().batchGet(TENANT, [{ path: '/users/a' }, { path: '/users/b' }]);

    expect(first?.ok).toBe(true);
    expect(errorOf(second)).toBeInstanceOf(GraphResponseInvalid);
  });
});

describe('GraphClient.deltaPages', () => {
  it('follows nextLinks to the deltaLink and classifies changed, removed and deleted-facet items', async () => {
    graph.handle((request) => {
      if (request.url === '/v1.0/drives/d1/root/delta') {
        return {
          body: {
            value: [{ id: 'f1', name: 'a.txt' }],
            '@odata.nextLink': `${graph.baseUrl}/drives/d1/root/delta?token=page2`,
          },
        };
      }
      if (request.url === '/v1.0/drives/d1/root/delta?token=page2') {
        return { body: { value: [], '@odata.nextLink': `${graph.baseUrl}/drives/d1/root/delta?token=page3` } };
      }
      return {
        body: {
          value: [
            { id: 'f2', deleted: { state: 'deleted' } },
            { id: 'u1', '@removed': { reason: 'changed' } },
          ],
          '@odata.deltaLink': `${graph.baseUrl}/drives/d1/root/delta?token=latest-1`,
        },
      };
    });

    const pages = await collect(client().deltaPages(TENANT, '/drives/d1/root/delta'));

    expect(
      pages.map((page) => page.items.map((item) => [item.kind, item.id, item.kind === 'removed' ? item.reason : ''])),
    ).toEqual([
      [['changed', 'f1', '']],
      [],
      [
        ['removed', 'f2', 'deleted'],
        ['removed', 'u1', 'changed'],
      ],
    ]);
    expect(pages.at(-1)?.deltaLink).toBe(`${graph.baseUrl}/drives/d1/root/delta?token=latest-1`);
    expect(records.every((record) => record.operation === 'delta' && !record.path.includes('token'))).toBe(true);
  });

  it('classifies a deleted channel message (a chatMessage with deletedDateTime, no @removed) as removed, and a live one as changed', async () => {
    const chatMessage = '#microsoft.graph.chatMessage';
    graph.handle(() => ({
      body: {
        value: [
          { '@odata.type': chatMessage, id: '1616990032035', deletedDateTime: null, body: { content: 'Hello' } },
          { '@odata.type': chatMessage, id: '1616990171266', deletedDateTime: '2021-03-29T03:56:11.497Z' },
          // Another type's deletedDateTime is not this rule's business.
          { '@odata.type': '#microsoft.graph.team', id: 't1', deletedDateTime: '2021-03-29T03:56:11.497Z' },
        ],
        '@odata.deltaLink': `${graph.baseUrl}/teams/t1/channels/c1/messages/delta?$deltatoken=d1`,
      },
    }));

    const pages = await collect(client().deltaPages(TENANT, '/teams/t1/channels/c1/messages/delta'));

    expect(
      pages.flatMap((page) =>
        page.items.map((item) => [item.kind, item.id, item.kind === 'removed' ? item.reason : '']),
      ),
    ).toEqual([
      ['changed', '1616990032035', ''],
      ['removed', '1616990171266', 'changed'],
      ['changed', 't1', ''],
    ]);
  });

  it('reads a chatMessage as removed exactly when its deletedDateTime is a string', async () => {
    const deletedDateTime = fc.oneof(fc.constant(null), fc.constant(undefined), fc.string(), fc.integer());
    await fc.assert(
      fc.asyncProperty(deletedDateTime, async (value) => {
        graph.handle(() => ({
          body: {
            value: [{ '@odata.type': '#microsoft.graph.chatMessage', id: 'm1', deletedDateTime: value }],
            '@odata.deltaLink': `${graph.baseUrl}/teams/t1/channels/c1/messages/delta?$deltatoken=d1`,
          },
        }));

        const [page] = await collect(client().deltaPages(TENANT, '/teams/t1/channels/c1/messages/delta'));

        expect(page?.items[0]?.kind).toBe(typeof value === 'string' ? 'removed' : 'changed');
      }),
      { numRuns: 40 },
    );
  });

  it('asks for a full resync on 410 Gone, with the Location Graph sent', async () => {
    graph.handle(() => ({
      status: 410,
      headers: { Location: `${graph.baseUrl}/drives/d1/root/delta?token=` },
      body: graphErrorBody('resyncChangesApplyDifferences'),
    }));

    const error = await failure(
      collect(client().deltaPages(TENANT, `${graph.baseUrl}/drives/d1/root/delta?token=old`)),
    );

    expect(error).toBeInstanceOf(GraphDeltaResyncRequired);
    expect(error).toMatchObject({
      code: 'ERR_GRAPH_RESYNC_REQUIRED',
      status: 410,
      location: `${graph.baseUrl}/drives/d1/root/delta?token=`,
    });
  });

  it('asks for a full resync when Graph says the sync state is gone', async () => {
    graph.handle(() => ({ status: 400, body: graphErrorBody('syncStateNotFound') }));

    const error = await failure(
      collect(client().deltaPages(TENANT, `${graph.baseUrl}/users/delta?$deltatoken=expired`)),
    );

    expect(error).toBeInstanceOf(GraphDeltaResyncRequired);
  });

  it('refuses to follow a link to another origin, sending nothing there', async () => {
    graph.handle(() => ({
      body: { value: [], '@odata.nextLink': 'https://evil.example/v1.0/users/delta?$skiptoken=x' },
    }));

    const error = await failure(collect(client().deltaPages(TENANT, '/users/delta')));

    expect(error).toBeInstanceOf(GraphResponseInvalid);
    expect(graph.requests).toHaveLength(1);
  });

  it.each([
    ['both links', { value: [], '@odata.nextLink': 'x', '@odata.deltaLink': 'y' }],
    ['no link', { value: [] }],
    ['no value', { '@odata.deltaLink': 'y' }],
    ['an item without id', { value: [{ name: 'x' }], '@odata.deltaLink': 'y' }],
  ])('rejects a page with %s', async (_case, body) => {
    graph.handle(() => ({ body }));

    const error = await failure(collect(client().deltaPages(TENANT, '/users/delta')));

    expect(error).toBeInstanceOf(GraphResponseInvalid);
  });

  it('stops when a nextLink repeats', async () => {
    graph.handle(() => ({ body: { value: [], '@odata.nextLink': `${graph.baseUrl}/users/delta?$skiptoken=same` } }));

    const error = await failure(collect(client().deltaPages(TENANT, '/users/delta')));

    expect(error).toBeInstanceOf(GraphResponseInvalid);
    expect(graph.requests).toHaveLength(2);
  });
});

describe('parseRetryAfter', () => {
  const now = new Date('2026-01-01T00:00:00Z');

  it('reads any non-negative decimal number of seconds, rounding up to a millisecond', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 999 }), (seconds, fraction) => {
        const text = `${seconds}.${String(fraction).padStart(3, '0')}`;

        const result = parseRetryAfter(text, now, 42);

        expect(result).toEqual({ retryAfterMs: seconds * 1000 + fraction, retryAfterFromHeader: true });
      }),
    );
  });

  it('falls back to the default for anything else and never returns a negative delay', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const result = parseRetryAfter(text, now, 42);

        expect(result.retryAfterMs).toBeGreaterThanOrEqual(0);
        if (!result.retryAfterFromHeader) expect(result.retryAfterMs).toBe(42);
      }),
    );
    expect(parseRetryAfter('-5', now, 42)).toEqual({ retryAfterMs: 42, retryAfterFromHeader: false });
    expect(parseRetryAfter('2.0271', now, 42)).toEqual({ retryAfterMs: 2_028, retryAfterFromHeader: true });
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:00 GMT', now, 42)).toEqual({
      retryAfterMs: 0,
      retryAfterFromHeader: true,
    });
  });
});

function errorOf(result: GraphReadResult | undefined): unknown {
  if (result === undefined || result.ok) throw new Error('expected a failed item');
  return result.error;
}

async function collect(pages: AsyncIterable<GraphDeltaPage>): Promise<GraphDeltaPage[]> {
  const collected: GraphDeltaPage[] = [];
  for await (const page of pages) collected.push(page);
  return collected;
}
