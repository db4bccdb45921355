import { describe, expect, it } from 'vitest';
import { summarizeHttp } from '../../harness/http/summary.ts';
import { coefficientOfVariation, estimate, seededRandom } from '../../harness/stats/estimate.ts';
import { madOutliers, outlierWarnings } from '../../harness/stats/outliers.ts';
import { fakeTrial } from '../fixtures/results.ts';

/** Normal variates by Box-Muller from the seeded generator. */
function normal(n: number, mu: number, sigma: number, seed = 7): number[] {
  const r = seededRandom(seed);
  return Array.from({ length: n }, () => mu + sigma * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
}

describe('estimate', () => {
  it('gives the median, min, max, n and an order-statistic interval with its real level', () => {
    const e = estimate([5, 1, 3, 2, 4]);
    expect(e).toMatchObject({ median: 3, min: 1, max: 5, n: 5, ci: { lo: 1, hi: 5, level: 0.9375, method: 'order-statistic' } });
    expect(estimate([1, 2, 3, 4, 5, 6]).ci.level).toBeCloseTo(0.96875, 10);
    expect(estimate([7]).ci).toMatchObject({ lo: 7, hi: 7, level: 0 });
  });

  it('narrows the interval with more data', () => {
    const small = estimate(normal(20, 1000, 50)).ci;
    const large = estimate(normal(2000, 1000, 50)).ci;
    expect(large.hi - large.lo).toBeLessThan((small.hi - small.lo) / 3);
    expect(large.level).toBeGreaterThanOrEqual(0.95);
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

const trial = (connections: number, rps: number, round = 1, extra = {}) => fakeTrial(connections, rps, { round, ...extra });

describe('summarizeHttp', () => {
  it('groups by level, in the order run', () => {
    const s = summarizeHttp([trial(64, 10), trial(16, 20), trial(64, 12, 2), trial(16, 22, 2)]);
    expect(s.map((x) => x.label)).toEqual(['64', '16']);
    expect(s[1]!.rps.median).toBe(21);
  });

  it('tells levels with parameters apart', () => {
    const s = summarizeHttp([trial(64, 10, 1, { level: { connections: 64, params: { queries: 1 } } }), trial(64, 5, 1, { level: { connections: 64, params: { queries: 20 } } })]);
    expect(s.map((x) => x.label)).toEqual(['64 conn, queries=1', '64 conn, queries=20']);
  });

  it('warns on noisy trials with the fix', () => {
    const [s] = summarizeHttp([trial(16, 100), trial(16, 150, 2), trial(16, 60, 3)]);
    expect(s!.warnings.join(' ')).toMatch(/CV > 5%.*--profile full/);
  });

  it('counts loader-bound trials and warns', () => {
    const [s] = summarizeHttp([trial(16, 100, 1, { loaderBound: true }), trial(16, 100, 2), trial(16, 101, 3)]);
    expect(s!.loaderBoundTrials).toBe(1);
    expect(s!.warnings.join(' ')).toMatch(/loader-bound/);
  });

  it('counts errors, timeouts and non-2xx once each', () => {
    const [s] = summarizeHttp([trial(16, 100, 1, { errors: 1, timeouts: 2, non2xx: 3 })]);
    expect(s!.errors).toBe(6);
  });

  it('keeps quiet when the trials are steady and clean', () => {
    const [s] = summarizeHttp([trial(16, 100), trial(16, 101, 2), trial(16, 99, 3)]);
    expect(s!.warnings).toEqual([]);
  });
});

describe('outliers (median absolute deviation with a floor)', () => {
  it('finds a value far from the others, with its direction, and nothing in a steady sample', () => {
    expect(madOutliers([100, 101, 99, 100, 60])).toEqual([{ index: 4, direction: 'below', deviation: 0.4 }]);
    expect(madOutliers([100, 101, 99, 100, 140]).map((o) => o.direction)).toEqual(['above']);
    expect(madOutliers([100, 101, 99, 100, 102])).toEqual([]);
    expect(madOutliers([1, 2])).toEqual([]);
  });

  it('does not call a 0.22% deviation an outlier when the other trials agree to 0.01%', () => {
    // MAD ~ 0 here: without the floor (1% of the median), 100.22 would be "30 MADs" away.
    expect(madOutliers([100, 100.01, 100, 99.99, 100.22])).toEqual([]);
    expect(madOutliers([100, 100.01, 100, 99.99, 104])).toHaveLength(1);
  });

  it('says "not warm yet" only for a slow first round, and words the rest by direction', () => {
    const values = [60, 100, 101, 99, 100];
    expect(outlierWarnings(values, [1, 2, 3, 4, 5], true, 'req/s')).toEqual(['req/s of round 1 is 40.0% below the median: the target was not warm yet; raise --warmup.']);
    expect(outlierWarnings([140, 100, 101, 99, 100], [1, 2, 3, 4, 5], true, 'req/s')[0]).toMatch(/round 1 is 40\.0% above the median: the other rounds were slowed/);
    expect(outlierWarnings([100, 100, 101, 99, 60], [1, 2, 3, 4, 5], true, 'req/s')[0]).toMatch(/round 5 is 40\.0% below the median: something else used the machine during it/);
    // For a time (lower is better), a fast first round is not a cold target.
    expect(outlierWarnings(values, [1, 2, 3, 4, 5], false, 'startup')[0]).toMatch(/round 1 is 40\.0% below the median: the other rounds were slowed/);
  });
});

describe('autocannon results', () => {
  it('count each failure once: autocannon counts a timeout in its errors too', async () => {
    const { fromAutocannon } = await import('../../harness/load/autocannon-result.ts');
    const latency = { p50: 1, p90: 2, p99: 3, p999: 4, mean: 1, max: 5 };
    const r = fromAutocannon({ duration: 2, requests: { total: 1010 }, '2xx': 1000, errors: 7, timeouts: 5, non2xx: 3 }, latency, 40);
    expect(r).toMatchObject({ rps: 500, errors: 2, timeouts: 5, non2xx: 3, loaderCpuPct: 40 });
    expect(r.errors + r.timeouts + r.non2xx).toBe(10);
  });
});
