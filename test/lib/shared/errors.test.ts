import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../../../src/functions/shared/problemResponse';
import { ERROR_CODES } from '../../../src/lib/shared/errors';

const documented = new Map(
  [...readFileSync('docs/errors.md', 'utf8').matchAll(/^\| `(ERR_[A-Z_]+)` \| (\d{3}|–) \|/gm)].map((match) => [
    match[1] ?? '',
    match[2] ?? '',
  ]),
);

describe('the error catalogue', () => {
  it('documents every code in docs/errors.md, and only codes that exist', () => {
    expect([...documented.keys()].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('documents the HTTP status each code is answered with', () => {
    for (const code of ERROR_CODES) {
      const status = STATUS_BY_CODE[code];
      expect(documented.get(code), code).toBe(status === undefined ? '–' : String(status));
    }
  });

  it('has no code twice', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
  });
});
