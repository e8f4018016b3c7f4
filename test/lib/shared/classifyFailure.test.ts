import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GraphAccessDenied,
  GraphAuthenticationFailed,
  GraphCredentialRejected,
  GraphRequestFailed,
  GraphResourceNotFound,
  GraphResponseInvalid,
  GraphThrottled,
  GraphUnavailable,
} from '../../../src/lib/graph';
import { ValidationKeysUnavailable } from '../../../src/lib/richNotifications';
import { classifyFailure, isRetryableLater } from '../../../src/lib/shared/classifyFailure';
import {
  ConfigurationInvalid,
  ERROR_CODES,
  GraphNotifyError,
  StorageUnavailable,
} from '../../../src/lib/shared/errors';
import { SubscriptionBusy, SubscriptionRefused } from '../../../src/lib/subscriptions';

const defaultBackoff = { retryAfterMs: 10_000, retryAfterFromHeader: false };
const fromHeader = { retryAfterMs: 30_000, retryAfterFromHeader: true };

describe('classifyFailure', () => {
  it('classifies a 429 as throttled with its Retry-After, or the default backoff when Graph sent none', () => {
    expect(classifyFailure(new GraphThrottled('429', fromHeader, { status: 429 }))).toEqual({
      kind: 'throttled',
      retryAfterMs: 30_000,
    });
    expect(classifyFailure(new GraphThrottled('429', defaultBackoff, { status: 429 }))).toEqual({
      kind: 'throttled',
      retryAfterMs: 10_000,
    });
  });

  it('classifies outages as transient, with a wait only when Graph asked for one', () => {
    expect(classifyFailure(new GraphUnavailable('503', 'status', fromHeader, { status: 503 }))).toEqual({
      kind: 'transient',
      retryAfterMs: 30_000,
    });
    expect(classifyFailure(new GraphUnavailable('500', 'status', defaultBackoff, { status: 500 }))).toEqual({
      kind: 'transient',
      retryAfterMs: undefined,
    });
    expect(classifyFailure(new GraphResponseInvalid('garbled')).kind).toBe('transient');
    expect(classifyFailure(new StorageUnavailable('a queue send')).kind).toBe('transient');
    expect(classifyFailure(new ValidationKeysUnavailable('https://login.example/keys')).kind).toBe('transient');
    expect(classifyFailure(new SubscriptionBusy('sub-1')).kind).toBe('transient');
  });

  it('puts a 401 and a refused credential in one class: the app must be fixed, the work is not at fault', () => {
    const fromGraph = classifyFailure(new GraphAuthenticationFailed('401', { status: 401 }));
    const fromTokenEndpoint = classifyFailure(new GraphCredentialRejected('refused', 'invalid_client'));

    expect(fromGraph).toEqual({ kind: 'credential', retryAfterMs: undefined });
    expect(fromTokenEndpoint).toEqual({ kind: 'credential', retryAfterMs: undefined });
    expect(isRetryableLater(fromGraph)).toBe(false);
  });

  it('classifies refusals of the request itself as permanent', () => {
    for (const error of [
      new GraphAccessDenied('403', { status: 403 }),
      new GraphRequestFailed('400', { status: 400 }),
      new GraphResourceNotFound('404', { status: 404 }),
      new SubscriptionRefused('validationFailed', 'Graph could not validate the webhook'),
    ]) {
      expect(classifyFailure(error), error.code).toEqual({ kind: 'permanent', retryAfterMs: undefined });
    }
  });

  it('classifies broken settings as configuration', () => {
    expect(classifyFailure(new ConfigurationInvalid(['GRAPH_CLIENT_ID is required'])).kind).toBe('configuration');
  });

  it('calls only throttled and transient failures retryable later', () => {
    const retryable = ERROR_CODES.filter((code) => isRetryableLater(classifyFailure(new GraphNotifyError(code, code))));

    expect(retryable.sort()).toEqual(
      [
        'ERR_GRAPH_THROTTLED',
        'ERR_GRAPH_UNAVAILABLE',
        'ERR_GRAPH_RESPONSE_INVALID',
        'ERR_STORAGE_UNAVAILABLE',
        'ERR_VALIDATION_KEYS_UNAVAILABLE',
        'ERR_SUBSCRIPTION_BUSY',
        'ERR_SUBSCRIPTION_VALIDATION_UNREACHABLE',
        'ERR_SUBSCRIPTION_LIST_PAUSED',
        'ERR_INGEST_CLAIMED_PAYLOAD_UNREADABLE',
        'ERR_ARM_UNAVAILABLE',
      ].sort(),
    );
  });

  it('calls anything that is not a coded error unexpected, whatever it is', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.string().map((message) => new TypeError(message)),
        ),
        (thrown) => {
          expect(classifyFailure(thrown)).toEqual({ kind: 'unexpected', retryAfterMs: undefined });
        },
      ),
    );
  });
});
