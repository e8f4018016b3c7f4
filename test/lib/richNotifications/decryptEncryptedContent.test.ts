import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DecryptionFailed,
  EncryptionKeyring,
  createEncryptionKeyring,
  decryptEncryptedContent,
  type DecryptionFailureReason,
} from '../../../src/lib/richNotifications';
import { encryptLikeGraph, fixturePrivateKeyPem, knownAnswer, type TestEncryptedContent } from './support';

const CURRENT_ID = 'test-rich-cert-1';
const PREVIOUS_ID = 'test-rich-cert-0';
const fixturePublicKey = createPublicKey(createPrivateKey(fixturePrivateKeyPem));
const previousPair = generateKeyPairSync('rsa', { modulusLength: 2048 });
const previousPrivateKeyPem = previousPair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const keyring = createEncryptionKeyring({
  current: { certificateId: CURRENT_ID, privateKeyPem: fixturePrivateKeyPem },
  previous: { certificateId: PREVIOUS_ID, privateKeyPem: previousPrivateKeyPem },
});

function failureOf(act: () => unknown): DecryptionFailed {
  try {
    act();
  } catch (error) {
    if (error instanceof DecryptionFailed) return error;
    throw new Error('expected DecryptionFailed', { cause: error });
  }
  throw new Error('expected decryption to fail');
}

function expectReason(act: () => unknown, reason: DecryptionFailureReason): DecryptionFailed {
  const error = failureOf(act);
  expect(error.code).toBe('ERR_DECRYPTION_FAILED');
  expect(error.reason).toBe(reason);
  return error;
}

/** Flips bits of one byte of a base64 field's decoded bytes. */
function tamper(base64: string, index: number, xor: number): string {
  const bytes = Buffer.from(base64, 'base64');
  const at = index % bytes.length;
  bytes[at] = (bytes[at] ?? 0) ^ xor;
  return bytes.toString('base64');
}

describe('decryptEncryptedContent', () => {
  it('decrypts the known answer produced with the openssl CLI', () => {
    const resource = decryptEncryptedContent(knownAnswer.encryptedContent, keyring);

    expect(resource).toEqual(JSON.parse(knownAnswer.plaintext));
    expect(resource.subject).toBe('Quarterly numbers – Ünïcödé ✓');
  });

  it('agrees with openssl on data and dataSignature for the same key (checks the test-side encryption too)', () => {
    const key = Buffer.from(knownAnswer.symmetricKeyHex, 'hex');

    const ours = encryptLikeGraph(knownAnswer.plaintext, fixturePublicKey, CURRENT_ID, key);

    expect(ours.data).toBe(knownAnswer.encryptedContent.data);
    expect(ours.dataSignature).toBe(knownAnswer.encryptedContent.dataSignature);
  });

  it('round-trips any JSON object encrypted as Graph documents it', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (resource) => {
        const json = JSON.stringify(resource);
        const content = encryptLikeGraph(json, fixturePublicKey, CURRENT_ID);

        const decrypted = decryptEncryptedContent(content, keyring);

        expect(decrypted).toEqual(JSON.parse(json));
      }),
      { numRuns: 60 },
    );
  });

  it('rejects any single-byte change of data or dataSignature as a signature mismatch', () => {
    const content = encryptLikeGraph('{"id":"m1","subject":"hello"}', fixturePublicKey, CURRENT_ID);
    fc.assert(
      fc.property(
        fc.constantFrom('data' as const, 'dataSignature' as const),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (field, index, xor) => {
          const tampered = { ...content, [field]: tamper(content[field], index, xor) };

          expectReason(() => decryptEncryptedContent(tampered, keyring), 'signature-mismatch');
        },
      ),
    );
  });

  it('rejects any single-byte change of dataKey', () => {
    const content = encryptLikeGraph('{"id":"m1"}', fixturePublicKey, CURRENT_ID);
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 255 }), (index, xor) => {
        const error = failureOf(() =>
          decryptEncryptedContent({ ...content, dataKey: tamper(content.dataKey, index, xor) }, keyring),
        );

        expect(['key-unwrap-failed', 'malformed', 'signature-mismatch']).toContain(error.reason);
      }),
      { numRuns: 40 },
    );
  });

  it('never throws anything but DecryptionFailed, whatever it is given', () => {
    const base64 = fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes).toString('base64'));
    const field = fc.oneof(fc.string(), base64, fc.anything());
    const shaped = fc.record({
      data: field,
      // RSA-2048-sized garbage reaches the OAEP unwrap instead of failing earlier.
      dataKey: fc.oneof(
        field,
        fc.uint8Array({ minLength: 256, maxLength: 256 }).map((bytes) => Buffer.from(bytes).toString('base64')),
      ),
      dataSignature: field,
      encryptionCertificateId: fc.oneof(fc.constantFrom(CURRENT_ID, PREVIOUS_ID), fc.string()),
    });
    fc.assert(
      fc.property(fc.oneof(fc.anything(), shaped), (garbage) => {
        failureOf(() => decryptEncryptedContent(garbage, keyring));
      }),
      { numRuns: 300 },
    );
  });

  it('decrypts content for the previous certificate during rotation', () => {
    const content = encryptLikeGraph('{"id":"old"}', previousPair.publicKey, PREVIOUS_ID);

    expect(decryptEncryptedContent(content, keyring)).toEqual({ id: 'old' });
  });

  it('rejects an unknown certificate id without trying any key', () => {
    const content = encryptLikeGraph('{"id":"x"}', fixturePublicKey, 'someone-elses-cert');

    const error = expectReason(() => decryptEncryptedContent(content, keyring), 'unknown-certificate');

    expect(error.message).toContain('someone-elses-cert');
  });

  it('rejects content encrypted for another key under our certificate id', () => {
    const content = encryptLikeGraph('{"id":"x"}', previousPair.publicKey, CURRENT_ID);

    expectReason(() => decryptEncryptedContent(content, keyring), 'key-unwrap-failed');
  });

  it.each<[string, (content: TestEncryptedContent) => unknown]>([
    ['a missing field', ({ dataSignature: _, ...rest }) => rest],
    ['text that is not base64', (content) => ({ ...content, data: `${content.data.slice(0, -4)}%%%%` })],
    ['a null', () => null],
  ])('rejects %s as malformed', (_case, mangle) => {
    const content = encryptLikeGraph('{"id":"x"}', fixturePublicKey, CURRENT_ID);

    expectReason(() => decryptEncryptedContent(mangle(content), keyring), 'malformed');
  });

  it.each([
    ['JSON that is not an object', '[1,2,3]'],
    ['text that is not JSON', 'not json'],
  ])('rejects %s after decryption as malformed', (_case, plaintext) => {
    const content = encryptLikeGraph(plaintext, fixturePublicKey, CURRENT_ID);

    expectReason(() => decryptEncryptedContent(content, keyring), 'malformed');
  });

  it('puts no content or key material in its messages', () => {
    const secretSubject = 'Top secret merger plans';
    const content = encryptLikeGraph(JSON.stringify({ subject: secretSubject }), fixturePublicKey, CURRENT_ID);
    const failures = [
      failureOf(() =>
        decryptEncryptedContent({ ...content, dataSignature: tamper(content.dataSignature, 0, 1) }, keyring),
      ),
      failureOf(() => decryptEncryptedContent({ ...content, dataKey: tamper(content.dataKey, 5, 1) }, keyring)),
      failureOf(() => decryptEncryptedContent({ ...content, data: 'AAAA' }, keyring)),
    ];

    for (const error of failures) {
      for (const forbidden of [
        secretSubject,
        content.data.slice(0, 16),
        content.dataKey.slice(0, 16),
        content.dataSignature.slice(0, 16),
      ]) {
        expect(error.message).not.toContain(forbidden);
      }
    }
  });
});

describe('EncryptionKeyring', () => {
  it('holds the current and previous keys by certificate id, and none when unconfigured', () => {
    expect(keyring.certificateIds).toEqual([CURRENT_ID, PREVIOUS_ID]);
    expect(createEncryptionKeyring({ current: undefined, previous: undefined }).certificateIds).toEqual([]);
  });

  it('refuses the same certificate id twice', () => {
    const key = { certificateId: CURRENT_ID, privateKeyPem: fixturePrivateKeyPem };

    expect(() => new EncryptionKeyring([key, key])).toThrow(TypeError);
  });
});
