/** Builds the trigger inputs the Functions runtime would pass, for host-free handler tests. */
import { HttpRequest, InvocationContext } from '@azure/functions';

export interface CapturedLog {
  readonly level: string;
  readonly message: string;
}

export function invocationContext(functionName = 'test'): { context: InvocationContext; logs: CapturedLog[] } {
  const logs: CapturedLog[] = [];
  const context = new InvocationContext({
    functionName,
    invocationId: 'test-invocation',
    logHandler: (level, ...args) => logs.push({ level, message: args.map(String).join(' ') }),
  });
  return { context, logs };
}

export function postRequest(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' },
): HttpRequest {
  return new HttpRequest({
    method: 'POST',
    url,
    headers,
    body: typeof body === 'string' ? { string: body } : { bytes: body },
  });
}
