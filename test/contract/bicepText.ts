/**
 * Just enough Bicep reading for the contract tests, since Bicep cannot be compiled on these machines:
 * top-level keys of an object literal, declared params and outputs, and module calls with their params.
 * It relies on the house layout of infra/ (one declaration per line, objects opened at the end of a line).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const repoRoot = join(__dirname, '..', '..');

export function readRepoFile(relative: string): string {
  return readFileSync(join(repoRoot, relative), 'utf8');
}

/** Strips `//` comments (outside strings) so keys and braces in comments do not count. */
export function withoutComments(line: string): string {
  let inString = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (char === "'") inString = !inString;
    if (!inString && char === '/' && line[index + 1] === '/') return line.slice(0, index);
  }
  return line;
}

/** The text of the `{ ... }` block that opens on the first line matching `opener`, without its braces. */
export function blockAfter(text: string, opener: RegExp): string {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => opener.test(line));
  if (start === -1) throw new Error(`No line matches ${String(opener)}`);
  let depth = 0;
  const body: string[] = [];
  for (let index = start; index < lines.length; index += 1) {
    const line = withoutComments(lines[index] ?? '');
    for (const char of line) {
      if (char === '{' || char === '[') depth += 1;
      if (char === '}' || char === ']') depth -= 1;
    }
    if (index > start) body.push(line);
    if (depth === 0) return body.slice(0, -1).join('\n');
  }
  throw new Error(`Unclosed block after ${String(opener)}`);
}

/** Keys at the top level of an object block body, with the rest of their line (the value). */
export function topLevelEntries(body: string): Map<string, string> {
  const entries = new Map<string, string>();
  let depth = 0;
  for (const raw of body.split('\n')) {
    const line = withoutComments(raw);
    const match = /^\s*'?([A-Za-z_][A-Za-z0-9_]*)'?\s*:\s*(.*)$/.exec(line);
    if (depth === 0 && match?.[1] !== undefined) entries.set(match[1], match[2] ?? '');
    for (const char of line) {
      if (char === '{' || char === '[' || char === '(') depth += 1;
      if (char === '}' || char === ']' || char === ')') depth -= 1;
    }
  }
  return entries;
}

export interface BicepParam {
  readonly name: string;
  readonly hasDefault: boolean;
}

export function declaredParams(text: string): BicepParam[] {
  return [...text.matchAll(/^param (\w+) [^\n=]+?(=.*)?$/gm)].map((match) => ({
    name: match[1] ?? '',
    hasDefault: match[2] !== undefined,
  }));
}

export function declaredOutputs(text: string): string[] {
  return [...text.matchAll(/^output (\w+) /gm)].map((match) => match[1] ?? '');
}

export interface ModuleCall {
  readonly symbol: string;
  /** Path of the module file relative to the repository root. */
  readonly path: string;
  readonly params: Map<string, string>;
}

export function moduleCalls(text: string, fileRelative: string): ModuleCall[] {
  return [...text.matchAll(/^module (\w+) '([^']+)' = (?:if \([^)]*\) )?\{$/gm)].map((match) => {
    const symbol = match[1] ?? '';
    const moduleBody = blockAfter(text, new RegExp(`^module ${symbol} '`));
    const params = topLevelEntries(blockAfter(moduleBody, /^\s*params: \{$/));
    return { symbol, path: join(dirname(fileRelative), match[2] ?? ''), params };
  });
}
