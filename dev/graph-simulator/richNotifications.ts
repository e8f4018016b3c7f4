/**
 * Encryption of rich-notification resource data exactly as docs/graph-protocol.md §5.3 describes it, in the direction
 * Graph runs it: a one-off 32-byte key K; AES-256-CBC with PKCS7 and IV = K[0:16] over the UTF-8 JSON;
 * HMAC-SHA256 keyed with K over the raw ciphertext; K wrapped with RSA-OAEP (SHA-1, MGF1-SHA-1) under the
 * subscription certificate's public key; thumbprint = upper-case hex SHA-1 of the certificate DER.
 */
import {
  X509Certificate,
  constants,
  createCipheriv,
  createHash,
  createHmac,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { GraphHttpError } from './graphError.js';

export interface EncryptedContent {
  data: string;
  dataKey: string;
  dataSignature: string;
  encryptionCertificateId: string;
  encryptionCertificateThumbprint: string;
}

export interface EncryptionCertificate {
  publicKey: KeyObject;
  thumbprint: string;
}

const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 4096;

/** Parses `encryptionCertificate` (base64 DER X.509, public key only, RSA 2048–4096, docs/graph-protocol.md §1.1). */
export function parseEncryptionCertificate(base64Der: string): EncryptionCertificate {
  let certificate: X509Certificate;
  try {
    const der = Buffer.from(base64Der.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    certificate = new X509Certificate(der);
  } catch {
    throw GraphHttpError.badRequest('The encryptionCertificate is not a valid base64-encoded X.509 certificate.');
  }
  const publicKey = certificate.publicKey;
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
    throw GraphHttpError.badRequest('The encryptionCertificate must hold an RSA public key of 2048 to 4096 bits.');
  }
  return { publicKey, thumbprint: createHash('sha1').update(certificate.raw).digest('hex').toUpperCase() };
}

export function encryptResourceData(
  certificate: EncryptionCertificate,
  certificateId: string,
  resource: unknown,
): EncryptedContent {
  const key = randomBytes(32);
  const iv = key.subarray(0, 16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(resource), 'utf8'), cipher.final()]);
  const signature = createHmac('sha256', key).update(ciphertext).digest('base64');
  const wrappedKey = publicEncrypt(
    { key: certificate.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
    key,
  );
  return {
    data: ciphertext.toString('base64'),
    dataKey: wrappedKey.toString('base64'),
    dataSignature: signature,
    encryptionCertificateId: certificateId,
    encryptionCertificateThumbprint: certificate.thumbprint,
  };
}
