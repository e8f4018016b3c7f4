/**
 * Test-side helpers for rich notifications: the fixture key pair and an encryption written here from
 * the documented algorithm (docs/graph-protocol.md §5.3, "for a simulator (the reverse)"), kept
 * apart from the code under test so a shared misreading would have to happen twice.
 */
import { constants, createCipheriv, createHmac, publicEncrypt, randomBytes, type KeyLike } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const fixtures = join(__dirname, 'fixtures');

export const fixturePrivateKeyPem = readFileSync(join(fixtures, 'testPrivateKey.pem'), 'utf8');
export const fixtureCertificatePem = readFileSync(join(fixtures, 'testCertificate.pem'), 'utf8');

export interface KnownAnswer {
  readonly encryptedContent: {
    readonly data: string;
    readonly dataKey: string;
    readonly dataSignature: string;
    readonly encryptionCertificateId: string;
    readonly encryptionCertificateThumbprint: string;
  };
  readonly symmetricKeyHex: string;
  readonly plaintext: string;
}

export const knownAnswer = JSON.parse(readFileSync(join(fixtures, 'knownAnswer.json'), 'utf8')) as KnownAnswer;

export interface TestEncryptedContent {
  data: string;
  dataKey: string;
  dataSignature: string;
  encryptionCertificateId: string;
}

/** Graph's side: a one-off 32-byte K, IV = K[0:16], AES-256-CBC/PKCS7, HMAC-SHA256 over the raw ciphertext, K wrapped with RSA-OAEP-SHA1. */
export function encryptLikeGraph(
  json: string,
  publicKey: KeyLike,
  certificateId: string,
  key: Buffer = randomBytes(32),
): TestEncryptedContent {
  const cipher = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  return {
    data: ciphertext.toString('base64'),
    dataSignature: createHmac('sha256', key).update(ciphertext).digest('base64'),
    dataKey: publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      key,
    ).toString('base64'),
    encryptionCertificateId: certificateId,
  };
}
