import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandBraces, expandMainGlob, matchesSegment } from '../../../dev/local-host/expandMainGlob';

describe('expandBraces', () => {
  it('expands alternatives in order, nested ones included', () => {
    expect(expandBraces('dist/src/{index.js,functions/*.js}')).toEqual([
      'dist/src/index.js',
      'dist/src/functions/*.js',
    ]);
    expect(expandBraces('a{b,c{d,e}}f{1,2}')).toEqual(['abf1', 'abf2', 'acdf1', 'acdf2', 'acef1', 'acef2']);
    expect(expandBraces('no-braces.js')).toEqual(['no-braces.js']);
    expect(expandBraces('left{open.js')).toEqual(['left{open.js']);
  });

  it('yields one pattern per combination of alternatives', () => {
    const word = fc.stringMatching(/^[a-z]{1,4}$/);
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(word, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }),
        (groups) => {
          const pattern = groups.map((group) => `{${group.join(',')}}`).join('/');
          const expanded = expandBraces(pattern);
          expect(expanded).toHaveLength(groups.reduce((product, group) => product * group.length, 1));
          expect(expanded[0]).toBe(groups.map((group) => group[0]).join('/'));
        },
      ),
    );
  });
});

describe('matchesSegment', () => {
  it('matches * and ? within one segment and leaves dot-files to dot patterns', () => {
    expect(matchesSegment('*.js', 'receiveNotifications.js')).toBe(true);
    expect(matchesSegment('*.js', 'receiveNotifications.js.map')).toBe(false);
    expect(matchesSegment('?.js', 'a.js')).toBe(true);
    expect(matchesSegment('*.js', '.hidden.js')).toBe(false);
    expect(matchesSegment('.*.js', '.hidden.js')).toBe(true);
    expect(matchesSegment('a+b(1).js', 'a+b(1).js')).toBe(true);
  });
});

describe('expandMainGlob', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'local-host-glob-'));
    for (const file of [
      'dist/src/index.js',
      'dist/src/functions/b.js',
      'dist/src/functions/a.js',
      'dist/src/functions/a.js.map',
      'dist/src/functions/nested/c.js',
      'dist/src/lib/deep/d.js',
      'dist/src/node_modules/x/e.js',
    ]) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), '');
    }
  });

  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('lists the quickstart pattern index first, then function files alphabetically', () => {
    expect(expandMainGlob(root, 'dist/src/{index.js,functions/*.js}')).toEqual([
      'dist/src/index.js',
      'dist/src/functions/a.js',
      'dist/src/functions/b.js',
    ]);
  });

  it('supports ** for any depth (never through node_modules), sorts by path within an alternative and lists each file once', () => {
    expect(expandMainGlob(root, 'dist/src/{functions/a.js,**/*.js}')).toEqual([
      'dist/src/functions/a.js',
      'dist/src/functions/b.js',
      'dist/src/functions/nested/c.js',
      'dist/src/index.js',
      'dist/src/lib/deep/d.js',
    ]);
  });

  it('names a single file, and nothing when it does not exist', () => {
    expect(expandMainGlob(root, './dist/src/index.js')).toEqual(['dist/src/index.js']);
    expect(expandMainGlob(root, 'dist/missing.js')).toEqual([]);
    expect(expandMainGlob(root, 'nowhere/*.js')).toEqual([]);
  });
});
