import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalHost, type LocalHost, type LocalHostUrls } from '../../../dev/local-host';
import { collectLogs, sampleAppDir, sampleSettings, type LogCollector } from './support';

const FUNCTION_KEY = 'test-function-key';
const MASTER_KEY = 'test-master-key';

interface EchoBody {
  method: string;
  url: string;
  params: Record<string, string>;
  query: [string, string][];
  contentType: string | null;
  custom: string | null;
  bodyBase64: string;
  functionName: string;
  invocationId: string;
  triggerMetadata: string;
}

describe('HTTP triggers with function keys configured', () => {
  let host: LocalHost;
  let urls: LocalHostUrls;
  let logs: LogCollector;

  beforeAll(async () => {
    logs = collectLogs();
    host = await createLocalHost({
      appDir: sampleAppDir,
      port: 0,
      settingsFile: false,
      // The documented per-environment override of host.json; `slow` sleeps 1.5 s.
      settings: sampleSettings({ AzureFunctionsJobHost__functionTimeout: '00:00:01', GREETING: 'hi' }),
      keys: { function: FUNCTION_KEY, master: MASTER_KEY },
      log: logs.sink,
    });
    urls = await host.start();
  });

  afterAll(async () => {
    await host.stop();
  });

  it('passes method, route parameters, repeated query keys, headers and raw body bytes to the handler', async () => {
    // Prepare
    const body = Buffer.from([0xff, 0x00, 0xfe, 0x41]);

    // Act
    const response = await fetch(`${urls.apiUrl}/items/42/more?a=1&a=2&b=x%20y`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream', 'x-custom': 'custom value' },
    });

    // Assess
    expect(response.status).toBe(201);
    const echo = (await response.json()) as EchoBody;
    expect(echo).toMatchObject({
      method: 'POST',
      url: `${urls.apiUrl}/items/42/more?a=1&a=2&b=x%20y`,
      params: { id: '42', detail: 'more' },
      query: [
        ['a', '1'],
        ['a', '2'],
        ['b', 'x y'],
      ],
      contentType: 'application/octet-stream',
      custom: 'custom value',
      bodyBase64: body.toString('base64'),
      functionName: 'echo',
      triggerMetadata: 'undefined',
    });
  });

  it('writes the handler status, headers, cookies and jsonBody (with its content type)', async () => {
    // Act
    const response = await fetch(`${urls.apiUrl}/items/7`, { method: 'PUT' });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['session=abc; Path=/; HttpOnly; SameSite=Lax']);
    expect(((await response.json()) as EchoBody).params).toEqual({ id: '7' });
  });

  it('matches literal route segments case-insensitively and before parameters', async () => {
    // Act
    const literal = await fetch(`${urls.apiUrl}/ITEMS/List`);
    const parameter = await fetch(`${urls.baseUrl}/API/items/listing`);

    // Assess
    expect(await literal.text()).toBe('the list');
    expect(((await parameter.json()) as EchoBody).params).toEqual({ id: 'listing' });
  });

  it('routes by function name when no route is given, and answers 404 for another method, as the real host does', async () => {
    // Act
    const get = await fetch(`${urls.apiUrl}/defaultRoute`);
    const post = await fetch(`${urls.apiUrl}/defaultRoute`, { method: 'POST', body: '' });

    // Assess
    expect(await get.text()).toBe('routed by name');
    // ASP.NET routing on the real host makes the method part of the route (azure-functions-host issue 10098).
    expect(post.status).toBe(404);
    expect(post.headers.get('allow')).toBeNull();
  });

  it('answers 404 for unknown routes and for paths outside the route prefix', async () => {
    // Act
    const unknown = await fetch(`${urls.apiUrl}/no/such/route`);
    const outsidePrefix = await fetch(`${urls.baseUrl}/items/42`);

    // Assess
    expect(unknown.status).toBe(404);
    expect(outsidePrefix.status).toBe(404);
  });

  it.each([
    ['no key', 'secret', {}, 401],
    ['a wrong key', 'secret?code=wrong', {}, 401],
    ['the function key in ?code=', `secret?code=${FUNCTION_KEY}`, {}, 200],
    ['the master key in x-functions-key', 'secret', { 'x-functions-key': MASTER_KEY }, 200],
    ['the function key on an admin function', `admin-only?code=${FUNCTION_KEY}`, {}, 401],
    ['the master key on an admin function', 'admin-only', { 'x-functions-key': MASTER_KEY }, 200],
  ])('with %s answers %s → %i', async (_case, path, headers: Record<string, string>, status) => {
    // Act
    const response = await fetch(`${urls.apiUrl}/${path}`, { headers });

    // Assess
    expect(response.status).toBe(status);
  });

  it('answers 204 when the handler returns nothing and 500 when it throws, logging the failure', async () => {
    // Act
    const nothing = await fetch(`${urls.apiUrl}/nothing`, { method: 'POST', body: 'x' });
    const fails = await fetch(`${urls.apiUrl}/fails`);

    // Assess
    expect(nothing.status).toBe(204);
    expect(fails.status).toBe(500);
    expect(await fails.text()).toBe('');
    const failed = logs.entries.find((entry) => entry.functionName === 'fails' && entry.succeeded === false);
    expect(failed?.message).toMatch(/^Executed 'Functions\.fails' \(Failed, Id=[0-9a-f-]{36}, Duration=\d+ms\)$/);
    expect(
      logs.entries.some((entry) => entry.functionName === 'fails' && entry.message.includes('Error: handler exploded')),
    ).toBe(true);
  });

  it('fails an invocation that outlives host.json functionTimeout', async () => {
    // Act
    const response = await fetch(`${urls.apiUrl}/slow`);

    // Assess
    expect(response.status).toBe(500);
    expect(
      logs.hostLines().some((line) => line.includes("Timeout value of 00:00:01 exceeded by function 'Functions.slow'")),
    ).toBe(true);
  });

  it('logs each invocation with its function name, invocation id and duration', async () => {
    // Act
    const echo = (await (await fetch(`${urls.apiUrl}/items/1`)).json()) as EchoBody;

    // Assess
    const lines = logs.entries.filter((entry) => entry.invocationId === echo.invocationId && entry.source === 'host');
    expect(lines.map((entry) => entry.message)).toEqual([
      `Executing 'Functions.echo' (Reason='This function was programmatically called via the host APIs.', Id=${echo.invocationId})`,
      expect.stringMatching(
        new RegExp(`^Executed 'Functions\\.echo' \\(Succeeded, Id=${echo.invocationId}, Duration=\\d+ms\\)$`),
      ) as unknown,
    ]);
    expect(lines[1]).toMatchObject({
      functionName: 'echo',
      succeeded: true,
      durationMs: expect.any(Number) as unknown,
    });
  });

  it('runs preInvocation and postInvocation hooks around the handler', async () => {
    // Act
    const response = await fetch(`${urls.apiUrl}/hooked`);

    // Assess
    expect(await response.text()).toBe('hooked');
    expect(response.headers.get('x-handler')).toBe('ran');
    expect(response.headers.get('x-pre')).toBe('wrapped');
    expect(response.headers.get('x-trail')).toBe('pre,post');
  });

  it('runs appStart hooks before serving and loads the app with its settings in process.env', async () => {
    // Act
    const response = await fetch(`${urls.apiUrl}/config`);

    // Assess
    expect(await response.json()).toEqual({ greetingAtLoad: 'hi', appStarted: true });
  });

  it('reports host status on the admin API to master-key holders only', async () => {
    // Act
    const anonymous = await fetch(`${urls.baseUrl}/admin/host/status`);
    const master = await fetch(`${urls.baseUrl}/admin/host/status`, { headers: { 'x-functions-key': MASTER_KEY } });

    // Assess
    expect(anonymous.status).toBe(401);
    expect(await master.json()).toEqual({ state: 'Running' });
  });

  it('runs a timer function on demand through the admin API', async () => {
    // Act
    const accepted = await fetch(`${urls.baseUrl}/admin/functions/tick`, {
      method: 'POST',
      headers: { 'x-functions-key': MASTER_KEY, 'content-type': 'application/json' },
      body: '{}',
    });
    const unknown = await fetch(`${urls.baseUrl}/admin/functions/noSuchTimer`, {
      method: 'POST',
      headers: { 'x-functions-key': MASTER_KEY },
    });

    // Assess
    expect(accepted.status).toBe(202);
    expect(unknown.status).toBe(404);
    await vi.waitFor(() => {
      expect(logs.events('tick')).toHaveLength(1);
    });
  });
});

describe('HTTP triggers without keys', () => {
  it('treats function- and admin-level functions as anonymous, as Core Tools does', async () => {
    // Prepare
    const host = await createLocalHost({
      appDir: sampleAppDir,
      port: 0,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });
    try {
      const urls = await host.start();

      // Act
      const secret = await fetch(`${urls.apiUrl}/secret`);
      const admin = await fetch(`${urls.apiUrl}/admin-only`);

      // Assess
      expect(await secret.text()).toBe('function-level');
      expect(await admin.text()).toBe('admin-level');
    } finally {
      await host.stop();
    }
  });

  it('stops listening on stop()', async () => {
    // Prepare
    const host = await createLocalHost({
      appDir: sampleAppDir,
      port: 0,
      settingsFile: false,
      settings: sampleSettings(),
      log: collectLogs().sink,
    });
    const urls = await host.start();

    // Act
    await host.stop();

    // Assess
    await expect(fetch(`${urls.apiUrl}/defaultRoute`)).rejects.toThrow();
  });
});

describe('HTTP triggers with function-specific keys', () => {
  it('lets a function key open its own function only, never another function or an admin-level one', async () => {
    // Prepare
    const host = await createLocalHost({
      appDir: sampleAppDir,
      port: 0,
      settingsFile: false,
      settings: sampleSettings(),
      keys: { functionKeys: { secret: 'secret-only-key', adminOnly: 'admin-fn-key' }, master: MASTER_KEY },
      log: collectLogs().sink,
    });
    try {
      const urls = await host.start();
      const get = (path: string, key: string) =>
        fetch(`${urls.apiUrl}/${path}`, { headers: { 'x-functions-key': key } });

      // Act
      const own = await get('secret', 'secret-only-key');
      const ownByQuery = await fetch(`${urls.apiUrl}/secret?code=secret-only-key`);
      const adminWithFunctionKey = await get('admin-only', 'admin-fn-key');
      const adminWithOtherKey = await get('admin-only', 'secret-only-key');
      const otherFunction = await get('secret', 'admin-fn-key');
      const hostApi = await fetch(`${urls.baseUrl}/admin/host/status`, {
        headers: { 'x-functions-key': 'secret-only-key' },
      });
      const master = await get('admin-only', MASTER_KEY);

      // Assess
      expect([own.status, ownByQuery.status]).toEqual([200, 200]);
      expect([adminWithFunctionKey.status, adminWithOtherKey.status, otherFunction.status, hostApi.status]).toEqual([
        401, 401, 401, 401,
      ]);
      expect(await master.text()).toBe('admin-level');
    } finally {
      await host.stop();
    }
  });
});

describe('the request size limit', () => {
  const LIMIT = 1024 * 1024;

  /** Streams `total` bytes to the echo function (chunked when `declare` is false) until an answer arrives. */
  function sendUntilAnswered(
    apiUrl: string,
    total: number,
    declare: boolean,
  ): Promise<{ status: number; sent: number }> {
    const url = new URL(`${apiUrl}/items/1`);
    return new Promise((resolve, reject) => {
      let sent = 0;
      let answered = false;
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/octet-stream',
          ...(declare ? { 'content-length': String(total) } : {}),
        },
      });
      request.on('response', (response) => {
        answered = true;
        response.resume();
        resolve({ status: response.statusCode ?? 0, sent });
        request.destroy();
      });
      request.on('error', (error) => {
        if (!answered) reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = (): void => {
        while (!answered && sent < total) {
          sent += chunk.length;
          if (!request.write(chunk)) {
            request.once('drain', pump);
            return;
          }
        }
        if (!answered) request.end();
      };
      pump();
    });
  }

  let host: LocalHost;
  let urls: LocalHostUrls;

  beforeAll(async () => {
    host = await createLocalHost({
      appDir: sampleAppDir,
      port: 0,
      settingsFile: false,
      settings: sampleSettings({ FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(LIMIT) }),
      log: collectLogs().sink,
    });
    urls = await host.start();
  });

  afterAll(async () => {
    await host.stop();
  });

  it('answers 413 to a declared 100 MB body before reading it', async () => {
    const { status, sent } = await sendUntilAnswered(urls.apiUrl, 100_000_000, true);

    expect(status).toBe(413);
    expect(sent).toBeLessThan(8 * LIMIT);
  });

  it('answers 413 to an undeclared (chunked) body once it passes the limit, without reading the rest', async () => {
    const { status, sent } = await sendUntilAnswered(urls.apiUrl, 100_000_000, false);

    expect(status).toBe(413);
    expect(sent).toBeLessThan(16 * LIMIT);
  });

  it('still accepts a body within the limit', async () => {
    const response = await fetch(`${urls.apiUrl}/items/1`, { method: 'POST', body: Buffer.alloc(LIMIT, 0x62) });

    expect(response.status).toBe(201);
    expect(((await response.json()) as EchoBody).bodyBase64.length).toBe(Math.ceil(LIMIT / 3) * 4);
  });
});
