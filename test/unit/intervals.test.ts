import { describe, expect, it } from 'vitest';
import {
  binomialCdfHalf,
  formatLevel,
  medianInterval,
  orderStatisticCoverage,
  pairedRatio,
  ratioBetweenSamples,
  trialsForLevel,
} from '../../harness/stats/intervals.ts';

import { seededRandom } from '../../harness/stats/estimate.ts';

/** Seeded (mulberry32), so simulated coverages are the same on every run. */
const mulberry32 = seededRandom;

/** Standard normal by Box-Muller; 1 - u keeps the log away from 0. */
const normal = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
/** Lognormal: skewed, median exp(mu). */
const lognormal = (random: () => number, mu: number, sigma: number) => Math.exp(mu + sigma * normal(random));

/** Fraction of `reps` replications in which `trial` reports that its interval covered the truth. */
function coverage(reps: number, trial: () => boolean): number {
  let covered = 0;
  for (let r = 0; r < reps; r++) if (trial()) covered++;
  return covered / reps;
}

/** Exact P(U = u) for the Mann-Whitney U of sizes n and m, by enumerating every ordering (small sizes only). */
function bruteForceU(n: number, m: number): number[] {
  const counts = new Array<number>(n * m + 1).fill(0);
  let total = 0;
  for (let mask = 0; mask < 1 << (n + m); mask++) {
    let ones = 0;
    for (let x = mask; x; x &= x - 1) ones++;
    if (ones !== n) continue;
    // Bit p set: the p-th smallest value is an a; U counts the b's below each a.
    let u = 0;
    let bsBelow = 0;
    for (let p = 0; p < n + m; p++) {
      if (mask & (1 << p)) u += bsBelow;
      else bsBelow++;
    }
    counts[u]!++;
    total++;
  }
  return counts.map((c) => c / total);
}

const PRIMES = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47];
const sortNum = (v: number[]) => [...v].sort((x, y) => x - y);

describe('binomialCdfHalf', () => {
  it('gives exact small values', () => {
    expect(binomialCdfHalf(10, 1)).toBe(11 / 1024);
    expect(binomialCdfHalf(10, 2)).toBe(56 / 1024);
    expect(binomialCdfHalf(4, 0)).toBe(1 / 16);
    expect(binomialCdfHalf(5, 2)).toBe(0.5);
    expect(binomialCdfHalf(4, 3)).toBe(15 / 16);
    expect(binomialCdfHalf(10, 7)).toBe(1 - 56 / 1024);
  });

  it('handles k out of range and n = 0', () => {
    expect(binomialCdfHalf(10, -1)).toBe(0);
    expect(binomialCdfHalf(10, 10)).toBe(1);
    expect(binomialCdfHalf(10, 50)).toBe(1);
    expect(binomialCdfHalf(0, 0)).toBe(1);
    expect(binomialCdfHalf(10, 1.7)).toBe(11 / 1024);
    expect(() => binomialCdfHalf(-1, 0)).toThrow();
    expect(() => binomialCdfHalf(2.5, 0)).toThrow();
  });

  it('matches exact big-integer arithmetic for n = 2000, tails included', () => {
    const n = 2000;
    const binom: bigint[] = [1n];
    for (let i = 0; i < n; i++) binom.push((binom[i]! * BigInt(n - i)) / BigInt(i + 1));
    const denominator = 1n << BigInt(n);
    for (const k of [0, 700, 900, 955, 999, 1000, 1050, 1300, 1999]) {
      let numerator = 0n;
      for (let i = 0; i <= k; i++) numerator += binom[i]!;
      // Keep 200 bits of the quotient so tiny tails keep their relative precision.
      const exact = Number((numerator << 200n) / denominator) / 2 ** 200;
      const got = binomialCdfHalf(n, k);
      if (exact === 0) expect(got).toBe(0);
      else expect(Math.abs(got - exact) / exact).toBeLessThan(1e-11);
    }
  });
});

describe('orderStatisticCoverage', () => {
  it('gives the coverage of [min, max]', () => {
    expect(orderStatisticCoverage(1, 1)).toBe(0);
    expect(orderStatisticCoverage(2, 1)).toBe(0.5);
    expect(orderStatisticCoverage(3, 1)).toBe(0.75);
    expect(orderStatisticCoverage(4, 1)).toBe(0.875);
    expect(orderStatisticCoverage(5, 1)).toBe(0.9375);
    expect(orderStatisticCoverage(6, 1)).toBe(0.96875);
  });

  it('gives the coverage of inner order statistics', () => {
    expect(orderStatisticCoverage(10, 2)).toBe(1 - (2 * 11) / 1024);
    expect(orderStatisticCoverage(10, 2)).toBe(0.978515625);
    expect(orderStatisticCoverage(10, 3)).toBe(0.890625);
    // k at the middle of an odd sample is the sample median alone: no coverage.
    expect(orderStatisticCoverage(5, 3)).toBe(0);
  });

  it('rejects k outside [1, (n+1)/2]', () => {
    expect(() => orderStatisticCoverage(10, 0)).toThrow();
    expect(() => orderStatisticCoverage(10, 6)).toThrow();
    expect(() => orderStatisticCoverage(0, 1)).toThrow();
  });
});

describe('medianInterval', () => {
  it('returns [min, max] with its real level when that is all n allows', () => {
    expect(medianInterval([3, 1, 2])).toEqual({ lo: 1, hi: 3, level: 0.75, method: 'order-statistic' });
    expect(medianInterval([4, 1, 3, 2])).toEqual({ lo: 1, hi: 4, level: 0.875, method: 'order-statistic' });
    expect(medianInterval([5, 1, 4, 2, 3])).toEqual({ lo: 1, hi: 5, level: 0.9375, method: 'order-statistic' });
  });

  it('returns [min, max] at 96.875% for n = 6 with target 0.95', () => {
    expect(medianInterval([60, 10, 50, 20, 40, 30], 0.95)).toEqual({ lo: 10, hi: 60, level: 0.96875, method: 'order-statistic' });
  });

  it('picks k = 2 for n = 10 (the second smallest and second largest), not k = 1 or 3', () => {
    const values = [7, 3, 10, 1, 9, 5, 2, 8, 4, 6];
    expect(medianInterval(values)).toEqual({ lo: 2, hi: 9, level: 0.978515625, method: 'order-statistic' });
    // k = 3 is taken only when the target lets it.
    expect(medianInterval(values, 0.89)).toEqual({ lo: 3, hi: 8, level: 0.890625, method: 'order-statistic' });
    expect(medianInterval(values, 0.890625).lo).toBe(3);
    expect(medianInterval(values, 0.8907).lo).toBe(2);
  });

  it('chooses the narrowest interval reaching the target for a large n', () => {
    const values = Array.from({ length: 2000 }, (_, i) => i + 1);
    const interval = medianInterval(values);
    const k = interval.lo;
    expect(interval.hi).toBe(2001 - k);
    expect(interval.level).toBeGreaterThanOrEqual(0.95);
    expect(orderStatisticCoverage(2000, k + 1)).toBeLessThan(0.95);
    // About 1000 -/+ 1.96 * sqrt(2000) / 2.
    expect(k).toBeGreaterThan(950);
    expect(k).toBeLessThan(960);
  });

  it('has no interval for one value', () => {
    expect(medianInterval([42])).toEqual({ lo: 42, hi: 42, level: 0, method: 'none' });
  });

  it('throws on an empty array, a non-finite value or a bad target', () => {
    expect(() => medianInterval([])).toThrow();
    expect(() => medianInterval([1, Number.NaN, 3])).toThrow();
    expect(() => medianInterval([1, 2, 3], 1)).toThrow();
    expect(() => medianInterval([1, 2, 3], 0)).toThrow();
  });

  it('copes with ties and does not reorder its input', () => {
    expect(medianInterval([5, 5, 5])).toEqual({ lo: 5, hi: 5, level: 0.75, method: 'order-statistic' });
    const values = [2, 1, 2, 2, 3, 2, 2, 2, 2, 9];
    expect(medianInterval(values)).toMatchObject({ lo: 2, hi: 3, level: 0.978515625 });
    expect(values).toEqual([2, 1, 2, 2, 3, 2, 2, 2, 2, 9]);
  });
});

describe('pairedRatio', () => {
  it('takes the median of the per-pair ratios and its order-statistic interval', () => {
    const r = pairedRatio([110, 200, 330, 390, 600], [100, 100, 300, 300, 500]);
    expect(r.n).toBe(5);
    expect(r.ratios).toEqual([1.1, 2, 1.1, 1.3, 1.2]);
    expect(r.ratio).toBe(1.2);
    expect(r.interval).toEqual({ lo: 1.1, hi: 2, level: 0.9375, method: 'paired-order-statistic' });
  });

  it('averages the two middle ratios on the log scale, so swapping sides gives the reciprocal', () => {
    const num = [100, 200, 300, 400];
    const den = [50, 125, 250, 500];
    const forward = pairedRatio(num, den);
    const backward = pairedRatio(den, num);
    expect(forward.ratio).toBeCloseTo(Math.sqrt(1.2 * 1.6), 12);
    expect(forward.ratio * backward.ratio).toBeCloseTo(1, 12);
    expect(forward.interval.lo * backward.interval.hi).toBeCloseTo(1, 12);
    expect(forward.interval.level).toBe(0.875);
  });

  it('has no interval for one pair', () => {
    expect(pairedRatio([3], [2])).toEqual({ ratio: 1.5, n: 1, ratios: [1.5], interval: { lo: 1.5, hi: 1.5, level: 0, method: 'none' } });
  });

  it('throws on different lengths, no pairs or a zero denominator', () => {
    expect(() => pairedRatio([1, 2], [1])).toThrow();
    expect(() => pairedRatio([], [])).toThrow();
    expect(() => pairedRatio([1, 2], [1, 0])).toThrow();
    expect(() => pairedRatio([1, -2], [1, 1])).toThrow();
  });
});

describe('ratioBetweenSamples', () => {
  it('returns [min, max] of the 16 ratios at 1 - 2/70 for n = m = 4 (k = 2 would give only 1 - 4/70)', () => {
    const a = [2, 3, 5, 7];
    const b = [11, 13, 17, 19];
    const ratios = sortNum(a.flatMap((x) => b.map((y) => x / y)));
    const r = ratioBetweenSamples(a, b);
    expect(r.interval.lo).toBe(ratios[0]);
    expect(r.interval.hi).toBe(ratios[15]);
    expect(r.interval.level).toBeCloseTo(1 - 2 / 70, 14);
    expect(r.interval.method).toBe('mann-whitney-ratio');
    // The point is the log-scale median of the 16 ratios.
    expect(r.ratio).toBeCloseTo(Math.sqrt(ratios[7]! * ratios[8]!), 14);
    // A target k = 2 does reach.
    const wider = ratioBetweenSamples(a, b, 0.94);
    expect(wider.interval.lo).toBe(ratios[1]);
    expect(wider.interval.hi).toBe(ratios[14]);
    expect(wider.interval.level).toBeCloseTo(1 - 4 / 70, 14);
  });

  it('picks k = 3 for n = m = 5 (the 3rd and 23rd of the 25 ratios)', () => {
    // P(U <= 2) = 4/252 and P(U <= 3) = 7/252: k = 3 covers 0.968, k = 4 only 0.944.
    const a = [2, 3, 5, 7, 11];
    const b = [13, 17, 19, 23, 29];
    const ratios = sortNum(a.flatMap((x) => b.map((y) => x / y)));
    const r = ratioBetweenSamples(a, b);
    expect(r.interval).toEqual({ lo: ratios[2], hi: ratios[22], level: 1 - 8 / 252, method: 'mann-whitney-ratio' });
    expect(r.ratio).toBe(ratios[12]);
  });

  it('uses the exact Mann-Whitney distribution (checked against enumerating every ordering)', () => {
    for (const [n, m] of [[2, 3], [3, 3], [3, 5], [4, 4], [2, 7], [5, 6], [6, 6], [4, 9]] as const) {
      const pmf = bruteForceU(n, m);
      const cdf = pmf.map((_, u) => pmf.slice(0, u + 1).reduce((s, p) => s + p, 0));
      const a = PRIMES.slice(0, n);
      const b = PRIMES.slice(n, n + m);
      const ratios = sortNum(a.flatMap((x) => b.map((y) => x / y)));
      for (const target of [0.5, 0.8, 0.9, 0.95, 0.99]) {
        let k = 1;
        while (2 * (k + 1) <= n * m + 1 && 1 - 2 * cdf[k]! >= target) k++;
        const r = ratioBetweenSamples(a, b, target);
        expect(r.interval.lo, `n=${n} m=${m} target=${target}`).toBe(ratios[k - 1]);
        expect(r.interval.hi).toBe(ratios[n * m - k]);
        expect(r.interval.level).toBeCloseTo(1 - 2 * cdf[k - 1]!, 12);
        // The same for the samples swapped: the distribution of U is symmetric in (n, m).
        expect(ratioBetweenSamples(b, a, target).interval.level).toBeCloseTo(r.interval.level, 12);
      }
    }
  });

  it('gives reciprocal answers when the sides are swapped', () => {
    const a = [101, 97, 120, 99, 104];
    const b = [90, 95, 88, 93];
    const forward = ratioBetweenSamples(a, b);
    const backward = ratioBetweenSamples(b, a);
    expect(forward.ratio * backward.ratio).toBeCloseTo(1, 12);
    expect(forward.interval.lo * backward.interval.hi).toBeCloseTo(1, 12);
    expect(forward.interval.hi * backward.interval.lo).toBeCloseTo(1, 12);
  });

  it('handles one value on a side with the same rule', () => {
    expect(ratioBetweenSamples([6], [3])).toEqual({ ratio: 2, interval: { lo: 2, hi: 2, level: 0, method: 'none' } });
    // n = 1, m = 2: U is 0, 1 or 2 with equal chances, so [min, max] covers 1/3.
    const r = ratioBetweenSamples([6], [2, 3]);
    expect(r.ratio).toBeCloseTo(Math.sqrt(6), 14);
    expect(r.interval.lo).toBe(2);
    expect(r.interval.hi).toBe(3);
    expect(r.interval.level).toBeCloseTo(1 / 3, 14);
    expect(r.interval.method).toBe('mann-whitney-ratio');
  });

  it('copes with ties', () => {
    const r = ratioBetweenSamples([10, 10, 10, 10], [5, 5, 5, 5]);
    expect(r).toEqual({ ratio: 2, interval: { lo: 2, hi: 2, level: 1 - 2 / 70, method: 'mann-whitney-ratio' } });
  });

  it('throws on an empty side or a zero in b', () => {
    expect(() => ratioBetweenSamples([], [1])).toThrow();
    expect(() => ratioBetweenSamples([1], [])).toThrow();
    expect(() => ratioBetweenSamples([1, 2], [1, 0])).toThrow();
    expect(() => ratioBetweenSamples([1, Number.POSITIVE_INFINITY], [1, 2])).toThrow();
  });

  it('is fast enough for a few dozen values per side', () => {
    const a = Array.from({ length: 40 }, (_, i) => 100 + i);
    const b = Array.from({ length: 40 }, (_, i) => 95 + i * 1.01);
    const r = ratioBetweenSamples(a, b);
    expect(r.interval.level).toBeGreaterThanOrEqual(0.95);
    expect(r.interval.lo).toBeLessThan(r.ratio);
    expect(r.interval.hi).toBeGreaterThan(r.ratio);
  });
});

describe('formatLevel', () => {
  it('formats levels for people', () => {
    expect(formatLevel(0.9375)).toBe('93.8%');
    expect(formatLevel(0.96875)).toBe('96.9%');
    expect(formatLevel(0.875)).toBe('87.5%');
    expect(formatLevel(0.75)).toBe('75.0%');
    expect(formatLevel(1 - 2 / 70)).toBe('97.1%');
    expect(formatLevel(1)).toBe('exact');
    expect(formatLevel(0)).toBe('no interval');
  });

  it('never rounds a level below 1 up to 100%', () => {
    expect(formatLevel(0.99996)).toBe('99.996%');
    expect(formatLevel(0.0004)).toBe('0.04%');
    expect(() => formatLevel(1.5)).toThrow();
    expect(() => formatLevel(Number.NaN)).toThrow();
  });
});

describe('trialsForLevel', () => {
  it('gives the smallest n whose [min, max] reaches the target', () => {
    expect(trialsForLevel(0.95)).toBe(6);
    expect(trialsForLevel(0.875)).toBe(4);
    expect(trialsForLevel(0.9)).toBe(5);
    expect(trialsForLevel(0.5)).toBe(2);
    expect(trialsForLevel(0.99)).toBe(8);
    expect(() => trialsForLevel(1)).toThrow();
  });

  it('agrees with medianInterval', () => {
    for (const target of [0.6, 0.8, 0.9, 0.95, 0.99]) {
      const n = trialsForLevel(target);
      const values = Array.from({ length: n }, (_, i) => i);
      expect(medianInterval(values, target).level).toBeGreaterThanOrEqual(target);
      expect(medianInterval(values.slice(1), target).level).toBeLessThan(target);
    }
  });
});

// The stated level must be the real coverage: simulate from skewed (lognormal) distributions whose
// median is known, and compare the observed coverage with `level` within 2 percentage points.
describe('coverage by simulation', () => {
  const REPS = 20_000;

  it('medianInterval covers the true median as often as it says (n = 3, 4, 5, 6, 10)', () => {
    const random = mulberry32(1);
    const mu = 2;
    const trueMedian = Math.exp(mu);
    for (const n of [3, 4, 5, 6, 10]) {
      let level = Number.NaN;
      const observed = coverage(REPS, () => {
        const interval = medianInterval(Array.from({ length: n }, () => lognormal(random, mu, 0.8)));
        level = interval.level;
        return interval.lo <= trueMedian && trueMedian <= interval.hi;
      });
      expect(Math.abs(observed - level), `n=${n}: observed ${observed}, stated ${level}`).toBeLessThan(0.02);
    }
  });

  it('pairedRatio covers the true median ratio as often as it says', () => {
    const random = mulberry32(2);
    const [muNum, muDen, sigma] = [1, 0.3, 0.5];
    const trueRatio = Math.exp(muNum - muDen);
    for (const n of [3, 4, 5, 6, 10]) {
      let level = Number.NaN;
      const observed = coverage(REPS, () => {
        const num = Array.from({ length: n }, () => lognormal(random, muNum, sigma));
        const den = Array.from({ length: n }, () => lognormal(random, muDen, sigma));
        const { interval } = pairedRatio(num, den);
        level = interval.level;
        return interval.lo <= trueRatio && trueRatio <= interval.hi;
      });
      expect(Math.abs(observed - level), `n=${n}: observed ${observed}, stated ${level}`).toBeLessThan(0.02);
    }
  });

  it('ratioBetweenSamples covers the true scale ratio as often as it says (n = m = 4, 5, 6; 3 vs 5)', () => {
    const random = mulberry32(3);
    const c = 1.3; // b is c times the distribution of a, so a / b has scale 1 / c
    const trueRatio = 1 / c;
    for (const [n, m] of [[4, 4], [5, 5], [6, 6], [3, 5]] as const) {
      let level = Number.NaN;
      // Each replication sorts n*m ratios; 10,000 still leaves a standard error near 0.2 points at 96%.
      const observed = coverage(REPS / 2, () => {
        const a = Array.from({ length: n }, () => lognormal(random, 0, 0.7));
        const b = Array.from({ length: m }, () => c * lognormal(random, 0, 0.7));
        const { interval } = ratioBetweenSamples(a, b);
        level = interval.level;
        return interval.lo <= trueRatio && trueRatio <= interval.hi;
      });
      expect(Math.abs(observed - level), `n=${n} m=${m}: observed ${observed}, stated ${level}`).toBeLessThan(0.02);
    }
  });
});
