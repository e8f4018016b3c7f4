/** Builds the processing area's `RichContentOpener` from the Graph configuration: cached JWKS + the keyring. */
import type { GraphConfig } from '../config';
import {
  createEncryptionKeyring,
  createValidationKeySet,
  decryptEncryptedContent,
  verifyValidationTokens,
} from '../richNotifications';
import type { Clock } from '../shared/clock';
import type { RichContentOpener } from './processNotifications';

export function createRichContentOpener(
  graph: GraphConfig,
  clock: Clock,
  fetch?: typeof globalThis.fetch,
): RichContentOpener {
  const keys = createValidationKeySet(graph.validationTokens.jwksUrl, fetch === undefined ? {} : { fetch });
  const keyring = createEncryptionKeyring(graph.encryption);
  return {
    async verifyTokens(validationTokens, tenantIds) {
      await verifyValidationTokens(validationTokens, {
        appId: graph.clientId,
        issuerTemplates: graph.validationTokens.issuerTemplates,
        keys,
        tenantIds,
        now: clock.now(),
      });
    },
    decrypt: (content) => decryptEncryptedContent(content, keyring),
  };
}
