/**
 * Expands package.json `main` the way the Functions Node worker does (it hands the pattern to a glob
 * library), with only node:fs: brace alternatives (nested allowed), `*` and `?` inside one path
 * segment, and `**` for any depth. The quickstart pattern `dist/src/{index.js,functions/*.js}` needs
 * braces and a star; the rest keeps hand-written patterns from surprising anyone.
 *
 * Order matters, because `src/index.ts` calls `app.setup` before any function file registers: files
 * come out in the order of the brace alternatives, then alphabetically within one alternative, each
 * file once. Like the worker's glob, dot-files and dot-folders only match a segment that starts with a dot.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`. Unbalanced braces are taken literally. */
export function expandBraces(pattern: string): string[] {
  const open = pattern.indexOf('{');
  if (open === -1) return [pattern];
  let depth = 0;
  const commas: number[] = [];
  for (let index = open; index < pattern.length; index++) {
    const char = pattern[index];
    if (char === '{') depth++;
    else if (char === '}') {
      depth--;
      if (depth === 0) {
        const head = pattern.slice(0, open);
        const tail = pattern.slice(index + 1);
        const bounds = [open, ...commas, index];
        const results: string[] = [];
        for (let part = 0; part < bounds.length - 1; part++) {
          const alternative = pattern.slice((bounds[part] ?? 0) + 1, bounds[part + 1]);
          for (const expanded of expandBraces(`${head}${alternative}${tail}`)) results.push(expanded);
        }
        return results;
      }
    } else if (char === ',' && depth === 1) commas.push(index);
  }
  // No closing brace: keep the `{` literal and expand whatever follows it.
  return expandBraces(pattern.slice(open + 1)).map((rest) => `${pattern.slice(0, open + 1)}${rest}`);
}

function hasWildcard(segment: string): boolean {
  return segment.includes('*') || segment.includes('?');
}

/** Matches one path segment against a pattern with `*` (any run) and `?` (one character). */
export function matchesSegment(pattern: string, name: string): boolean {
  if (name.startsWith('.') && !pattern.startsWith('.')) return false;
  const source = pattern
    .split('')
    .map((char) => (char === '*' ? '.*' : char === '?' ? '.' : char.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`, 's').test(name);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function listDirectory(path: string): string[] {
  try {
    return readdirSync(path).sort();
  } catch {
    return [];
  }
}

/** Relative paths (with `/`) under `baseDir` matching the segments from `index` on. */
function walk(baseDir: string, relative: string, segments: readonly string[], index: number, found: string[]): void {
  const absolute = relative === '' ? baseDir : join(baseDir, relative);
  const segment = segments[index];
  if (segment === undefined) {
    if (relative !== '' && isFile(absolute)) found.push(relative);
    return;
  }
  const child = (name: string): string => (relative === '' ? name : `${relative}/${name}`);
  if (segment === '**') {
    // Zero directories, then each sub-directory (never through node_modules or dot-folders).
    walk(baseDir, relative, segments, index + 1, found);
    for (const name of listDirectory(absolute)) {
      if (name.startsWith('.') || name === 'node_modules' || !isDirectory(join(absolute, name))) continue;
      walk(baseDir, child(name), segments, index, found);
    }
    return;
  }
  if (!hasWildcard(segment)) {
    walk(baseDir, child(segment), segments, index + 1, found);
    return;
  }
  for (const name of listDirectory(absolute)) {
    if (matchesSegment(segment, name)) walk(baseDir, child(name), segments, index + 1, found);
  }
}

/**
 * The files under `baseDir` that `pattern` names, as `/`-separated paths relative to `baseDir`.
 * A pattern without wildcards names one file; a missing file simply yields no match.
 */
export function expandMainGlob(baseDir: string, pattern: string): string[] {
  const ordered: string[] = [];
  const seen = new Set<string>();
  for (const alternative of expandBraces(pattern.trim())) {
    const segments = alternative.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
    const found: string[] = [];
    walk(baseDir, '', segments, 0, found);
    for (const file of found.sort()) {
      if (seen.has(file)) continue;
      seen.add(file);
      ordered.push(file);
    }
  }
  return ordered;
}
