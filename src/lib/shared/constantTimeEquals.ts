/**
 * Compares two secrets in time independent of where they differ and of their lengths: both sides are
 * hashed to fixed-length digests first, then compared with `timingSafeEqual`. Used for clientState.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function constantTimeEquals(expected: string, actual: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(actual, 'utf8').digest();
  return timingSafeEqual(a, b);
}
