/**
 * A value built on its first use and kept for the life of the process. For module-level values that take
 * time to build (the zod schemas of the wire formats): loading the app stays cheap, which the cold start
 * needs (Graph's validation handshake, the first request after one, needs none of them), and the cost
 * lands once, on the first call that uses the value.
 */
export function lazy<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => (built ??= { value: build() }).value;
}
