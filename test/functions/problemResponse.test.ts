import { InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { errorResponse, STATUS_BY_CODE } from '../../src/functions/shared/problemResponse';
import { GraphThrottled } from '../../src/lib/graph';
import { classifyFailure, type FailureClass } from '../../src/lib/shared/classifyFailure';
import { ERROR_CODES, GraphNotifyError } from '../../src/lib/shared/errors';

/** The statuses each class of failure may be answered with. */
const ALLOWED: Readonly<Record<FailureClass, (status: number) => boolean>> = {
  throttled: (status) => status === 429,
  // A busy subscription is a 409 the caller may retry; anything else transient is a 5xx.
  transient: (status) => status === 409 || status >= 500,
  credential: (status) => status === 502,
  configuration: (status) => status >= 500,
  permanent: (status) => status < 500,
  unexpected: (status) => status === 500,
};

describe('errorResponse', () => {
  it('answers every code with a status its failure class allows', () => {
    for (const code of ERROR_CODES) {
      const status = STATUS_BY_CODE[code];
      if (status === undefined) continue;
      const { kind } = classifyFailure(new GraphNotifyError(code, code));

      expect(ALLOWED[kind](status), `${code} (${kind}) answered ${status}`).toBe(true);
    }
  });

  it('passes on the wait Graph asked for with a 429', () => {
    const throttled = new GraphThrottled('429', { retryAfterMs: 7_500, retryAfterFromHeader: true }, { status: 429 });

    const response = errorResponse(throttled, new InvocationContext({ logHandler: () => undefined }));

    expect(response.status).toBe(429);
    expect(response.headers).toMatchObject({ 'Retry-After': '8' });
  });
});
