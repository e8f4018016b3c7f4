import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { lazySchema } from '../../../src/lib/shared/lazySchema';

describe('lazySchema', () => {
  it('builds nothing until the first use, then builds once and keeps the schema', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds += 1;
      return z.string();
    });

    expect(builds).toBe(0);
    const first = schema();
    const second = schema();

    expect(builds).toBe(1);
    expect(second).toBe(first);
  });

  it('builds again after a failed build, so a thrown error is not kept', () => {
    let builds = 0;
    const schema = lazySchema(() => {
      builds += 1;
      if (builds === 1) throw new TypeError('first build fails');
      return z.string();
    });

    expect(() => schema()).toThrow('first build fails');
    expect(schema().safeParse('text').success).toBe(true);
  });

  it('gives the English messages zod gives, which zod/mini leaves out', () => {
    const schema = lazySchema(() => z.object({ id: z.string().check(z.maxLength(3)) }));

    const tooLong = schema().safeParse({ id: 'abcd' });
    const wrongType = schema().safeParse({ id: 7 });

    expect(tooLong.error?.issues[0]?.message).toBe('Too big: expected string to have <=3 characters');
    expect(wrongType.error?.issues[0]?.message).toBe('Invalid input: expected string, received number');
  });
});
