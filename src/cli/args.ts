/** A small argv parser: positionals, `--flag`, `--name value` and `--name=value`; repeated names collect. */
export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly options: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseArgs(argv: readonly string[], valued: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string[]>();
  const flags = new Set<string>();
  for (let index = 0; index < argv.length; index += 1) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [name = '', inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (valued.includes(name)) {
      const value = inline ?? argv[index + 1];
      if (value === undefined || (inline === undefined && value.startsWith('--')))
        throw new UsageError(`--${name} needs a value`);
      if (inline === undefined) index += 1;
      options.set(name, [...(options.get(name) ?? []), value]);
    } else {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags.add(name);
    }
  }
  return { positionals, options, flags };
}

export function single(args: ParsedArgs, name: string): string | undefined {
  const values = args.options.get(name);
  if (values !== undefined && values.length > 1) throw new UsageError(`--${name} given more than once`);
  return values?.[0];
}

export function rejectUnknown(
  args: ParsedArgs,
  allowedFlags: readonly string[],
  allowedOptions: readonly string[],
): void {
  for (const flag of args.flags) if (!allowedFlags.includes(flag)) throw new UsageError(`unknown flag --${flag}`);
  for (const name of args.options.keys())
    if (!allowedOptions.includes(name)) throw new UsageError(`unknown option --${name}`);
}
