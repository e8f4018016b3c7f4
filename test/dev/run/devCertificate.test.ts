import { X509Certificate, createPrivateKey, privateDecrypt, publicEncrypt, constants } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDevCertificate } from '../../../dev/run';
import { derPositiveInteger } from '../../../dev/run/devCertificate';
import { loadConfig } from '../../../src/lib/config';
import { testEnvironment } from '../../support/storage';

describe('createDevCertificate', () => {
  it('issues a self-signed RSA-2048 certificate that matches its key and is valid now', () => {
    const now = new Date('2026-05-01T10:00:00Z');

    const issued = createDevCertificate({ notBefore: now, validDays: 30, certificateId: 'dev-1' });
    const certificate = new X509Certificate(issued.certificatePem);

    expect(issued.certificateId).toBe('dev-1');
    expect(certificate.checkPrivateKey(createPrivateKey(issued.privateKeyPem))).toBe(true);
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(certificate.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(certificate.subject).toBe(certificate.issuer);
    expect(Date.parse(certificate.validFrom)).toBeLessThanOrEqual(now.getTime());
    expect(Date.parse(certificate.validTo)).toBe(now.getTime() + 30 * 86_400_000);
    expect(issued.privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('round-trips a data key the way Graph encrypts one for rich notifications (RSA-OAEP, SHA-1)', () => {
    const issued = createDevCertificate();
    const dataKey = Buffer.alloc(32, 7);

    const encrypted = publicEncrypt(
      {
        key: new X509Certificate(issued.certificatePem).publicKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha1',
      },
      dataKey,
    );
    const decrypted = privateDecrypt(
      { key: issued.privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' },
      encrypted,
    );

    expect(decrypted).toEqual(dataKey);
  });

  it('is accepted by the app configuration as the rich-notification certificate', () => {
    const issued = createDevCertificate({ certificateId: 'graph-notify-dev' });

    const config = loadConfig(
      testEnvironment({
        ENCRYPTION_CERTIFICATE_ID: issued.certificateId,
        ENCRYPTION_CERTIFICATE: issued.certificatePem,
        ENCRYPTION_PRIVATE_KEY: issued.privateKeyPem,
      }),
    );

    expect(config.graph.encryption.current?.certificateId).toBe('graph-notify-dev');
  });

  it('writes UTCTime before 2050 and GeneralizedTime from 2050 on (RFC 5280)', () => {
    const late = createDevCertificate({ notBefore: new Date('2049-12-01T00:00:00Z'), validDays: 60 });

    const certificate = new X509Certificate(late.certificatePem);

    expect(new Date(certificate.validTo).toISOString()).toBe('2050-01-30T00:00:00.000Z');
  });

  it('encodes every serial as a minimal positive DER integer (a leading zero byte once made X509Certificate refuse it)', () => {
    const unsigned = (bytes: Uint8Array): bigint => bytes.reduce((value, byte) => value * 256n + BigInt(byte), 0n);

    expect(derPositiveInteger(Buffer.from([0x00, 0x12]))).toEqual(Buffer.from([0x02, 0x01, 0x12]));
    expect(derPositiveInteger(Buffer.from([0x00, 0x00, 0x92]))).toEqual(Buffer.from([0x02, 0x02, 0x00, 0x92]));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), (bytes) => {
        const der = derPositiveInteger(Buffer.from(bytes));
        const content = der.subarray(2);
        expect(der[0]).toBe(0x02);
        expect(der[1]).toBe(content.length);
        expect(content[0] ?? 0).toBeLessThan(0x80);
        if (content.length > 1) expect(content[0] === 0 && (content[1] ?? 0) < 0x80).toBe(false);
        expect(unsigned(content)).toBe(unsigned(bytes));
      }),
      { numRuns: 2_000 },
    );
  });
});
