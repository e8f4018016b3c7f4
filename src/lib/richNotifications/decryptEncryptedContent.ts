/**
 * Decrypts the `encryptedContent` of a rich notification exactly as Graph documents it
 * (docs/graph-protocol.md §5.3): the certificate id selects our private key; RSA-OAEP with
 * SHA-1 unwraps the one-off 32-byte key K; HMAC-SHA256 keyed with K over the raw ciphertext must equal
 * `dataSignature` (compared in constant time, before anything is decrypted); AES-256-CBC with PKCS7
 * padding and IV = K[0:16] yields UTF-8 JSON of the resource. Any input, however malformed, ends in
 * the resource or a `DecryptionFailed` with a reason; no message carries content or key material.
 */
import { constants, createDecipheriv, createHmac, privateDecrypt, timingSafeEqual } from 'node:crypto';
import { DecryptionFailed } from './errors';
import type { EncryptedContent } from '../notifications';
import type { EncryptionKeyring } from './encryptionKeyring';

const SYMMETRIC_KEY_BYTES = 32;
const IV_BYTES = 16;
const HMAC_BYTES = 32;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decrypts `content` (anything; it is checked) into the resource's JSON object. */
export function decryptEncryptedContent(
  content: unknown,
  keyring: EncryptionKeyring,
): Readonly<Record<string, unknown>> {
  const { data, dataKey, dataSignature, encryptionCertificateId } = checkShape(content);
  const privateKey = keyring.privateKeyFor(encryptionCertificateId);
  if (privateKey === undefined) {
    throw new DecryptionFailed(
      'unknown-certificate',
      `no key for encryptionCertificateId "${encryptionCertificateId.slice(0, 128)}"`,
    );
  }

  const wrappedKey = decodeBase64(dataKey, 'dataKey');
  const ciphertext = decodeBase64(data, 'data');
  const signature = decodeBase64(dataSignature, 'dataSignature');

  let key: Buffer;
  try {
    key = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, wrappedKey);
  } catch {
    throw new DecryptionFailed(
      'key-unwrap-failed',
      `dataKey does not unwrap with the key for "${encryptionCertificateId.slice(0, 128)}"`,
    );
  }
  try {
    if (key.length !== SYMMETRIC_KEY_BYTES)
      throw new DecryptionFailed('malformed', `the unwrapped key is ${key.length} bytes, not ${SYMMETRIC_KEY_BYTES}`);

    // The HMAC covers the base64-decoded ciphertext, not its text (§5.3 step 3); check it before decrypting.
    const expected = createHmac('sha256', key).update(ciphertext).digest();
    if (signature.length !== HMAC_BYTES || !timingSafeEqual(expected, signature)) {
      throw new DecryptionFailed('signature-mismatch', 'dataSignature does not match the HMAC-SHA256 of data');
    }

    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-cbc', key, key.subarray(0, IV_BYTES));
      plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch {
      throw new DecryptionFailed('malformed', 'data does not decrypt (AES-256-CBC/PKCS7)');
    }
    return parseResource(plaintext);
  } finally {
    key.fill(0);
  }
}

function checkShape(content: unknown): EncryptedContent {
  if (typeof content !== 'object' || content === null || Array.isArray(content)) {
    throw new DecryptionFailed('malformed', 'encryptedContent is not an object');
  }
  const fields = content as Record<string, unknown>;
  for (const name of ['data', 'dataKey', 'dataSignature', 'encryptionCertificateId'] as const) {
    if (typeof fields[name] !== 'string' || fields[name] === '')
      throw new DecryptionFailed('malformed', `encryptedContent.${name} is missing or not a string`);
  }
  return content as EncryptedContent;
}

function decodeBase64(text: string, field: string): Buffer {
  // Buffer.from skips characters outside the alphabet; a strict check keeps altered text from decoding "successfully".
  if (!BASE64.test(text)) throw new DecryptionFailed('malformed', `encryptedContent.${field} is not base64`);
  return Buffer.from(text, 'base64');
}

function parseResource(plaintext: Buffer): Readonly<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw new DecryptionFailed('malformed', 'the decrypted data is not UTF-8 JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DecryptionFailed('malformed', 'the decrypted data is not a JSON object');
  }
  return parsed as Readonly<Record<string, unknown>>;
}
