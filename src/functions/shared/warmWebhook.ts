/**
 * What the webhook readies after the first validation handshake, in the background, so the first notification
 * after a cold start costs what the next ones do (docs/operations.md#ingest-graphs-reply-budget): the ingest
 * path and its storage (`warmIngest`), and the Functions library's request body path, which a handshake (no
 * body read) never runs: the first POST's `arrayBuffer()` set it up, about a third of the host's own
 * first-notification cost in `npm run bench:cold-start`.
 */
import { HttpRequest } from '@azure/functions';
import { warmIngest } from '../../index';

export async function warmWebhook(): Promise<void> {
  const rehearsal = new HttpRequest({
    method: 'POST',
    url: 'http://localhost/api/notifications',
    headers: { 'content-type': 'application/json' },
    body: { string: '{"value":[]}' },
  });
  await Promise.allSettled([rehearsal.arrayBuffer(), warmIngest()]);
}
