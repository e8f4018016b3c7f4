/**
 * Zod schemas of the wire formats (Graph's notifications and answers, our queue messages, subscription
 * requests), built on their first use and kept for the life of the process. Loading the app stays cheap,
 * which the cold start needs: Graph allows 10 s for the validation handshake, cold start included, and the
 * handshake needs none of them.
 *
 * The schemas use zod's mini build (`zod/mini`): the same parser, checks and messages as `zod`, with
 * functions in place of methods (`z.optional(z.string().check(z.minLength(1)))`), so the app bundle keeps
 * only the parts it uses: about a third of the code V8 would otherwise parse and run at every start.
 * `zod/mini` carries no messages of its own; the English ones `zod` gives are configured before the first
 * schema is built.
 */
import { config } from 'zod/mini';
import { en } from 'zod/locales';

let messagesConfigured = false;

export function lazySchema<T>(build: () => T): () => T {
  let built: { readonly value: T } | undefined;
  return () => {
    if (built === undefined) {
      if (!messagesConfigured) {
        config(en());
        messagesConfigured = true;
      }
      built = { value: build() };
    }
    return built.value;
  };
}
