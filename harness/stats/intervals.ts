// Distribution-free intervals whose stated confidence level is the real, exact one. The harness runs
// 3-6 trials per target; a percentile bootstrap of the median on so few values only reproduces
// [min, max] and labels it "95%". Order statistics (one sample, or paired ratios) and the
// Mann-Whitney inversion (two independent samples) give intervals whose coverage is known exactly
// for any continuous distribution, so each interval carries the level it really has, even when that
// level is below the one asked for.

export type IntervalMethod = 'order-statistic' | 'paired-order-statistic' | 'mann-whitney-ratio' | 'confidence-sequence' | 'exact' | 'none';

/** An interval with the coverage it actually has, not the one that was hoped for. */
export interface Interval {
  lo: number;
  hi: number;
  /** The interval's actual coverage probability (0..1), e.g. 0.9375 for [min,max] of 5 values. 0 when there is no interval (n = 1). 1 for 'exact'. */
  level: number;
  method: IntervalMethod;
}

const DEFAULT_TARGET = 0.95;

// Coverages come out of floating-point sums; a level equal to the target up to rounding must count
// as reaching it (e.g. 0.875 for [min, max] of 4 values with target 0.875).
const reaches = (coverage: number, target: number) => coverage >= target - 1e-12;

function checkTarget(target: number): void {
  if (!(target > 0 && target < 1)) throw new RangeError(`target coverage must be in (0, 1), got ${target}`);
}

function checkFinite(values: number[], what: string): void {
  // NaN would make the sort, and so every order statistic, meaningless.
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what} must be finite numbers, got ${v}`);
}

/** x * 2^e in steps, so that an intermediate power of two does not underflow while the product would not. */
function ldexp(x: number, e: number): number {
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
  }
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
  }
  return x * 2 ** e;
}

/** P(Bin(n, 1/2) <= j) for 0 <= j < n, summing C(n, i) for i <= j and scaling by 2^-n at the end. */
function lowerTailHalf(n: number, j: number): number {
  // The binomial coefficients are built by exact integer products while they fit in 53 bits (so small
  // n give exact dyadic results, e.g. 11/1024), and rescaled by powers of two (which loses nothing)
  // before they overflow, so n in the thousands keeps full relative precision.
  let term = 1;
  let sum = 1;
  let exponent = -n;
  for (let i = 0; i < j; i++) {
    term = (term * (n - i)) / (i + 1);
    sum += term;
    if (sum > 2 ** 600) {
      term *= 2 ** -600;
      sum *= 2 ** -600;
      exponent += 600;
    }
  }
  return ldexp(sum, exponent);
}

/** P(Bin(n, 1/2) <= k), exact (use log-gamma or iterative products; must be accurate for n up to 2000). */
export function binomialCdfHalf(n: number, k: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (Number.isNaN(k)) throw new RangeError('k must be a number');
  const j = Math.floor(k);
  if (j < 0) return 0;
  if (j >= n) return 1;
  // Sum the lower half only, where the terms increase: the upper half follows by symmetry,
  // P(X <= j) = 1 - P(X <= n - 1 - j), without summing terms that dwarf the running total.
  return 2 * j + 1 > n ? 1 - lowerTailHalf(n, n - 1 - j) : lowerTailHalf(n, j);
}

/** Coverage of [X_(k), X_(n+1-k)] (1-based order statistics) for the median of a continuous distribution: 1 - 2*P(Bin(n,1/2) <= k-1). */
export function orderStatisticCoverage(n: number, k: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  // k past the middle would give an empty (reversed) interval.
  if (!Number.isInteger(k) || k < 1 || 2 * k > n + 1) throw new RangeError(`k must be an integer in [1, ${Math.floor((n + 1) / 2)}], got ${k}`);
  // The median lies outside [X_(k), X_(n+1-k)] when fewer than k values fall on one side of it, and
  // the count on one side is Bin(n, 1/2) whatever the distribution is.
  return 1 - 2 * binomialCdfHalf(n, k - 1);
}

/**
 * Distribution-free interval for the median of the distribution the values came from: the narrowest
 * [X_(k), X_(n+1-k)] whose coverage >= target (default 0.95); when even [min, max] does not reach the
 * target, [min, max] with its real (lower) level. n = 1: lo = hi = the value, level 0, method 'none'.
 * Otherwise method 'order-statistic'. Throws on an empty array, a non-finite value, or a target
 * outside (0, 1).
 */
export function medianInterval(values: number[], target = DEFAULT_TARGET): Interval {
  if (values.length === 0) throw new RangeError('medianInterval needs at least one value');
  checkTarget(target);
  checkFinite(values, 'values');
  const sorted = [...values].sort((x, y) => x - y);
  const n = sorted.length;
  if (n === 1) return { lo: sorted[0]!, hi: sorted[0]!, level: 0, method: 'none' };
  // Coverage falls as k grows, so take the largest k that still reaches the target; k = 1 ([min, max])
  // stands when none does. With ties the closed interval covers at least as often as stated.
  let k = 1;
  while (2 * (k + 1) <= n + 1 && reaches(orderStatisticCoverage(n, k + 1), target)) k++;
  return { lo: sorted[k - 1]!, hi: sorted[n - k]!, level: orderStatisticCoverage(n, k), method: 'order-statistic' };
}

function checkRatioInputs(values: number[], what: string): void {
  checkFinite(values, what);
  // A ratio of scales, and its log-scale midpoint, mean nothing for negative readings
  // (throughput, latency, sizes are never negative).
  for (const v of values) if (v < 0) throw new RangeError(`${what} must not be negative, got ${v}`);
}

/** Median of sorted positive ratios, the two middle ones averaged on the log scale so that swapping
 *  numerator and denominator gives exactly the reciprocal (head/base vs base/head). */
export function medianOfRatios(sorted: number[]): number {
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  return n % 2 ? sorted[mid]! : Math.sqrt(sorted[mid - 1]! * sorted[mid]!);
}

/**
 * The checked ratios num[i] / den[i] in trial order, for pairedRatio and its sequential counterpart
 * (`caller` names the function in the messages). Throws if the lengths differ or are 0, a denominator
 * is 0, or a value is negative or non-finite.
 */
export function pairRatios(num: number[], den: number[], caller: string): number[] {
  if (num.length !== den.length) throw new RangeError(`${caller} needs as many numerators as denominators, got ${num.length} and ${den.length}`);
  if (num.length === 0) throw new RangeError(`${caller} needs at least one pair`);
  checkRatioInputs(num, 'numerators');
  checkRatioInputs(den, 'denominators');
  if (den.some((d) => d === 0)) throw new RangeError(`${caller}: a denominator is 0`);
  // Each ratio cancels what the two trials of a pair shared (machine state, time of day); the ratios
  // are then one sample, and the median of their distribution is what an interval covers.
  return num.map((x, i) => x / den[i]!);
}

/**
 * Paired comparison: ratios r_i = num[i] / den[i] of trials taken next to each other; point = median
 * of the ratios (the two middle ones averaged on the log scale); interval = medianInterval of the
 * ratios, method 'paired-order-statistic' ('none' for a single pair). `ratios` are in trial order.
 * Throws if the lengths differ or are 0, a denominator is 0, or a value is negative or non-finite.
 */
export function pairedRatio(num: number[], den: number[], target = DEFAULT_TARGET): { ratio: number; n: number; interval: Interval; ratios: number[] } {
  const ratios = pairRatios(num, den, 'pairedRatio');
  const interval = medianInterval(ratios, target);
  return {
    ratio: medianOfRatios([...ratios].sort((x, y) => x - y)),
    n: ratios.length,
    interval: interval.method === 'none' ? interval : { ...interval, method: 'paired-order-statistic' },
    ratios,
  };
}

// Null distributions of U are reused across metrics with the same trial counts.
const mannWhitneyCache = new Map<string, Float64Array>();

/**
 * P(U <= u) for u = 0..length-1 under the null hypothesis, U the Mann-Whitney count of pairs
 * (a_i, b_j) with a_i > b_j for sample sizes n and m, for u up to floor((nm+1)/2) - 1 (all that
 * interval selection needs). Exact: counts of the orderings with U = u by the recurrence on the
 * largest of all n+m values (an a, which beats all m b's, or a b, which beats nothing):
 * c(n, m, u) = c(n-1, m, u-m) + c(n, m-1, u), over C(n+m, n) equally likely orderings.
 */
function mannWhitneyNullCdf(n: number, m: number): Float64Array {
  // U for (n, m) has the same distribution as for (m, n).
  const [small, large] = n <= m ? [n, m] : [m, n];
  const key = `${small},${large}`;
  const cached = mannWhitneyCache.get(key);
  if (cached) return cached;
  const length = Math.floor((small * large + 1) / 2);
  // counts[j] holds c(i, j, 0..length-1) for the current i. Integers are exact below 2^53, i.e. for
  // n + m up to about 55, and relatively precise beyond; they overflow past n + m of about 1000.
  let counts: Float64Array[] = Array.from({ length: large + 1 }, () => {
    const c = new Float64Array(length);
    c[0] = 1; // c(0, j, u): no a's, U = 0
    return c;
  });
  for (let i = 1; i <= small; i++) {
    const next: Float64Array[] = [];
    for (let j = 0; j <= large; j++) {
      const c = new Float64Array(length);
      const withAOnTop = counts[j]!;
      for (let u = j; u < length; u++) c[u] = withAOnTop[u - j]!;
      if (j > 0) {
        const withBOnTop = next[j - 1]!;
        for (let u = 0; u < length; u++) c[u] = c[u]! + withBOnTop[u]!;
      }
      next.push(c);
    }
    counts = next;
  }
  let total = 1; // C(n+m, small), by exact products while they fit
  for (let i = 1; i <= small; i++) total = (total * (large + i)) / i;
  if (!Number.isFinite(total)) throw new RangeError(`samples of ${n} and ${m} values are too large for the exact Mann-Whitney distribution`);
  const cdf = new Float64Array(length);
  const final = counts[large]!;
  let running = 0;
  for (let u = 0; u < length; u++) {
    running += final[u]!;
    cdf[u] = running / total;
  }
  if (mannWhitneyCache.size >= 256) mannWhitneyCache.clear();
  mannWhitneyCache.set(key, cdf);
  return cdf;
}

/**
 * Two independent samples (e.g. two runs): the ratio of scale between them, a over b. Point = the
 * Hodges-Lehmann estimate on the log scale, the median of all n*m pairwise ratios a_i / b_j.
 * Interval = [R_(k), R_(nm+1-k)] of the sorted pairwise ratios with coverage 1 - 2*P(U <= k-1) from
 * the exact null distribution of the Mann-Whitney U (dynamic programming over (n, m), no normal
 * approximation): the narrowest reaching `target`, else [min, max] with its real level. One value per
 * side gives the single ratio with level 0 (method 'none'); otherwise method 'mann-whitney-ratio'.
 * Throws on an empty side, a zero in b, or a negative or non-finite value.
 */
export function ratioBetweenSamples(a: number[], b: number[], target = DEFAULT_TARGET): { ratio: number; interval: Interval } {
  if (a.length === 0 || b.length === 0) throw new RangeError('ratioBetweenSamples needs at least one value on each side');
  checkTarget(target);
  checkRatioInputs(a, 'a');
  checkRatioInputs(b, 'b');
  if (b.some((v) => v === 0)) throw new RangeError('ratioBetweenSamples: b contains 0');
  // Under a pure change of scale (a distributed as c times b), log a - log b is a shift, and the
  // Mann-Whitney inversion for a shift (Bauer 1972) gives an exact interval for it from the ordered
  // pairwise differences; the log is monotone, so the ordered pairwise ratios give the same interval.
  const ratios = a.flatMap((x) => b.map((y) => x / y)).sort((x, y) => x - y);
  const count = ratios.length;
  const ratio = medianOfRatios(ratios);
  if (count === 1) return { ratio, interval: { lo: ratio, hi: ratio, level: 0, method: 'none' } };
  const cdf = mannWhitneyNullCdf(a.length, b.length);
  const coverage = (k: number) => 1 - 2 * cdf[k - 1]!;
  let k = 1;
  while (2 * (k + 1) <= count + 1 && reaches(coverage(k + 1), target)) k++;
  return { ratio, interval: { lo: ratios[k - 1]!, hi: ratios[count - k]!, level: coverage(k), method: 'mann-whitney-ratio' } };
}

/** Formats a level for people: 0.9375 -> "93.8%", 0.96875 -> "96.9%", 0.875 -> "87.5%", 1 -> "exact", 0 -> "no interval". */
export function formatLevel(level: number): string {
  if (!(level >= 0 && level <= 1)) throw new RangeError(`a level is in [0, 1], got ${level}`);
  if (level === 1) return 'exact';
  if (level === 0) return 'no interval';
  // One decimal usually; more only when rounding would claim 100% (or 0%) for a level that is not.
  for (let digits = 1; digits <= 6; digits++) {
    const text = (level * 100).toFixed(digits);
    const shown = Number(text);
    if (shown > 0 && shown < 100) return `${text}%`;
  }
  return level < 0.5 ? '<0.000001%' : '>99.999999%';
}

/** The smallest n whose [min, max] reaches `target` (for planning trial counts): target 0.95 -> 6, 0.875 -> 4, 0.9 -> 5. */
export function trialsForLevel(target: number): number {
  checkTarget(target);
  // [min, max] of n values covers with 1 - 2^(1-n), which reaches any target below 1 before 2^-n
  // underflows (n about 1075), so the loop ends.
  let n = 1;
  while (!reaches(orderStatisticCoverage(n, 1), target)) n++;
  return n;
}
