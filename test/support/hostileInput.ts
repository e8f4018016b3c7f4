/** Generators and builders for what an attacker sends to the webhooks (test/functions/webhooks.test.ts, test/e2e/hostileInput.test.ts). */
import fc from 'fast-check';

/** `{"a":{"a":...1...}}` nested `depth` levels deep, as text (JSON.stringify itself fails on deep values). */
export function nestedJson(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Subscription ids an attacker would try: path and query characters, quotes, OData keys, control characters, long ones. */
export const hostileIds = fc.oneof(
  fc
    .tuple(fc.string(), fc.constantFrom('/', '\\', '#', '?', "'", '(', '%2F', '\u0000', '..', ' '), fc.string())
    .map(([a, c, b]) => `${a}${c}${b}`),
  fc.string({ minLength: 1, maxLength: 1024 }),
  fc.uuid().map((id) => `${id}/x`),
  fc.uuid().map((id) => id.toUpperCase()),
);
