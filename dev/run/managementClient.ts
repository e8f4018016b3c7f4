/**
 * A small HTTP client of the app's management API (`/api/subscriptions`, docs/subscriptions.md), used by
 * `npm run dev` to create its demo subscriptions the way an operator would — so Graph's validation
 * handshake runs against the real webhook — and by the end-to-end tests. Failures throw a
 * `ManagementApiError` carrying the HTTP status and the problem code; the function key is sent as a
 * header and never appears in an error message.
 */
import type { SubscriptionView } from '../../src/lib/subscriptions';

/** The body of `POST /api/subscriptions`. */
export interface SubscriptionRequestBody {
  readonly resource: string;
  readonly changeType: string;
  readonly tenantId?: string;
  readonly includeResourceData?: boolean;
  readonly expirationDateTime?: string;
  readonly initialSync?: boolean;
  readonly delivery?: 'webhook' | 'eventGrid' | 'eventHubs';
  /** Subscribe to a resource graph-notify does not list, at the notificationsOnly level. */
  readonly unlisted?: boolean;
  /** Accept a webhook subscription without a lifecycle URL (docs/subscriptions.md#subscriptions-without-a-lifecycle-url). */
  readonly withoutLifecycleUrl?: boolean;
}

export class ManagementApiError extends Error {
  override readonly name = 'ManagementApiError';
  readonly status: number;
  /** The problem's stable code (e.g. ERR_SUBSCRIPTION_DUPLICATE), when the body had one. */
  readonly code: string | undefined;

  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export interface ManagementClient {
  list(): Promise<SubscriptionView[]>;
  get(id: string): Promise<SubscriptionView>;
  create(request: SubscriptionRequestBody): Promise<SubscriptionView>;
  renew(id: string): Promise<SubscriptionView>;
  delete(id: string): Promise<void>;
}

export function createManagementClient(apiUrl: string, functionKey?: string): ManagementClient {
  const base = `${apiUrl}/subscriptions`;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(functionKey === undefined ? {} : { 'x-functions-key': functionKey }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) {
      const problem = parseProblem(text);
      throw new ManagementApiError(
        response.status,
        problem.code,
        `${method} /api/subscriptions${path} answered ${response.status}${problem.code === undefined ? '' : ` ${problem.code}`}: ${problem.detail ?? (text.slice(0, 300) || response.statusText)}`,
      );
    }
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  const id = (value: string): string => `/${encodeURIComponent(value)}`;
  return {
    list: async () => ((await call('GET', '')) as { value: SubscriptionView[] }).value,
    get: async (value) => (await call('GET', id(value))) as SubscriptionView,
    create: async (request) => (await call('POST', '', request)) as SubscriptionView,
    renew: async (value) => (await call('POST', `${id(value)}/renew`)) as SubscriptionView,
    delete: async (value) => {
      await call('DELETE', id(value));
    },
  };
}

function parseProblem(text: string): { code?: string; detail?: string } {
  try {
    const parsed = JSON.parse(text) as { code?: unknown; detail?: unknown };
    return {
      ...(typeof parsed.code === 'string' ? { code: parsed.code } : {}),
      ...(typeof parsed.detail === 'string' ? { detail: parsed.detail } : {}),
    };
  } catch {
    return {};
  }
}
