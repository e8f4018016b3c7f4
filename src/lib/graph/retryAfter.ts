/**
 * Reads Graph's Retry-After header. Graph sends seconds, sometimes fractional ("2.128",
 * docs/graph-protocol.md §8.1); RFC 9110 also allows an HTTP date. Some services send none
 * (OneNote, conditional access), so the caller supplies a default backoff.
 */
import type { RetryAfter } from './errors';

const DELAY_SECONDS = /^\d+(?:\.\d+)?$/;

export function parseRetryAfter(header: string | null | undefined, now: Date, defaultMs: number): RetryAfter {
  const text = header?.trim() ?? '';
  if (DELAY_SECONDS.test(text)) {
    const ms = secondsToMs(text);
    if (Number.isSafeInteger(ms)) return { retryAfterMs: ms, retryAfterFromHeader: true };
  } else if (text !== '' && /[a-z]/i.test(text)) {
    const at = Date.parse(text);
    if (!Number.isNaN(at)) return { retryAfterMs: Math.max(0, at - now.getTime()), retryAfterFromHeader: true };
  }
  return { retryAfterMs: defaultMs, retryAfterFromHeader: false };
}

/** Decimal seconds to whole milliseconds, rounded up, in digits rather than floats ("2.027" * 1000 is 2027.0000000000002). */
function secondsToMs(text: string): number {
  const [whole = '0', fraction = ''] = text.split('.');
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const beyond = /[1-9]/.test(fraction.slice(3)) ? 1 : 0;
  return Number(whole) * 1000 + millis + beyond;
}
