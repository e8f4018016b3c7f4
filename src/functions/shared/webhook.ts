/**
 * The HTTP half of both webhooks: the validation handshake, the body-size guard, and the translation of
 * the ingest use case's result into Graph's expected answers.
 *
 * Handshake (docs/graph-protocol.md §2): when `validationToken` is in the query string, answer 200 `text/plain` with the
 * URL-decoded token, whatever the body and content type (Graph POSTs it with an empty text/plain body), and
 * touch no storage: Graph allows 10 s including a cold start.
 */
import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { ingestNotifications, type IngestDependencies, type IngestEndpoint } from '../../lib/ingest';
import { NotificationBodyTooLarge } from '../../lib/notifications';
import { errorResponse } from './problemResponse';

export function validationResponse(token: string): HttpResponseInit {
  return {
    status: 200,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' },
    body: token,
  };
}

export async function handleWebhook(
  endpoint: IngestEndpoint,
  request: HttpRequest,
  context: InvocationContext,
  dependencies: () => Omit<IngestDependencies, 'log'>,
): Promise<HttpResponseInit> {
  // URLSearchParams decodes percent-escapes and '+' as the samples' frameworks do (Express, ASP.NET).
  const validationToken = request.query.get('validationToken');
  if (validationToken !== null) return validationResponse(validationToken);

  try {
    const deps = dependencies();
    const declaredLength = Number(request.headers.get('content-length') ?? '0');
    if (declaredLength > deps.maxBodyBytes) throw new NotificationBodyTooLarge(deps.maxBodyBytes);
    const body = new Uint8Array(await request.arrayBuffer());
    const result = await ingestNotifications(
      endpoint,
      { contentType: request.headers.get('content-type') ?? undefined, body },
      { ...deps, log: context },
    );
    context.info(
      `Accepted ${result.accepted} notification(s) on /${endpoint} in ${result.messagesSent} queue message(s); rejected ${JSON.stringify(result.rejected)}`,
    );
    // 202 with no body: the result of verification is not shared with the caller (docs/graph-protocol.md §5.4, §4.1).
    return { status: 202 };
  } catch (error) {
    return errorResponse(error, context);
  }
}
