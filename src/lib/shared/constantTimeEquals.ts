/**
 * Compares two secrets in time independent of where they differ and of their lengths: both sides are
 * hashed to fixed-length digests first, then compared with `timingSafeEqual`. Used for clientState.
 *
 * The expected side is the same for every item of a subscription, so `matchesSecretDigest` takes its
 * digest computed once (`secretDigest`) and hashes only the value presented.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** The SHA-256 digest a presented value is compared against. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function matchesSecretDigest(expectedDigest: Buffer, actual: string): boolean {
  return timingSafeEqual(expectedDigest, secretDigest(actual));
}
