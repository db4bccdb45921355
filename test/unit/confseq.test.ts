// The confidence sequence for the median: that looking after every round keeps its level (by
// simulation, against a fixed-n interval that does not), and its edges, paired form and formatting.
import { describe, expect, it } from 'vitest';
import {
  CS_OPTIMAL_PAIRS,
  earliestDecisionPairs,
  lag1Autocorrelation,
  medianConfidenceSequence,
  normalMixtureBoundary,
  pairedRatioSequence,
  rhoFor,
} from '../../harness/stats/confseq.ts';
import { seededRandom } from '../../harness/stats/estimate.ts';
import { type Interval, medianInterval, pairedRatio, trialsForLevel } from '../../harness/stats/intervals.ts';
import { fmtInterval, fmtRatio } from '../../harness/report/format.ts';

/** Rounds of the longest round budget: every sequence is looked at after each of them. */
const T = 60;
/** Sequences per distribution: enough that 3 standard errors at alpha 0.05 are 0.0065. */
const N = 10_000;

/** Standard normal by Box-Muller; 1 - u keeps the log away from 0. */
const normal = (random: () => number) => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

interface Distribution {
  name: string;
  draw: (random: () => number) => number;
  median: number;
}

// Each distribution stands for a way the log-ratios of real trials can look.
const DISTRIBUTIONS: Distribution[] = [
  // The textbook case: steady noise around the median.
  { name: 'normal', draw: normal, median: 0 },
  // Heavy tails (Cauchy, no mean): the odd trial hit by a GC pause or a noisy neighbour; order
  // statistics must not care how far out the outliers are.
  { name: 'cauchy', draw: (random) => Math.tan(Math.PI * (random() - 0.5)), median: 0 },
  // Skewed (lognormal, sigma 1): latencies and their ratios, where median and mean differ.
  { name: 'lognormal', draw: (random) => Math.exp(normal(random)), median: 1 },
  // Ties (1, 2, 3 with probabilities 0.2, 0.3, 0.5): readings rounded to a coarse unit, or a capped
  // figure that repeats. The atom of 0.3 at the median ends exactly at F = 1/2, so the median is the
  // lower median F^-1(1/2) = 2, and the count of values <= 2 is Bin(t, 1/2) as for continuous data:
  // the lower side is as tight as it gets, which a symmetric atom around the median (0.3, 0.4, 0.3)
  // would hide (no sequence of those ever excludes 2). The closed interval must still cover it.
  {
    name: 'tied',
    draw: (random) => {
      const u = random();
      return u < 0.2 ? 1 : u < 0.5 ? 2 : 3;
    },
    median: 2,
  },
];

/**
 * The share of N sequences of T draws in which `interval` of the first t values, for any t in
 * [first, T], excludes the true median. A sequence stops at its first exclusion: it counts once.
 */
function everExcluded(dist: Distribution, seed: number, interval: (values: number[]) => Interval, first: number): number {
  const random = seededRandom(seed);
  let excluded = 0;
  const values = new Array<number>(T);
  for (let r = 0; r < N; r++) {
    for (let i = 0; i < T; i++) values[i] = dist.draw(random);
    for (let t = first; t <= T; t++) {
      const ci = interval(values.slice(0, t));
      if (ci.lo > dist.median || ci.hi < dist.median) {
        excluded++;
        break;
      }
    }
  }
  return excluded / N;
}

/** The largest share of N that is still in line with a true rate alpha: alpha + 3 standard errors. */
const allowance = (alpha: number) => alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / N);

describe('medianConfidenceSequence: validity when looked at after every round', () => {
  // Each share is printed so that a drift shows before it fails.
  for (const [index, dist] of DISTRIBUTIONS.entries()) {
    it(`ever excludes the median of a ${dist.name} distribution in at most alpha of the sequences (0.95)`, () => {
      const share = everExcluded(dist, 1000 + index, (v) => medianConfidenceSequence(v, 0.95), 1);
      console.log(`confidence sequence, ${dist.name}, 0.95: ever excluded in ${(share * 100).toFixed(2)}%`);
      expect(share).toBeLessThanOrEqual(allowance(0.05));
    });
  }

  it('holds at another confidence (0.90, lognormal)', () => {
    const share = everExcluded(DISTRIBUTIONS[2]!, 2000, (v) => medianConfidenceSequence(v, 0.9), 1);
    console.log(`confidence sequence, lognormal, 0.90: ever excluded in ${(share * 100).toFixed(2)}%`);
    expect(share).toBeLessThanOrEqual(allowance(0.1));
  });

  // The contrast that makes the tests above able to fail: a fixed-n 95% interval re-checked after
  // every round excludes the median at some round far more often than 5%. It starts at the first t
  // whose interval reaches 95% (6), so that the excess comes from looking often, not from the lower
  // levels of [min, max] of 2-5 values.
  for (const [index, dist] of DISTRIBUTIONS.entries()) {
    it(`a fixed-n interval looked at after every round loses its level (${dist.name})`, () => {
      const share = everExcluded(dist, 1000 + index, (v) => medianInterval(v, 0.95), trialsForLevel(0.95));
      console.log(`fixed-n interval, ${dist.name}, 0.95: ever excluded in ${(share * 100).toFixed(2)}%`);
      expect(share).toBeGreaterThan(allowance(0.05));
    });
  }
});

describe('medianConfidenceSequence', () => {
  it('decides no sooner than earliestDecisionPairs, and then on both sides', () => {
    expect(earliestDecisionPairs(0.95)).toBe(10);
    const values = Array.from({ length: 12 }, (_, i) => i + 1);
    for (let t = 1; t < 10; t++) {
      const ci = medianConfidenceSequence(values.slice(0, t));
      expect([ci.lo, ci.hi]).toEqual([Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]);
    }
    const ci = medianConfidenceSequence(values.slice(0, 10));
    expect(Number.isFinite(ci.lo) && Number.isFinite(ci.hi)).toBe(true);
    expect(ci).toMatchObject({ level: 0.95, method: 'confidence-sequence' });
    // A lower confidence decides sooner, a higher one later.
    expect(earliestDecisionPairs(0.9)).toBeLessThan(10);
    expect(earliestDecisionPairs(0.99)).toBeGreaterThan(10);
  });

  it('uses the normal-mixture boundary with rho tuned to CS_OPTIMAL_PAIRS', () => {
    const alpha = 0.05;
    const logInverse = Math.log(1 / alpha);
    expect(rhoFor(alpha)).toBeCloseTo(CS_OPTIMAL_PAIRS / 4 / (2 * logInverse + Math.log(1 + 2 * logInverse)), 12);
    const rho = rhoFor(alpha);
    const v = 10 / 4;
    expect(normalMixtureBoundary(10, alpha)).toBeCloseTo(Math.sqrt((v + rho) * Math.log((v + rho) / (rho * alpha * alpha))), 12);
    // rho moves where the boundary is tightest: tuned for 40 pairs, it is narrower at 40 and wider at 10.
    const rho40 = rhoFor(alpha, 40);
    expect(normalMixtureBoundary(40, alpha, rho40)).toBeLessThan(normalMixtureBoundary(40, alpha));
    expect(normalMixtureBoundary(10, alpha, rho40)).toBeGreaterThan(normalMixtureBoundary(10, alpha));
  });

  it('narrows as pairs come in', () => {
    const random = seededRandom(7);
    const values = Array.from({ length: T }, () => normal(random));
    const at20 = medianConfidenceSequence(values.slice(0, 20));
    const at60 = medianConfidenceSequence(values);
    expect(at60.hi - at60.lo).toBeLessThan(at20.hi - at20.lo);
  });

  it('is no wider when every value is seen twice', () => {
    // Twice the pairs with the same spread: the ranks move towards the middle faster than the
    // boundary grows, so the interval of the doubled values lies within the original one.
    const random = seededRandom(11);
    const values = Array.from({ length: T }, () => normal(random));
    for (let t = 1; t <= T; t++) {
      const once = medianConfidenceSequence(values.slice(0, t));
      const twice = medianConfidenceSequence([...values.slice(0, t), ...values.slice(0, t)]);
      expect(twice.lo).toBeGreaterThanOrEqual(once.lo);
      expect(twice.hi).toBeLessThanOrEqual(once.hi);
    }
  });

  it('is wider than the fixed-n interval of the same values: the price of looking at every round', () => {
    const random = seededRandom(13);
    const values = Array.from({ length: 30 }, () => normal(random));
    const sequence = medianConfidenceSequence(values);
    const fixed = medianInterval(values);
    expect(sequence.lo).toBeLessThanOrEqual(fixed.lo);
    expect(sequence.hi).toBeGreaterThanOrEqual(fixed.hi);
  });

  it('rejects what has no median', () => {
    expect(() => medianConfidenceSequence([])).toThrow(RangeError);
    expect(() => medianConfidenceSequence([1, Number.NaN, 3])).toThrow(RangeError);
    expect(() => medianConfidenceSequence([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
    expect(() => medianConfidenceSequence([1, 2, 3], 1)).toThrow(RangeError);
    expect(() => medianConfidenceSequence([1, 2, 3], 0)).toThrow(RangeError);
    expect(() => rhoFor(0)).toThrow(RangeError);
    expect(() => normalMixtureBoundary(-1, 0.05)).toThrow(RangeError);
    expect(() => earliestDecisionPairs(1)).toThrow(RangeError);
  });
});

describe('pairedRatioSequence', () => {
  it('gives a finite interval around a constant ratio once enough pairs are in', () => {
    const den = Array.from({ length: 12 }, (_, i) => 100 + i);
    const num = den.map((d) => 2 * d);
    const result = pairedRatioSequence(num, den);
    expect(result.ratio).toBeCloseTo(2, 12);
    expect(result.n).toBe(12);
    expect(result.interval.lo).toBeGreaterThan(1);
    expect(result.interval.lo).toBeCloseTo(2, 12);
    expect(result.interval.hi).toBeCloseTo(2, 12);
    expect(result.interval).toMatchObject({ level: 0.95, method: 'confidence-sequence' });
  });

  it('gives the reciprocal interval when numerator and denominator swap', () => {
    const random = seededRandom(17);
    const a = Array.from({ length: 25 }, () => 100 * Math.exp(0.3 * normal(random)));
    const b = Array.from({ length: 25 }, () => 80 * Math.exp(0.3 * normal(random)));
    const ab = pairedRatioSequence(a, b);
    const ba = pairedRatioSequence(b, a);
    expect(ab.ratio * ba.ratio).toBeCloseTo(1, 12);
    expect(ab.interval.lo * ba.interval.hi).toBeCloseTo(1, 12);
    expect(ab.interval.hi * ba.interval.lo).toBeCloseTo(1, 12);
  });

  it('maps open sides to 0 and Infinity before enough pairs', () => {
    const result = pairedRatioSequence([3, 4, 5], [1, 2, 2]);
    expect([result.interval.lo, result.interval.hi]).toEqual([0, Number.POSITIVE_INFINITY]);
  });

  it('has the point and checks of pairedRatio', () => {
    const num = [5, 9, 2, 7, 4, 8];
    const den = [4, 3, 2, 5, 5, 2];
    const sequence = pairedRatioSequence(num, den);
    const fixed = pairedRatio(num, den);
    expect(sequence.ratio).toBe(fixed.ratio);
    expect(sequence.ratios).toEqual(fixed.ratios);
    expect(() => pairedRatioSequence([1, 2], [1])).toThrow(RangeError);
    expect(() => pairedRatioSequence([], [])).toThrow(RangeError);
    expect(() => pairedRatioSequence([1, 2], [1, 0])).toThrow(RangeError);
    expect(() => pairedRatioSequence([1, -2], [1, 1])).toThrow(RangeError);
    expect(() => pairedRatioSequence([1, Number.NaN], [1, 1])).toThrow(RangeError);
    expect(() => pairedRatioSequence([1, 2], [1, 1], 1.5)).toThrow(RangeError);
  });
});

describe('fmtInterval for confidence sequences', () => {
  it('says the level holds at any round, and shows open sides', () => {
    expect(fmtInterval({ lo: 1.1, hi: 2.3, level: 0.95, method: 'confidence-sequence' }, fmtRatio)).toBe('1.10–2.30 (95.0%, anytime)');
    expect(fmtInterval({ lo: 0, hi: Number.POSITIVE_INFINITY, level: 0.95, method: 'confidence-sequence' }, fmtRatio)).toBe('0.00–∞ (95.0%, anytime)');
    expect(fmtInterval({ lo: Number.NEGATIVE_INFINITY, hi: 2.3, level: 0.9, method: 'confidence-sequence' }, fmtRatio)).toBe('-∞–2.30 (90.0%, anytime)');
    expect(fmtInterval({ lo: 1.1, hi: 2.3, level: 0.9375, method: 'paired-order-statistic' }, fmtRatio)).toBe('1.10–2.30 (93.8%)');
  });
});

describe('lag1Autocorrelation', () => {
  it('is strongly negative for an alternating sequence and strongly positive for a trend', () => {
    const alternating = Array.from({ length: 20 }, (_, i) => (i % 2 ? 1 : -1));
    const trending = Array.from({ length: 20 }, (_, i) => i);
    expect(lag1Autocorrelation(alternating)!).toBeLessThan(-0.9);
    expect(lag1Autocorrelation(trending)!).toBeGreaterThan(0.8);
  });

  it('is near 0 for independent values', () => {
    const random = seededRandom(19);
    const values = Array.from({ length: 2000 }, () => normal(random));
    expect(Math.abs(lag1Autocorrelation(values)!)).toBeLessThan(0.1);
  });

  it('is null with too few values or no variance', () => {
    expect(lag1Autocorrelation([1, 2])).toBeNull();
    expect(lag1Autocorrelation([])).toBeNull();
    expect(lag1Autocorrelation([0.1, 0.1, 0.1, 0.1])).toBeNull();
    expect(() => lag1Autocorrelation([1, Number.NaN, 3])).toThrow(RangeError);
  });
});
