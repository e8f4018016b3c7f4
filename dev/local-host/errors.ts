/**
 * Errors the local host raises about the app it runs or the options it was given. They are dev-tool
 * errors, so they carry their own small code union instead of joining the domain catalogue in
 * `src/lib/shared/errors.ts`; each message names the file, setting or function at fault.
 */
export const LOCAL_HOST_ERROR_CODES = [
  /** package.json, its `main` glob, host.json or an entry file could not be read or loaded. */
  'ERR_LOCAL_HOST_APP_INVALID',
  /** local.settings.json is malformed, or a `%Setting%` / connection setting is missing. */
  'ERR_LOCAL_HOST_SETTING_INVALID',
  /** A timer schedule is not a valid six-field NCRONTAB expression. */
  'ERR_LOCAL_HOST_SCHEDULE_INVALID',
  /** The app uses a trigger, binding or feature the local host does not emulate. */
  'ERR_LOCAL_HOST_UNSUPPORTED',
  /** Another local host is loaded in this process (the runtime module and process.env are process-wide). */
  'ERR_LOCAL_HOST_BUSY',
  /** A function ran longer than host.json `functionTimeout`. */
  'ERR_LOCAL_HOST_FUNCTION_TIMEOUT',
  /** `triggerTimer` or another call named a function the app did not register. */
  'ERR_LOCAL_HOST_FUNCTION_NOT_FOUND',
  /** A `createLocalHost` option (or its command-line flag) is out of range. */
  'ERR_LOCAL_HOST_OPTION',
] as const;

export type LocalHostErrorCode = (typeof LOCAL_HOST_ERROR_CODES)[number];

export class LocalHostError extends Error {
  readonly code: LocalHostErrorCode;

  constructor(code: LocalHostErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'LocalHostError';
  }
}

export function isLocalHostError(error: unknown): error is LocalHostError {
  return error instanceof LocalHostError;
}
