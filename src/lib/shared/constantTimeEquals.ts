/**
 * Compares two secrets in time independent of where they differ and of their lengths: both sides are
 * hashed to fixed-length digests first (`secretDigest`), then compared with `timingSafeEqual`. Used for
 * clientState.
 *
 * The expected side is the same for every item of a subscription, so its digest is computed once; the
 * presented side is hashed once per distinct value in a request (`presentedSecretDigests`).
 */
import { createHash } from 'node:crypto';

/** The SHA-256 digest a presented value is compared against. */
export function secretDigest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * A `secretDigest` that hashes each value once however often it is asked (a POST's items usually repeat their
 * subscription's clientState). Keyed by the presented value, which the sender chose: what it remembers says
 * nothing about the stored secrets. One per request, so it holds no more than that request's values.
 */
export function presentedSecretDigests(): (presented: string) => Buffer {
  const digests = new Map<string, Buffer>();
  return (presented) => {
    let digest = digests.get(presented);
    if (digest === undefined) {
      digest = secretDigest(presented);
      digests.set(presented, digest);
    }
    return digest;
  };
}
