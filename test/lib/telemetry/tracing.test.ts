import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GraphNotifyError } from '../../../src/lib/shared/errors';
import { ATTRIBUTE, withSpan } from '../../../src/lib/telemetry';
import { installInMemoryTelemetry, type InMemoryTelemetry } from '../../support/telemetry';

let telemetry: InMemoryTelemetry;

beforeEach(() => {
  telemetry = installInMemoryTelemetry();
});

afterEach(async () => {
  await telemetry.uninstall();
});

describe('withSpan', () => {
  it('wraps a Graph call in a CLIENT span carrying the closed attributes it was annotated with', async () => {
    // Act
    const result = await withSpan(
      'graph.getResource',
      async (scope) => {
        scope.annotate({ status: 200, throttled: false });
        return Promise.resolve('resource');
      },
      { operation: 'getResource', resourceKind: 'messages' },
    );

    // Assess
    expect(result).toBe('resource');
    const [span] = telemetry.spans();
    expect(span?.name).toBe('graph.getResource');
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.attributes).toEqual({
      [ATTRIBUTE.graphOperation]: 'getResource',
      [ATTRIBUTE.resourceKind]: 'message',
      [ATTRIBUTE.statusCode]: 200,
      [ATTRIBUTE.throttled]: false,
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('opens INTERNAL spans for pipeline stages', async () => {
    await withSpan('subscriptions.reconcile', () => Promise.resolve());

    expect(telemetry.spans().map((span) => [span.name, span.kind])).toEqual([
      ['subscriptions.reconcile', SpanKind.INTERNAL],
    ]);
  });

  it('marks a failure with the error code only, never the message, and rethrows the same error', async () => {
    // Prepare: an error whose message quotes a secret, as a careless wrapper might.
    const error = new GraphNotifyError(
      'ERR_GRAPH_THROTTLED',
      'throttled calling https://graph/x?code=FUNCTION-KEY with Bearer eyJabc.def.ghi',
    );

    // Act
    const outcome = withSpan('graph.batch', () => Promise.reject(error));

    // Assess
    await expect(outcome).rejects.toBe(error);
    const [span] = telemetry.spans();
    expect(span?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'ERR_GRAPH_THROTTLED' });
    expect(span?.attributes[ATTRIBUTE.errorType]).toBe('ERR_GRAPH_THROTTLED');
    expect(span?.events).toEqual([]);
    expect(JSON.stringify([span?.attributes, span?.status, span?.events])).not.toMatch(/FUNCTION-KEY|eyJ/);
  });

  it('names an unexpected error _OTHER and a programming error by its class', async () => {
    await expect(withSpan('graph.delta', () => Promise.reject(new Error('socket hang up: secret')))).rejects.toThrow(
      'socket hang up',
    );
    await expect(withSpan('graph.delta', () => Promise.reject(new TypeError('bad call')))).rejects.toThrow(TypeError);

    expect(telemetry.spans().map((span) => span.attributes[ATTRIBUTE.errorType])).toEqual(['_OTHER', 'TypeError']);
  });

  it('replaces a span name outside the catalogue by graph.other', async () => {
    await withSpan('graph.whatever' as never, () => Promise.resolve());

    expect(telemetry.spans().map((span) => span.name)).toEqual(['graph.other']);
  });
});
