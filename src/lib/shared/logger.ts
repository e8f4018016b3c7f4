/**
 * The logging port. Function adapters pass the invocation's `context` (its methods match), so logs
 * correlate with the invocation in Application Insights. Messages must already be secret-free: log ids,
 * counts and reasons, never clientState, tokens or resource content.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
