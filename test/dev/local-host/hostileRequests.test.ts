/**
 * Issue #18: what the local host tells a caller who holds no key, and how it answers requests no client library
 * would send. Raw sockets, so the bytes on the wire (a `100 Continue`, a malformed `Host`) are exactly the test's.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalHost, type LocalHost, type LocalHostUrls } from '../../../dev/local-host';
import { collectLogs, sampleAppDir, sampleSettings } from './support';

const FUNCTION_KEY = 'hostile-function-key';
const MASTER_KEY = 'hostile-master-key';

let host: LocalHost;
let urls: LocalHostUrls;

beforeAll(async () => {
  host = await createLocalHost({
    appDir: sampleAppDir,
    port: 0,
    settingsFile: false,
    settings: sampleSettings(),
    keys: { function: FUNCTION_KEY, master: MASTER_KEY },
    log: collectLogs().sink,
  });
  urls = await host.start();
});

afterAll(async () => {
  await host.stop();
});

/**
 * Writes `head` (a request line and headers, CRLF-separated, without the blank line), then `body` once the server has
 * answered something or `bodyAfterMs` passed; resolves with everything the server sent until it closed or `idleMs`
 * of silence after a final status.
 */
function exchange(head: string, body = ''): Promise<string> {
  const { port } = new URL(urls.baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    let bodySent = body === '';
    const finish = (): void => {
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      // A final (non-1xx) status line with its headers ends the exchange; the tests need no more.
      if (/HTTP\/1\.1 [2-5]\d\d [^\r]*\r\n[\s\S]*?\r\n\r\n/.test(received)) {
        finish();
        return;
      }
      if (!bodySent && received.includes('HTTP/1.1 100 Continue\r\n\r\n')) {
        bodySent = true;
        socket.write(body);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => {
      resolve(received);
    });
    socket.write(`${head}\r\n\r\n`);
  });
}

const statusOf = (answer: string): number => Number(/HTTP\/1\.1 ([2-5]\d\d)/.exec(answer)?.[1] ?? 0);

describe('the local host facing a caller without a key', () => {
  it.each(['bad host{}', 'user@127.0.0.1', '127.0.0.1/evil', '[::1', 'a b'])(
    'answers a malformed Host header (%s) with 400, never 500',
    async (hostHeader) => {
      const answer = await exchange(`GET /api/secret HTTP/1.1\r\nHost: ${hostHeader}\r\nConnection: close`);

      expect(statusOf(answer)).toBe(400);
    },
  );

  it('tells a missing route from a keyed one only as the real host does: 404 for no route, 401 for a keyed route', async () => {
    const unknown = await fetch(`${urls.apiUrl}/no/such/route`);
    const keyed = await fetch(`${urls.apiUrl}/secret`);
    const otherMethod = await fetch(`${urls.apiUrl}/secret`, { method: 'POST', body: 'x' });
    const adminOtherMethod = await fetch(`${urls.apiUrl}/admin-only`, { method: 'DELETE' });

    expect([unknown.status, keyed.status]).toEqual([404, 401]);
    // A method the function does not take is no route at all, as ASP.NET routing answers on the real host: no 405
    // with an Allow header listing the function's methods.
    expect([otherMethod.status, adminOtherMethod.status]).toEqual([404, 404]);
    expect(otherMethod.headers.get('allow')).toBeNull();
    expect(await keyed.text()).toBe('');
  });

  it('never sends 100 Continue before the key is checked', async () => {
    const refused = await exchange(
      `GET /api/secret HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close`,
      'hello',
    );
    const allowed = await exchange(
      `GET /api/secret?code=${FUNCTION_KEY} HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close`,
      'hello',
    );

    expect(refused).not.toContain('100 Continue');
    expect(statusOf(refused)).toBe(401);
    expect(allowed).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });
});
