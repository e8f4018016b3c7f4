/**
 * GET /api/health — what works and what does not, from the configuration the app read at start-up
 * (docs/operations.md#health). 200 when ingest and processing work (`healthy`, or `degraded` when a part
 * such as subscription management does not), 503 when ingest or processing does not (`unhealthy`).
 * Settings are named, never their values. It does not call storage or Graph, so it answers at once.
 *
 * authLevel `admin`: the answer describes the app's configuration, which is for operators, as the
 * management API is; monitoring calls it with the master key (`x-functions-key` header). Only the webhooks
 * take a function key (docs/security.md).
 */
import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { appHealth } from '../index';

/** `health` is for host-free tests; the runtime passes the request and gets the app's own answer. */
export function health(_request?: HttpRequest, read: () => ReturnType<typeof appHealth> = appHealth): HttpResponseInit {
  const answer = read();
  return {
    status: answer.status === 'unhealthy' ? 503 : 200,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
    },
    body: JSON.stringify(answer),
  };
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'admin', handler: (request) => health(request) });
