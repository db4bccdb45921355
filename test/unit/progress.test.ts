import { describe, expect, it, vi } from 'vitest';
import { ConsoleProgress } from '../../harness/cli/progress.ts';

describe('progress', () => {
  it('prints where the run is, elapsed time and what remains', () => {
    const lines: string[] = [];
    const p = new ConsoleProgress(100, (l) => lines.push(l));
    p.setContext('node · json: ');
    p.step('16 connections, trial 1/3', 10);
    expect(lines[0]).toMatch(/^\[0s elapsed, ~1m40s left\] node · json: 16 connections, trial 1\/3$/);
  });

  it('scales the estimate by the real pace and ignores unplanned work such as preparing', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    try {
      const p = new ConsoleProgress(100, () => {});
      p.step('preparing'); // unplanned
      vi.advanceTimersByTime(30_000);
      p.step('trial 1', 10);
      vi.advanceTimersByTime(20_000); // the 10 planned seconds took 20
      p.step('trial 2', 10);
      // 90 planned seconds left at twice the planned pace; the 30 s of preparing do not count.
      expect(p.remainingS()).toBeCloseTo(180, 0);
      p.skipPlanned(40);
      expect(p.remainingS()).toBeCloseTo(100, 0);
    } finally {
      vi.useRealTimers();
    }
  });
});
