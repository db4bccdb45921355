// A claim about one target's own figure ("containers deploy in seconds"), judged against a bound in
// the figure's unit instead of against another target: the median of its samples, with the median's
// anytime-valid confidence sequence (as a paired ratio gets, so the rounds may stop as soon as it is
// decided), inside the band (supported), wholly outside it (refuted), or across its edge. Such a
// figure holds for this machine only; the verdict says so by naming the figure with its unit.
import { median as medianOf } from 'simple-statistics';
import type { Claim } from '../../scenarios/claims.ts';
import { fmtFigure, fmtFigureRange } from '../report/format.ts';
import { earliestDecisionPairs, medianConfidenceSequence } from '../stats/confseq.ts';
import { formatLevel } from '../stats/intervals.ts';
import type { Figure, IntervalData } from '../types.ts';
import type { ClaimRatio, Judgement, Verdict } from './evaluate.ts';

/** One run's figure of the claim's target; `run` prefixes the sample keys when runs are pooled. */
export interface BoundSide {
  figure: Figure;
  run?: string;
}

/** The claim is about one target's own figure, judged against a bound in that figure's unit. */
export const isBound = (c: Claim): boolean => c.against === 'bound';

/** A claim's targets in words: the one target of a claim against a bound, else "numerator/denominator". */
export const claimTargetsText = (c: Claim): string => (isBound(c) ? c.numerator : `${c.numerator}/${c.denominator}`);

/**
 * The figure of one target over the samples of every run given (in run order): the median, and its
 * confidence sequence (exact for exact figures), as a ClaimRatio of basis 'absolute' that carries its
 * unit and its samples. No samples: an interval open on both sides.
 */
export function boundFigure(sides: BoundSide[], confidence: number): ClaimRatio {
  const samples = sides.flatMap(({ figure, run }) => figure.samples.map((s) => ({ key: run ? `${run} ${s.pairKey}` : s.pairKey, value: s.value })));
  const values = samples.map((s) => s.value);
  const value = values.length ? medianOf(values) : Number.NaN;
  const exact = values.length > 0 && sides.every((s) => s.figure.exact);
  const ci: IntervalData = exact
    ? { lo: value, hi: value, level: 1, method: 'exact' }
    : values.length
      ? medianConfidenceSequence(values, confidence)
      : { lo: Number.NEGATIVE_INFINITY, hi: Number.POSITIVE_INFINITY, level: confidence, method: 'confidence-sequence' };
  return { value, ci, n: values.length, basis: 'absolute', pairs: [], maxGapS: null, unit: sides[0]?.figure.unit ?? '', samples };
}

const samplesText = (n: number) => `${n} sample${n === 1 ? '' : 's'}`;

/** "node's total deploy time = 8.41 s (95.0% anytime-valid interval 7.9-9.2 s, median of 12 samples) against the article's 0-10 s". */
function describe(claim: Claim, r: ClaimRatio): string {
  const unit = r.unit ?? '';
  const interval = r.ci.method === 'exact' ? 'exact' : `${formatLevel(r.ci.level)} anytime-valid interval ${fmtFigureRange(r.ci.lo, r.ci.hi, unit)}, median of ${samplesText(r.n)}`;
  const band = claim.band;
  const against = band ? ` against the article's ${Number.isFinite(band[1]) ? fmtFigureRange(band[0], band[1], unit) : `${fmtFigure(band[0], unit)} or more`}` : '';
  return `${claim.numerator}'s ${claim.figureWords ?? claim.figure} = ${fmtFigure(r.value, unit)} (${interval})${against}`;
}

/**
 * The verdict on one target's figure against the claim's band, in the figure's unit. A lower bound
 * (the loader or a limit stopped the figure) refutes only when even its interval's low end is above
 * the band, and otherwise keeps the claim inconclusive.
 */
export function judgeBound(claim: Claim, sides: BoundSide[], confidence: number): Judgement {
  const ratio = boundFigure(sides, confidence);
  const { lo, hi } = ratio.ci;
  const stops = [...new Set(sides.flatMap((s) => (s.figure.stoppedBy ? [s.figure.stoppedBy] : [])))];
  const measured = describe(claim, ratio) + (stops.length ? `; ${claim.numerator} stopped by ${stops.join(' / ')}` : '');
  const result = (verdict: Verdict, reason: string, cause: Judgement['cause']): Judgement => ({ verdict, reason, ratio, cause });
  if (!claim.band) return result('shown', `${measured}; shown, not judged: the article gives no figure for it`, 'decided');
  const [a, b] = claim.band;
  if (sides.some((s) => s.figure.lowerBound)) {
    const limit = sides.find((s) => s.figure.limit)?.figure.limit;
    const held = `${claim.numerator} ${limit ? `stopped at ${limit}` : 'is loader-bound'}`;
    return lo > b
      ? result('refuted', `${measured}; ${held}, so the true value is even higher`, 'decided')
      : result('inconclusive', `${held} (its figure is a lower bound): ${measured}`, Number.isFinite(lo) ? 'limit' : 'noise');
  }
  if (lo >= a && hi <= b) return result('supported', measured, 'decided');
  if (hi < a || lo > b) return result('refuted', measured, 'decided');
  if (ratio.ci.method === 'confidence-sequence' && !(Number.isFinite(lo) && Number.isFinite(hi))) {
    return result('inconclusive', `too few samples: ${measured}; a ${formatLevel(ratio.ci.level)} anytime-valid interval needs at least ${earliestDecisionPairs(ratio.ci.level)} samples to be bounded on both sides`, 'noise');
  }
  return result('inconclusive', `too noisy: ${measured}; the interval crosses the band's edge`, 'noise');
}
