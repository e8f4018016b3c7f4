import { describe, expect, it } from 'vitest';
import { describeError, redact } from '../../../src/lib/shared/redact';
import { GraphNotifyError } from '../../../src/lib/shared/errors';

describe('redact', () => {
  it.each([
    ['bearer tokens', 'Authorization: Bearer abc.def-ghi', 'abc.def-ghi'],
    ['JWTs', 'token eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0.c2lnbmF0dXJl here', 'eyJhbGciOiJSUzI1NiJ9'],
    ['account keys', 'DefaultEndpointsProtocol=http;AccountName=a;AccountKey=c2VjcmV0Cg==;', 'c2VjcmV0Cg=='],
    ['SAS signatures', 'https://a.blob.core.windows.net/c/b?sv=1&sig=abcDEF%2B', 'abcDEF'],
    ['function keys', 'https://app.azurewebsites.net/api/notifications?code=k3y-value', 'k3y-value'],
    ['clientState fields', '{"clientState":"s3cr3t-abc","id":"1"}', 's3cr3t-abc'],
    ['PEM blocks', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----', 'MIIE'],
  ])('masks %s', (_kind, input, secret) => {
    const output = redact(input);

    expect(output).not.toContain(secret);
    expect(output).toContain('***');
  });

  it('describes coded errors with their code and masked cause', () => {
    const error = new GraphNotifyError('ERR_STORAGE_UNAVAILABLE', 'queue send failed', {
      cause: new Error('connect failed for AccountKey=topsecret;'),
    });

    const text = describeError(error);

    expect(text).toBe(
      'GraphNotifyError [ERR_STORAGE_UNAVAILABLE]: queue send failed (cause: Error: connect failed for AccountKey=***;)',
    );
  });
});
