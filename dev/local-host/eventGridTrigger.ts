/**
 * The Event Grid trigger as the Functions host serves it: the extension's webhook at
 * `/runtime/webhooks/eventgrid?functionName=<name>` (Microsoft's "How to work with Event Grid triggers and
 * bindings in Azure Functions"), behaving as the extension's request processor does:
 *
 * - OPTIONS: the CloudEvents abuse-protection handshake ("Endpoint validation by using CloudEvents schema"):
 *   200 with `WebHook-Allowed-Origin` echoing `WebHook-Request-Origin` when it is an Event Grid origin,
 *   `eventgrid.azure.net` otherwise.
 * - POST needs `aeg-event-type`: `Notification` dispatches each event of the body (an array or one object)
 *   to its own invocation, all at once; any failed invocation makes the answer 500 for the whole delivery
 *   (Event Grid redelivers it), otherwise 202. `SubscriptionValidation` answers the Event Grid-schema
 *   handshake; `Unsubscribe` is 202; a missing or other value is 400.
 * - An unknown function name is 404. Where the host enforces keys, the master key is accepted as `code`
 *   (Azure's `eventgrid_extension` system key has no local counterpart).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InvocationInput, InvocationOutcome } from './invokeFunction';
import type { RegisteredFunction } from './runtimeModule';

export const EVENT_GRID_WEBHOOK_PATH = '/runtime/webhooks/eventgrid';

/** The origins the extension consents to by name; any other request gets the public cloud's. */
const EVENT_GRID_ORIGINS = [
  'eventgrid.azure.net',
  'eventgrid.azure.us',
  'eventgrid.azure.eaglex.ic.gov',
  'eventgrid.azure.microsoft.scloud',
  'eventgrid.azure.cn',
];
const EVENT_GRID_REASON = 'This function was programmatically called via the host APIs.';

export interface EventGridFunction {
  readonly fn: RegisteredFunction;
  readonly triggerBindingName: string;
}

export interface EventGridWebhookOptions {
  readonly functions: readonly EventGridFunction[];
  readonly invoke: (fn: RegisteredFunction, input: InvocationInput) => Promise<InvocationOutcome>;
  /** False when a key is required and the request carries none that opens it. */
  readonly isAuthorized: (request: IncomingMessage, url: URL) => boolean;
  readonly readBody: (request: IncomingMessage) => Promise<Buffer>;
}

function answer(response: ServerResponse, status: number, headers: Record<string, string> = {}, body = ''): void {
  response.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Handles one request to the Event Grid webhook path. */
export async function handleEventGridWebhook(
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
  options: EventGridWebhookOptions,
): Promise<void> {
  const name = url.searchParams.get('functionName') ?? '';
  const target = options.functions.find((candidate) => candidate.fn.name.toLowerCase() === name.toLowerCase());
  if (target === undefined) {
    answer(response, 404);
    return;
  }
  if (!options.isAuthorized(request, url)) {
    answer(response, 401);
    return;
  }
  const method = (request.method ?? 'GET').toUpperCase();
  if (method === 'OPTIONS') {
    const origin = header(request, 'webhook-request-origin')?.trim().toLowerCase() ?? '';
    answer(response, 200, {
      'webhook-allowed-origin': EVENT_GRID_ORIGINS.includes(origin) ? origin : 'eventgrid.azure.net',
      allow: 'POST',
    });
    return;
  }
  if (method !== 'POST') {
    answer(response, 405, { allow: 'OPTIONS, POST' });
    return;
  }
  const eventType = header(request, 'aeg-event-type')?.toLowerCase();
  const body = await options.readBody(request);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    answer(response, 400);
    return;
  }
  const events: readonly unknown[] = Array.isArray(parsed) ? parsed : [parsed];
  switch (eventType) {
    case 'subscriptionvalidation': {
      const first = events[0] as { data?: { validationCode?: unknown } } | undefined;
      answer(
        response,
        200,
        { 'content-type': 'application/json' },
        JSON.stringify({ validationResponse: first?.data?.validationCode ?? null }),
      );
      return;
    }
    case 'unsubscribe':
      answer(response, 202);
      return;
    case 'notification': {
      const outcomes = await Promise.all(
        events.map((event) =>
          options.invoke(target.fn, {
            inputData: [{ name: target.triggerBindingName, data: { json: JSON.stringify(event) } }],
            reason: EVENT_GRID_REASON,
          }),
        ),
      );
      answer(response, outcomes.every((outcome) => outcome.succeeded) ? 202 : 500);
      return;
    }
    default:
      answer(response, 400);
  }
}
