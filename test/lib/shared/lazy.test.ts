import { describe, expect, it } from 'vitest';
import { lazy } from '../../../src/lib/shared/lazy';

describe('lazy', () => {
  it('builds nothing until the first use, then builds once and keeps the value', () => {
    let builds = 0;
    const value = lazy(() => {
      builds += 1;
      return { built: builds };
    });

    expect(builds).toBe(0);
    const first = value();
    const second = value();

    expect(builds).toBe(1);
    expect(second).toBe(first);
  });

  it('keeps an undefined value instead of building again', () => {
    let builds = 0;
    const value = lazy(() => {
      builds += 1;
      return undefined;
    });

    value();
    value();

    expect(builds).toBe(1);
  });

  it('builds again after a failed build, so a thrown error is not kept', () => {
    let builds = 0;
    const value = lazy(() => {
      builds += 1;
      if (builds === 1) throw new TypeError('first build fails');
      return builds;
    });

    expect(() => value()).toThrow('first build fails');
    expect(value()).toBe(2);
  });
});
