import { describe, expect, it } from 'vitest';
import { bootstrapMedianCi, coefficientOfVariation, estimate, seededRandom } from '../../harness/stats/estimate.ts';
import { summarizeTrials } from '../../harness/stats/summarize.ts';
import type { Trial } from '../../harness/types.ts';

/** Normal variates by Box-Muller from the seeded generator. */
function normal(n: number, mu: number, sigma: number, seed = 7): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('estimate', () => {
  it('gives the median, min, max and n', () => {
    const e = estimate([5, 1, 3, 2, 4]);
    expect(e).toMatchObject({ median: 3, min: 1, max: 5, n: 5 });
  });

  it('has a 95% CI that covers the true median about 95% of the time', () => {
    let covered = 0;
    const samples = 200;
    for (let i = 0; i < samples; i++) {
      const [lo, hi] = bootstrapMedianCi(normal(30, 1000, 50, 100 + i), 500, i + 1);
      if (lo <= 1000 && 1000 <= hi) covered++;
    }
    // The percentile bootstrap of a median is a little liberal on small samples.
    expect(covered / samples).toBeGreaterThan(0.85);
    expect(covered / samples).toBeLessThan(1);
  });

  it('gives a narrower CI with more data', () => {
    const small = bootstrapMedianCi(normal(20, 1000, 50));
    const large = bootstrapMedianCi(normal(2000, 1000, 50));
    expect(large[1] - large[0]).toBeLessThan((small[1] - small[0]) / 3);
  });

  it('is deterministic for the same trials', () => {
    const values = normal(9, 100, 10);
    expect(bootstrapMedianCi(values)).toEqual(bootstrapMedianCi(values));
  });

  it('computes the coefficient of variation of a known sample', () => {
    expect(coefficientOfVariation([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(2.138 / 5, 3);
    expect(coefficientOfVariation([7])).toBe(0);
    expect(coefficientOfVariation(normal(5000, 100, 10))).toBeCloseTo(0.1, 2);
  });

  it('refuses an empty sample', () => {
    expect(() => estimate([])).toThrow();
  });
});

const trial = (connections: number, rps: number, extra: Partial<Trial> = {}): Trial => ({
  connections,
  trial: 1,
  durationS: 5,
  requests: rps * 5,
  rps,
  latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, mean: 1.2, max: 9 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  loaderCpuPct: 40,
  loaderBound: false,
  target: { rssBytesPeak: 1000, rssBytesMean: 900, cpuPct: 99 },
  ...extra,
});

describe('summarizeTrials', () => {
  it('groups by connection level, sorted', () => {
    const s = summarizeTrials([trial(64, 10), trial(16, 20), trial(64, 12), trial(16, 22)]);
    expect(s.map((x) => x.connections)).toEqual([16, 64]);
    expect(s[0]!.rps.median).toBe(21);
  });

  it('warns on noisy trials with the fix', () => {
    const [s] = summarizeTrials([trial(16, 100), trial(16, 150), trial(16, 60)]);
    expect(s!.warnings.join(' ')).toMatch(/CV > 5%.*--profile full/);
  });

  it('counts loader-bound trials and warns', () => {
    const [s] = summarizeTrials([trial(16, 100, { loaderBound: true }), trial(16, 100), trial(16, 101)]);
    expect(s!.loaderBoundTrials).toBe(1);
    expect(s!.warnings.join(' ')).toMatch(/loader-bound/);
  });

  it('adds errors, timeouts and non-2xx', () => {
    const [s] = summarizeTrials([trial(16, 100, { errors: 1, timeouts: 2, non2xx: 3 })]);
    expect(s!.errors).toBe(6);
  });

  it('keeps quiet when the trials are steady and clean', () => {
    const [s] = summarizeTrials([trial(16, 100), trial(16, 101), trial(16, 99)]);
    expect(s!.warnings).toEqual([]);
  });
});

describe('outliers (median absolute deviation)', () => {
  it('finds a value far from the others and nothing in a steady sample', async () => {
    const { madOutliers } = await import('../../harness/stats/summarize.ts');
    expect(madOutliers([100, 101, 99, 100, 60])).toEqual([4]);
    expect(madOutliers([100, 101, 99, 100, 102])).toEqual([]);
    expect(madOutliers([1, 2])).toEqual([]);
  });

  it('warns, with the fix, when the first trial is the outlier', () => {
    const trials = [trial(16, 60), trial(16, 100), trial(16, 101), trial(16, 99), trial(16, 100)].map((t, i) => ({ ...t, trial: i + 1 }));
    const [s] = summarizeTrials(trials);
    expect(s!.warnings.join(' ')).toMatch(/the first trial is an outlier .* raise --warmup/);
  });
});
