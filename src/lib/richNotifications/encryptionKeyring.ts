/**
 * The private keys that decrypt rich-notification content, by certificate id. Graph names the
 * certificate it encrypted with (`encryptionCertificateId`), so during rotation the current and the
 * previous key both stay here until every subscription has been renewed with the new certificate
 * (docs/graph-protocol.md §5.3 step 1). Keys are parsed once, when the keyring is built.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';

export interface EncryptionKey {
  readonly certificateId: string;
  /** Unencrypted PEM private key (RSA). */
  readonly privateKeyPem: string;
}

/** The shape of `GraphConfig.encryption`: the current key and, during rotation, the previous one. */
export interface EncryptionKeys {
  readonly current?: EncryptionKey | undefined;
  readonly previous?: EncryptionKey | undefined;
}

export class EncryptionKeyring {
  readonly #keys: ReadonlyMap<string, KeyObject>;

  constructor(keys: readonly EncryptionKey[]) {
    const byId = new Map<string, KeyObject>();
    for (const { certificateId, privateKeyPem } of keys) {
      if (byId.has(certificateId))
        throw new TypeError(`Encryption certificate id "${certificateId}" appears twice in the keyring`);
      // Config validation has already parsed these keys; a failure here is a wiring mistake.
      const key = createPrivateKey(privateKeyPem);
      if (key.asymmetricKeyType !== 'rsa') throw new TypeError(`Encryption key "${certificateId}" is not an RSA key`);
      byId.set(certificateId, key);
    }
    this.#keys = byId;
  }

  get certificateIds(): readonly string[] {
    return [...this.#keys.keys()];
  }

  /** The private key for a certificate id, or undefined when we hold none. */
  privateKeyFor(certificateId: string): KeyObject | undefined {
    return this.#keys.get(certificateId);
  }
}

/** Builds the keyring from `config.graph.encryption`; empty when rich notifications are not configured. */
export function createEncryptionKeyring(keys: EncryptionKeys): EncryptionKeyring {
  return new EncryptionKeyring([keys.current, keys.previous].filter((key): key is EncryptionKey => key !== undefined));
}
