// Anytime-valid (time-uniform) confidence sequences for the median, so that a claim's paired ratios
// can be judged after every round and the rounds stopped as soon as the claim is decided, without
// losing the stated level. A fixed-n interval (intervals.ts) looked at after every round excludes the
// truth at some round far more often than its level says; a confidence sequence covers the median at
// every round at once with the stated probability, so a decision taken at any (data-dependent) round
// keeps it.

import { type Interval, medianOfRatios, pairRatios } from './intervals.ts';

/** The number of pairs at which the default boundary is tightest: about the rounds a decided claim needs. */
export const CS_OPTIMAL_PAIRS = 20;

const DEFAULT_CONFIDENCE = 0.95;

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
}

function checkFinite(values: number[], what: string): void {
  // NaN would make the sort, and so every order statistic, meaningless.
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`${what} must be finite numbers, got ${v}`);
}

/**
 * The normal-mixture parameter rho that makes the boundary tightest near `optimalPairs` pairs
 * (intrinsic time vOpt = optimalPairs / 4): rho = vOpt / (2 ln(1/alpha) + ln(1 + 2 ln(1/alpha)))
 * (Howard, Ramdas, McAuliffe, Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences", Ann. Statist. 2021). rho only moves where the boundary is narrowest; any rho > 0 gives
 * a valid sequence.
 */
export function rhoFor(alpha: number, optimalPairs = CS_OPTIMAL_PAIRS): number {
  checkAlpha(alpha);
  if (!(optimalPairs > 0 && Number.isFinite(optimalPairs))) throw new RangeError(`optimalPairs must be a positive number, got ${optimalPairs}`);
  const logInverse = Math.log(1 / alpha);
  return optimalPairs / 4 / (2 * logInverse + Math.log(1 + 2 * logInverse));
}

/**
 * The two-sided normal-mixture boundary u_t = sqrt((v + rho) ln((v + rho) / (rho alpha^2))), v = t/4,
 * with P(exists t: |S_t| >= u_t) <= alpha for the sign process below.
 *
 * Why: the sign process S_t(x) = sum_{i<=t} (1{X_i <= x} - 1/2) at the true median is a sum of
 * independent mean-zero increments bounded in [-1/2, 1/2], hence 1/4-sub-Gaussian with variance
 * process v = t/4, so exp(lambda S_t - lambda^2 v / 2) is a supermartingale for every lambda. Mixing
 * lambda over N(0, 1/rho) gives the supermartingale sqrt(rho / (v + rho)) exp(S_t^2 / (2 (v + rho)))
 * starting at 1, and Ville's inequality bounds the chance that it ever reaches 1/alpha, which is
 * exactly |S_t| >= u_t (Howard & Ramdas, "Sequential estimation of quantiles with applications to
 * A/B-testing and best-arm identification", Bernoulli 2022; the confseq package's
 * TwoSidedNormalMixture is a reference implementation).
 */
export function normalMixtureBoundary(t: number, alpha: number, rho = rhoFor(alpha)): number {
  checkAlpha(alpha);
  if (!(t >= 0 && Number.isFinite(t))) throw new RangeError(`t must be a non-negative number, got ${t}`);
  if (!(rho > 0 && Number.isFinite(rho))) throw new RangeError(`rho must be a positive number, got ${rho}`);
  const vr = t / 4 + rho;
  return Math.sqrt(vr * Math.log(vr / (rho * alpha * alpha)));
}

/** The 1-based ranks [L, H] of the sequence interval after t values; L < 1 or H > t is an open side. */
function sequenceRanks(t: number, confidence: number): { L: number; H: number } {
  const u = normalMixtureBoundary(t, 1 - confidence);
  return { L: Math.floor(t / 2 - u) + 1, H: Math.ceil(t / 2 + u) };
}

/**
 * The confidence sequence for the median after the first t = values.length observations (in order):
 * [X_(L), X_(H)] of the sorted values with L = floor(t/2 - u_t) + 1 and H = ceil(t/2 + u_t), an open
 * side (-Infinity or +Infinity) while L < 1 or H > t. level = confidence, which holds for all t at
 * once; method 'confidence-sequence'. Throws on an empty array, a non-finite value, or a confidence
 * outside (0, 1).
 *
 * Why: on the event |S_t(m)| < u_t for all t (probability >= confidence, see normalMixtureBoundary),
 * the count of values <= m is > t/2 - u_t, so at least L of them, and m >= X_(L); and it is
 * < t/2 + u_t, so at most H - 1, and m <= X_(H). Ties and discrete distributions: write
 * X_i = F^-1(U_i) with U_i uniform; the argument holds for the U's and their median 1/2, and F^-1 is
 * monotone, so it maps U_(L) <= 1/2 <= U_(H) onto X_(L) <= F^-1(1/2) <= X_(H): the closed interval
 * covers the (lower) median F^-1(1/2) of any distribution.
 */
export function medianConfidenceSequence(values: number[], confidence = DEFAULT_CONFIDENCE): Interval {
  if (values.length === 0) throw new RangeError('medianConfidenceSequence needs at least one value');
  checkConfidence(confidence);
  checkFinite(values, 'values');
  const sorted = [...values].sort((x, y) => x - y);
  const t = sorted.length;
  const { L, H } = sequenceRanks(t, confidence);
  return {
    lo: L >= 1 ? sorted[L - 1]! : Number.NEGATIVE_INFINITY,
    hi: H <= t ? sorted[H - 1]! : Number.POSITIVE_INFINITY,
    level: confidence,
    method: 'confidence-sequence',
  };
}

/**
 * pairedRatio (intervals.ts) for a claim judged after every round: the same checks and point (median
 * of the ratios, the two middle ones averaged on the log scale), but the interval is the confidence
 * sequence of the log-ratios mapped back with exp (an open lower side becomes 0, an open upper side
 * stays Infinity), method 'confidence-sequence'. `ratios` are in trial order. Throws if the lengths
 * differ or are 0, a denominator is 0, a value is negative or non-finite, or the confidence is outside
 * (0, 1).
 */
export function pairedRatioSequence(num: number[], den: number[], confidence = DEFAULT_CONFIDENCE): { ratio: number; n: number; interval: Interval; ratios: number[] } {
  checkConfidence(confidence);
  const ratios = pairRatios(num, den, 'pairedRatioSequence');
  // Order statistics commute with monotone maps, so the sequence of the ratios is exp of the sequence
  // of the log-ratios, the sequence for the median ratio. Taking it on the ratios themselves keeps the
  // ends exact (no exp(log r) rounding) and lets a zero numerator (log-ratio -Infinity) through.
  const interval = medianConfidenceSequence(ratios, confidence);
  return {
    ratio: medianOfRatios([...ratios].sort((x, y) => x - y)),
    n: ratios.length,
    interval: { ...interval, lo: Math.max(0, interval.lo) },
    ratios,
  };
}

/**
 * The least number of pairs whose sequence interval is finite on both sides (10 at 0.95 with the
 * default rho): no claim can be decided before then. For planning rounds and for texts.
 */
export function earliestDecisionPairs(confidence = DEFAULT_CONFIDENCE): number {
  checkConfidence(confidence);
  // Both sides close together (L >= 1 and H <= t both say u_t <= t/2), and u_t grows like
  // sqrt(t log t), so u_t / t falls below 1/2 and the loop ends.
  let t = 1;
  for (;;) {
    const { L, H } = sequenceRanks(t, confidence);
    if (L >= 1 && H <= t) return t;
    t++;
  }
}

/**
 * Lag-1 autocorrelation sum((x_i - mean)(x_{i+1} - mean)) / sum((x_i - mean)^2); null for fewer than
 * 3 values or no variance. Why: trials of one long-lived process are not independent (warm caches,
 * heap growth, thermal state drift), and the sequence's guarantee assumes independent pairs, so a
 * claim whose paired log-ratios have a lag-1 autocorrelation above 0.3 is flagged.
 */
export function lag1Autocorrelation(values: number[]): number | null {
  checkFinite(values, 'values');
  const n = values.length;
  // Equal values are tested as such: their computed mean can be off by a rounding error, which
  // would leave a tiny, meaningless variance.
  if (n < 3 || values.every((x) => x === values[0])) return null;
  const mean = values.reduce((sum, x) => sum + x, 0) / n;
  let denominator = 0;
  for (const x of values) denominator += (x - mean) ** 2;
  let numerator = 0;
  for (let i = 0; i + 1 < n; i++) numerator += (values[i]! - mean) * (values[i + 1]! - mean);
  return numerator / denominator;
}
