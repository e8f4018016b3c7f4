import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../dev/graph-simulator/simClock.js';

describe('SimClock', () => {
  it('runs timers in time order while advancing, each at its own instant', async () => {
    const clock = new SimClock({ mode: 'manual', start: '2026-01-01T00:00:00Z' });
    const seen: string[] = [];
    clock.schedule(clock.nowMs() + 2_000, 'b', () => {
      seen.push(`b@${clock.now().toISOString()}`);
    });
    clock.schedule(clock.nowMs() + 1_000, 'a', () => {
      seen.push(`a@${clock.now().toISOString()}`);
      clock.schedule(clock.nowMs() + 500, 'a2', () => {
        seen.push(`a2@${clock.now().toISOString()}`);
      });
    });

    await clock.advance(5_000);

    expect(seen).toEqual(['a@2026-01-01T00:00:01.000Z', 'a2@2026-01-01T00:00:01.500Z', 'b@2026-01-01T00:00:02.000Z']);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:05.000Z');
  });

  it('leaves future timers alone and cancels on request', async () => {
    const clock = new SimClock({ mode: 'manual' });
    let fired = 0;
    clock.schedule(clock.nowMs() + 1_000, 'later', () => {
      fired += 1;
    });
    const cancelled = clock.schedule(clock.nowMs() + 500, 'cancelled', () => {
      fired += 100;
    });

    cancelled.cancel();
    await clock.advance(999);
    const before = fired;
    await clock.advance(1);

    expect(before).toBe(0);
    expect(fired).toBe(1);
  });

  it('keeps timers of one instant in scheduling order among many, and cancels any of them', async () => {
    const clock = new SimClock({ mode: 'manual' });
    const seen: number[] = [];
    const handles = Array.from({ length: 1_000 }, (_, index) =>
      clock.schedule(clock.nowMs() + 1_000 + (index % 10) * 100, `t${index}`, () => {
        seen.push(index);
      }),
    );
    for (const [index, handle] of handles.entries()) if (index % 3 === 0) handle.cancel();

    await clock.advance(2_000);

    const expected = Array.from({ length: 1_000 }, (_, index) => index)
      .filter((index) => index % 3 !== 0)
      .sort((a, b) => (a % 10) - (b % 10) || a - b);
    expect(seen).toEqual(expected);
    expect(clock.pendingTimers()).toEqual([]);
  });

  it('runs timers due now without being advanced and settles when their work is done', async () => {
    const clock = new SimClock({ mode: 'manual' });
    let done = false;
    clock.schedule(clock.nowMs(), 'now', async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      done = true;
    });

    await clock.settle();

    expect(done).toBe(true);
  });

  it('follows the wall clock times the scale in realtime mode', async () => {
    const clock = new SimClock({ mode: 'realtime', scale: 1_000 });
    const start = clock.nowMs();
    let firedAt = 0;
    clock.schedule(start + 20_000, 'scaled', () => {
      firedAt = clock.nowMs();
    });

    await new Promise((resolve) => setTimeout(resolve, 60));
    await clock.settle();

    expect(firedAt).toBeGreaterThanOrEqual(start + 20_000);
    expect(clock.nowMs() - start).toBeGreaterThanOrEqual(50_000);
    clock.stop();
  });
});
