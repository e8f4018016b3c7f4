/**
 * Why a rich notification was refused. Each failure has a stable reason code for counting and logs;
 * messages never contain token text, key material or resource content.
 */
import { GraphNotifyError } from '../shared/errors';

export const VALIDATION_TOKEN_REASONS = [
  /** Rich items arrived without a token for their (app, tenant) pair, or validationTokens was null. */
  'missing',
  'malformed',
  'signature',
  'algorithm',
  'expired',
  'not-yet-valid',
  'audience',
  'issuer',
  /** azp (v2.0) or appid (v1.0) is not Microsoft Graph Change Tracking. */
  'publisher',
] as const;

export type ValidationTokenReason = (typeof VALIDATION_TOKEN_REASONS)[number];

/** A validation token failed a check: treat the whole POST as forged (docs/graph-protocol.md §5.4). */
export class ValidationTokenInvalid extends GraphNotifyError {
  readonly reason: ValidationTokenReason;

  constructor(reason: ValidationTokenReason, detail: string, options?: { cause?: unknown }) {
    super('ERR_VALIDATION_TOKEN_INVALID', `Validation token rejected (${reason}): ${detail}`, options);
    this.reason = reason;
  }
}

/** The signing keys could not be fetched: nothing was decided about the tokens, try again later. */
export class ValidationKeysUnavailable extends GraphNotifyError {
  constructor(jwksUrl: string, options?: { cause?: unknown }) {
    super(
      'ERR_VALIDATION_KEYS_UNAVAILABLE',
      `Validation token signing keys could not be fetched from ${jwksUrl}`,
      options,
    );
  }
}

export const DECRYPTION_FAILURE_REASONS = [
  /** encryptionCertificateId names no key we hold (rotation incomplete, or forged). */
  'unknown-certificate',
  /** The content is not the documented shape, or a field does not decode or decrypt. */
  'malformed',
  /** The RSA-OAEP unwrap of dataKey failed: the key under that id is not the one Graph used, or dataKey was altered. */
  'key-unwrap-failed',
  /** HMAC-SHA256 over the ciphertext differs from dataSignature: tampered or corrupt. */
  'signature-mismatch',
] as const;

export type DecryptionFailureReason = (typeof DECRYPTION_FAILURE_REASONS)[number];

export class DecryptionFailed extends GraphNotifyError {
  readonly reason: DecryptionFailureReason;

  constructor(reason: DecryptionFailureReason, detail: string) {
    super('ERR_DECRYPTION_FAILED', `Rich notification content could not be decrypted (${reason}): ${detail}`);
    this.reason = reason;
  }
}
