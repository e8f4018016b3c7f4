/**
 * A throwaway rich-notification certificate for `npm run dev` and the end-to-end tests, made at start-up
 * with node:crypto so no private key is ever committed. Node can parse X.509 but not issue it, so the
 * few DER structures of a self-signed certificate (RFC 5280 §4.1) are written here by hand: version 3,
 * a random serial, sha256WithRSAEncryption, subject = issuer = one common name, a validity window and
 * the key's SubjectPublicKeyInfo. `X509Certificate` parses the result and checks it against the key
 * before it is handed out, so a mistake here fails loudly at start-up rather than at decryption.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';

export interface DevCertificate {
  /** ENCRYPTION_CERTIFICATE_ID: names the certificate in subscriptions and payloads. */
  readonly certificateId: string;
  /** ENCRYPTION_CERTIFICATE: the certificate, PEM. */
  readonly certificatePem: string;
  /** ENCRYPTION_PRIVATE_KEY: PKCS#8 PEM, unencrypted (dev only). */
  readonly privateKeyPem: string;
}

export interface DevCertificateOptions {
  readonly commonName?: string;
  readonly certificateId?: string;
  /** Start of validity; default now. */
  readonly notBefore?: Date;
  readonly validDays?: number;
  /** 2048 to 4096: the range Graph accepts for encryptionCertificate (docs/graph-protocol.md §5.1). */
  readonly modulusLength?: number;
}

/** OIDs in their DER content encoding. */
const SHA256_WITH_RSA = '2a864886f70d01010b';
const COMMON_NAME = '550403';

function length(size: number): Buffer {
  if (size < 0x80) return Buffer.from([size]);
  const bytes: number[] = [];
  for (let rest = size; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const oid = (hex: string): Buffer => tlv(0x06, Buffer.from(hex, 'hex'));
const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);
const utf8 = (text: string): Buffer => tlv(0x0c, Buffer.from(text, 'utf8'));
const bitString = (content: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0x00]), content]));
const explicit = (tagNumber: number, content: Buffer): Buffer => tlv(0xa0 | tagNumber, content);

/**
 * The DER INTEGER of an unsigned big-endian number: minimal, so leading zero bytes go (a random serial
 * starts with 0x00 once in 256, which parsers refuse as "illegal padding"), and one 0x00 comes back when
 * the first bit is set, which would otherwise make the integer negative.
 */
export function derPositiveInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const minimal = bytes.length === 0 ? Buffer.from([0x00]) : bytes.subarray(start);
  return tlv(0x02, (minimal[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0x00]), minimal]) : minimal);
}

/** UTCTime until 2049, GeneralizedTime after (RFC 5280 §4.1.2.5). */
function time(instant: Date): Buffer {
  const iso = instant.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return instant.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`, 'ascii'))
    : tlv(0x18, Buffer.from(`${iso}Z`, 'ascii'));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Issues a self-signed RSA certificate and its key. Takes a few hundred milliseconds (key generation). */
export function createDevCertificate(options: DevCertificateOptions = {}): DevCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: options.modulusLength ?? 2048 });
  const notBefore = options.notBefore ?? new Date();
  const notAfter = new Date(notBefore.getTime() + (options.validDays ?? 365) * 86_400_000);
  const name = sequence(set(sequence(oid(COMMON_NAME), utf8(options.commonName ?? 'graph-notify local development'))));
  const algorithm = sequence(oid(SHA256_WITH_RSA), nullValue());
  const tbs = sequence(
    explicit(0, derPositiveInteger(Buffer.from([0x02]))),
    derPositiveInteger(randomBytes(16)),
    algorithm,
    name,
    sequence(time(new Date(notBefore.getTime() - 60_000)), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const der = sequence(tbs, algorithm, bitString(sign('sha256', tbs, privateKey)));
  const certificatePem = pem('CERTIFICATE', der);
  assertUsable(certificatePem, privateKey);
  return {
    certificateId: options.certificateId ?? `dev-${randomBytes(4).toString('hex')}`,
    certificatePem,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function assertUsable(certificatePem: string, privateKey: KeyObject): void {
  const certificate = new X509Certificate(certificatePem);
  if (!certificate.checkPrivateKey(createPrivateKey(privateKey.export({ type: 'pkcs8', format: 'pem' })))) {
    throw new TypeError('the generated development certificate does not match its key');
  }
  if (!certificate.verify(certificate.publicKey))
    throw new TypeError('the generated development certificate has an invalid self-signature');
}
