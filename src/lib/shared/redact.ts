/**
 * Secrets never reach a message or a log. Every unknown error passes through `describeError` before it
 * is logged or returned; it masks bearer tokens, JWTs, clientState values, account keys, SAS
 * signatures and connection-string secrets, whatever the error put in its message.
 */

const MASK = '***';

const PATTERNS: readonly [RegExp, string][] = [
  // Authorization headers and bearer tokens.
  [/\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${MASK}`],
  // Compact JWS/JWT: three base64url segments, the first starting with eyJ.
  [/\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, MASK],
  // Connection-string secrets: AccountKey=...; SharedAccessKey=...; SharedAccessSignature=...
  [/\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|ClientSecret)=([^;\s"']+)/gi, `$1=${MASK}`],
  // SAS signature query parameter and function keys in URLs.
  [/([?&](?:sig|code|client_secret|client_assertion|validationToken)=)[^&\s"']+/gi, `$1${MASK}`],
  // JSON-ish fields that carry secrets or resource content.
  [
    /("?(?:clientState|client_secret|clientSecret|access_token|accessToken|refresh_token|privateKey|dataKey|data|encryptedContent)"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|[^,}\s]+)/gi,
    `$1"${MASK}"`,
  ],
  // PEM blocks (private keys, certificates).
  [/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g, `-----${MASK}-----`],
];

/** Masks every secret-looking fragment of `text`. */
export function redact(text: string): string {
  let result = text;
  for (const [pattern, replacement] of PATTERNS) result = result.replace(pattern, replacement);
  return result;
}

/** A loggable, secret-free one-line description of any thrown value, with its code when it has one. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const prefix =
      typeof code === 'string' || typeof code === 'number' ? `${error.name} [${String(code)}]` : error.name;
    const cause = error.cause === undefined ? '' : ` (cause: ${describeError(error.cause)})`;
    return redact(`${prefix}: ${error.message}${cause}`);
  }
  if (typeof error === 'string') return redact(error);
  // JSON.stringify gives undefined for undefined, functions and symbols.
  const json = JSON.stringify(error) as string | undefined;
  return redact(json ?? typeof error);
}
