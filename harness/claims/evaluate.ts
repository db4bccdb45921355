// The claims evaluator: a pure function of the results. Each claim gets supported, refuted or
// inconclusive, with the measured ratio (the median of ratios taken pair by pair from samples of the
// two targets measured next to each other), its interval with the interval's real confidence level,
// the figures behind it, the samples it rests on, and one line saying why. It reads figures through
// the scenarios' result kinds and names no scenario.
import { CLAIMS, withBeside, type Claim } from '../../scenarios/claims.ts';
import { kindOf } from '../results/scenario-kinds.ts';
import { fmtRatio } from '../report/format.ts';
import { formatLevel, pairedRatio, ratioBetweenSamples } from '../stats/intervals.ts';
import type { Figure, IntervalData, Measurement, RunResults } from '../types.ts';

export type Verdict = 'supported' | 'refuted' | 'inconclusive';

/** Below this confidence a verdict says that it rests on a weak interval. */
export const WEAK_LEVEL = 0.9;

export interface Side {
  target: string;
  samples: number[];
  /** The figure shown: median of the samples. */
  value: number;
  unit: string;
  /** Where the figure comes from (level, trials, runtime, ...). */
  detail: string;
  /** The loader was saturated: the true figure is at least this (throughput only). */
  lowerBound: boolean;
}

export interface ClaimRatio {
  value: number;
  ci: IntervalData;
  /** Number of pairs (paired), or of samples on the smaller side (unpaired). */
  n: number;
  /** How the samples were matched: pair by pair, between two independent samples, or an exact figure. */
  basis: 'paired' | 'unpaired' | 'exact';
  /** The pairs behind a paired ratio: key (e.g. "round 2"), the two values and their ratio. */
  pairs: { key: string; numerator: number; denominator: number; ratio: number }[];
  /** Largest time between the two samples of a pair, where their times are known. */
  maxGapS: number | null;
}

export interface ClaimVerdict {
  claim: Claim;
  verdict: Verdict;
  reason: string;
  ratio?: ClaimRatio;
  numerator?: Side;
  denominator?: Side;
  /** Which measurements the figures come from, e.g. "json/node and json/django in results.json". */
  source?: string;
  machine: string;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The figure behind one side of a claim, or why there is none. */
export function figureOf(m: Measurement | undefined, claim: Claim, target: string, run: RunResults): Figure | string {
  if (!m) return `${target} was not measured`;
  if (m.status !== 'ok' || !m.complete) return `${target} was ${m.status}${m.complete ? '' : ' (incomplete)'}${m.error ? `: ${m.error.split('. Fix:')[0]}` : ''}`;
  const kind = kindOf(m);
  if (!kind) return `the ${m.scenario} scenario is unknown to this harness`;
  if (m.result === undefined) return `${target} has no ${m.scenario} results`;
  const figure = kind.figure(claim.figure, m.result, run);
  return typeof figure === 'string' ? `${target}: ${figure}` : figure;
}

/** One side of a claim; its detail names the deployment (server) the figure comes from. */
const toSide = (target: string, f: Figure, results: RunResults): Side => {
  const values = f.samples.map((s) => s.value);
  const server = results.targets[target]?.server;
  return { target, samples: values, value: median(values), unit: f.unit, detail: `${server ? `${server}; ` : ''}${f.detail}, ${results.runtime}`, lowerBound: f.lowerBound };
};

/** The ratio num/den: exact for exact figures, pair by pair where samples share keys, else between independent samples. */
export function claimRatio(num: Figure, den: Figure): ClaimRatio {
  if (num.exact && den.exact) {
    const value = median(num.samples.map((s) => s.value)) / median(den.samples.map((s) => s.value));
    return { value, ci: { lo: value, hi: value, level: 1, method: 'exact' }, n: 1, basis: 'exact', pairs: [], maxGapS: null };
  }
  const denByKey = new Map(den.samples.map((s) => [s.pairKey, s]));
  const pairs = !(num.pairable && den.pairable) ? [] : num.samples.flatMap((a) => {
    const b = denByKey.get(a.pairKey);
    return b ? [{ a, b }] : [];
  });
  if (pairs.length) {
    const p = pairedRatio(pairs.map((x) => x.a.value), pairs.map((x) => x.b.value));
    const gaps = pairs.flatMap(({ a, b }) => (a.at && b.at ? [Math.abs(Date.parse(a.at) - Date.parse(b.at)) / 1000] : []));
    return {
      value: p.ratio,
      ci: p.interval,
      n: p.n,
      basis: 'paired',
      pairs: pairs.map(({ a, b }) => ({ key: a.pairKey, numerator: a.value, denominator: b.value, ratio: a.value / b.value })),
      maxGapS: gaps.length === pairs.length ? Math.max(...gaps) : null,
    };
  }
  const r = ratioBetweenSamples(num.samples.map((s) => s.value), den.samples.map((s) => s.value));
  return { value: r.ratio, ci: r.interval, n: Math.min(num.samples.length, den.samples.length), basis: 'unpaired', pairs: [], maxGapS: null };
}

function describe(claim: Claim, r: ClaimRatio): string {
  const [a, b] = claim.band;
  const interval =
    r.basis === 'exact'
      ? 'exact'
      : r.ci.level === 0
        ? 'no interval: one sample per target'
        : `${formatLevel(r.ci.level)} interval ${fmtRatio(r.ci.lo)}-${fmtRatio(r.ci.hi)}, ${r.basis === 'paired' ? `median of ${r.n} paired ratios` : "unpaired samples"}`;
  return `${claim.numerator}/${claim.denominator} = ${fmtRatio(r.value)} (${interval}) against the article's ${fmtRatio(a)}-${fmtRatio(b)}`;
}

export function judge(claim: Claim, num: Figure & { lowerBound: boolean }, den: Figure & { lowerBound: boolean }): { verdict: Verdict; reason: string; ratio: ClaimRatio } {
  const ratio = claimRatio(num, den);
  const { lo, hi } = ratio.ci;
  const [a, b] = claim.band;
  const measured = describe(claim, ratio);
  const weak = ratio.basis !== 'exact' && ratio.ci.level > 0 && ratio.ci.level < WEAK_LEVEL ? `; the interval has only ${formatLevel(ratio.ci.level)} confidence (more trials give more: --profile full)` : '';
  const result = (verdict: Verdict, reason: string) => ({ verdict, reason: reason + (verdict === 'inconclusive' ? '' : weak), ratio });
  if (ratio.basis !== 'exact' && ratio.ci.level === 0) return result('inconclusive', `one independent sample per target, so no interval: ${measured}`);
  if (num.lowerBound && den.lowerBound) return result('inconclusive', `both figures are loader-bound (lower bounds only): ${measured}`);
  if (num.lowerBound) {
    // The true ratio is at least the measured one.
    return lo > b
      ? result('refuted', `${measured}; ${claim.numerator} is loader-bound, so the true ratio is even higher`)
      : result('inconclusive', `${claim.numerator} is loader-bound (its figure is a lower bound): ${measured}`);
  }
  if (den.lowerBound) {
    return hi < a
      ? result('refuted', `${measured}; ${claim.denominator} is loader-bound, so the true ratio is even lower`)
      : result('inconclusive', `${claim.denominator} is loader-bound (its figure is a lower bound): ${measured}`);
  }
  if (lo >= a && hi <= b) return result('supported', measured);
  if (hi < a || lo > b) return result('refuted', measured);
  return result('inconclusive', `too noisy: ${measured}; the interval crosses the band's edge`);
}

/**
 * A claim set against this machine instead of another target (the 1M+ connection claims): the
 * figure is an extrapolation from what was held here, so it is shown with how far it is from the
 * machine's memory, and the verdict stays inconclusive: a count that was not reached is not measured.
 */
function againstMachine(claim: Claim, figure: Figure | string, results: RunResults, machine: string): ClaimVerdict {
  if (typeof figure === 'string') return { claim, verdict: 'inconclusive', reason: `not measured: ${figure}`, machine };
  const side = toSide(claim.numerator, figure, results);
  const memory = results.environment.memoryBytes;
  const times = side.value / memory;
  const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;
  return {
    claim,
    verdict: 'inconclusive',
    reason:
      `an extrapolation, not a measurement (${side.detail}): 1,000,000 connections would need about ${gib(side.value)}, ${fmtRatio(times)}x this machine's ${gib(memory)}` +
      (times > 1 ? ', so they would not fit in its memory' : ', so memory alone would not stop them here') +
      '; CPU, the kernel\'s per-socket memory and the loader\'s ports are not in this figure',
    numerator: side,
    denominator: { target: 'this machine', samples: [memory], value: memory, unit: 'bytes', detail: 'its memory', lowerBound: false },
    source: `results.json: ${claim.scenario}/${claim.numerator} against environment.memoryBytes`,
    machine,
  };
}

/** Every claim, each followed by the ratios shown beside it (see Claim.beside). */
export function evaluateClaims(results: RunResults, claims: Claim[] = CLAIMS): ClaimVerdict[] {
  const machine = `${results.environment.cpuModel}, ${results.environment.cores} cores (${results.environment.hostname})`;
  // A beside entry shows only where its target was part of the run.
  const shown = withBeside(claims).filter((c) => !c.besideOf || (c.numerator in results.targets && c.denominator in results.targets));
  return shown.map((claim) => {
    const ran = results.measurements.filter((m) => m.scenario === claim.scenario);
    if (ran.length === 0) return { claim, verdict: 'inconclusive', reason: `not measured: the \`${claim.scenario}\` scenario did not run`, machine };
    const find = (target: string) => ran.find((m) => m.target === target);
    if (claim.against === 'machine-memory') return againstMachine(claim, figureOf(find(claim.numerator), claim, claim.numerator, results), results, machine);
    const num = figureOf(find(claim.numerator), claim, claim.numerator, results);
    const den = figureOf(find(claim.denominator), claim, claim.denominator, results);
    if (typeof num === 'string' || typeof den === 'string') {
      return { claim, verdict: 'inconclusive', reason: `not measured: ${[num, den].filter((x) => typeof x === 'string').join('; ')}`, machine };
    }
    return {
      claim,
      ...judge(claim, num, den),
      numerator: toSide(claim.numerator, num, results),
      denominator: toSide(claim.denominator, den, results),
      source: `results.json: ${claim.scenario}/${claim.numerator} and ${claim.scenario}/${claim.denominator}`,
      machine,
    };
  });
}
