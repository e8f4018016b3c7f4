/**
 * One log stream for the local host: the host's own lines ("Executing 'Functions.x' ..."), the
 * library's system lines and every `context.log` of the app, each tagged with its source, function
 * and invocation. A sink receives structured entries; the console sink prints them like the host's
 * console does. The host never puts a setting value or an error's raw text in its own lines (errors
 * go through `describeError`); what a function logs is the function's responsibility.
 */

export type LocalHostLogLevel = 'trace' | 'debug' | 'information' | 'warning' | 'error' | 'critical';

export const LOG_LEVELS: readonly LocalHostLogLevel[] = [
  'trace',
  'debug',
  'information',
  'warning',
  'error',
  'critical',
];

export interface LocalHostLogEntry {
  readonly time: Date;
  readonly level: LocalHostLogLevel;
  /** `host`: the local host itself; `worker`: the `@azure/functions` library; `function`: `context.log`. */
  readonly source: 'host' | 'worker' | 'function';
  readonly message: string;
  readonly functionName?: string;
  readonly invocationId?: string;
  /** On the "Executed" line of an invocation. */
  readonly durationMs?: number;
  readonly succeeded?: boolean;
}

export type LocalHostLogSink = (entry: LocalHostLogEntry) => void;

export function isAtLeast(level: LocalHostLogLevel, minimum: LocalHostLogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(minimum);
}

/** Prints entries at `minimum` level or above: warnings and errors to stderr, the rest to stdout. */
export function consoleLogSink(minimum: LocalHostLogLevel = 'information'): LocalHostLogSink {
  return (entry) => {
    if (!isAtLeast(entry.level, minimum)) return;
    const scope = entry.source === 'function' && entry.functionName !== undefined ? `[${entry.functionName}] ` : '';
    const line = `[${entry.time.toISOString()}] ${scope}${entry.message}\n`;
    if (isAtLeast(entry.level, 'warning')) process.stderr.write(line);
    else process.stdout.write(line);
  };
}
