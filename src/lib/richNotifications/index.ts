/**
 * Rich notifications: verify the validation tokens of a POST, then decrypt each item's
 * encryptedContent with the key its certificate id selects.
 */
export {
  verifyValidationTokens,
  createValidationKeySet,
  GRAPH_CHANGE_TRACKING_APP_ID,
  type ValidationKeySet,
  type ValidationKeySetOptions,
  type ValidationTokenContext,
  type VerifiedValidationTokens,
} from './validationTokens';
export { decryptEncryptedContent } from './decryptEncryptedContent';
export {
  EncryptionKeyring,
  createEncryptionKeyring,
  type EncryptionKey,
  type EncryptionKeys,
} from './encryptionKeyring';
export {
  ValidationTokenInvalid,
  ValidationKeysUnavailable,
  DecryptionFailed,
  VALIDATION_TOKEN_REASONS,
  DECRYPTION_FAILURE_REASONS,
  type ValidationTokenReason,
  type DecryptionFailureReason,
} from './errors';
export { richContentNaming, type RichContentNaming } from './richContentResource';
