// The claims evaluator: a pure function of the results. Each claim gets supported, refuted or
// inconclusive, with the measured ratio (the median of ratios taken pair by pair from samples of the
// two targets measured next to each other), its interval with the interval's real confidence level,
// the figures behind it, the samples it rests on, how the verdict was reached (decided after n pairs,
// stopped at the budget, held back by a limit of the machine) and one line saying why. Paired ratios
// get an anytime-valid confidence sequence, so the rounds may stop as soon as a claim is decided, and
// the pairs of several runs of one machine may be pooled. It reads figures through the scenarios'
// result kinds and names no scenario. A claim's target (`node`, `node@24`) is the run's target of that
// name or alias (target-names.ts): `node` is `node@24` in a matrix run whose default is 24. A claim
// about one target's own figure is judged against a bound in its unit (against-bound.ts), one beyond
// the machine's reach against its memory (against-machine.ts).
import { median as medianOf } from 'simple-statistics';
import { CLAIMS, withBeside, type Claim } from '../../scenarios/claims.ts';
import { isBound, judgeBound } from './against-bound.ts';
import { againstMachine } from './against-machine.ts';
import { atCommonLevel } from './levels.ts';
import { runHas, runNameOf } from './target-names.ts';
import { kindOf } from '../results/scenario-kinds.ts';
import { fmtRatio } from '../report/format.ts';
import { earliestDecisionPairs, lag1Autocorrelation, pairedRatioSequence } from '../stats/confseq.ts';
import { formatLevel, ratioBetweenSamples } from '../stats/intervals.ts';
import type { Figure, IntervalData, Measurement, RoundsRecord, RunResults } from '../types.ts';

/** shown: a ratio the article gives no band for, shown beside the claims and not judged. */
export type Verdict = 'supported' | 'refuted' | 'inconclusive' | 'shown';

/** The claims' confidence when a run does not record one (results of older harnesses). */
export const DEFAULT_CONFIDENCE = 0.95;

/** Below this confidence a verdict says that it rests on a weak interval (unpaired or older results). */
export const WEAK_LEVEL = 0.9;

/** Lag-1 autocorrelation of a claim's paired log-ratios above this is flagged: the pairs are not independent. */
export const AUTOCORRELATION_FLAG = 0.3;

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
  /** The limit that stopped the figure, in words, where one did. */
  limit?: string;
}

export interface ClaimRatio {
  /** The ratio; for basis 'absolute', the median of the one target's figure in its unit. */
  value: number;
  ci: IntervalData;
  /** Number of pairs (paired), of samples on the smaller side (unpaired), or of the figure's samples (absolute). */
  n: number;
  /**
   * How the samples were matched: pair by pair, between two independent samples, or an exact figure;
   * 'absolute': no ratio, one target's own figure against a bound in its unit (against-bound.ts; its
   * interval is 'exact' for an exact figure).
   */
  basis: 'paired' | 'unpaired' | 'exact' | 'absolute';
  /** The pairs behind a paired ratio: key (e.g. "round 2"), the two values and their ratio. */
  pairs: { key: string; numerator: number; denominator: number; ratio: number }[];
  /** Largest time between the two samples of a pair, where their times are known. */
  maxGapS: number | null;
  /** Basis 'absolute' only: the figure's unit, and the samples behind it (key, e.g. "round 2", and value) in run order. */
  unit?: string;
  samples?: { key: string; value: number }[];
}

/**
 * How a verdict was reached. decided: the interval lies wholly inside or outside the band; budget: the
 * rounds stopped at the scenario's time budget or most rounds with the interval still across the
 * band's edge; open: undecided, and the rounds did not stop for the budget (interrupted, older
 * results); limit: a limit of the machine, the loader or the run keeps it inconclusive; extrapolation:
 * a figure that was not reached here; exact: one exact reading per side; not-measured; shown: no band
 * to judge against.
 */
export interface Decision {
  how: 'decided' | 'budget' | 'open' | 'limit' | 'extrapolation' | 'exact' | 'not-measured' | 'shown';
  /** Pairs the interval rests on (0 where none); for a figure against a bound, its samples. */
  pairs: number;
  /** In words, e.g. "decided after 12 pairs", "stopped at the 45 s budget after 20 pairs" ("samples" against a bound). */
  text: string;
}

export interface ClaimVerdict {
  claim: Claim;
  verdict: Verdict;
  reason: string;
  decision: Decision;
  ratio?: ClaimRatio;
  numerator?: Side;
  /** Absent for a claim against a bound: its band, in the numerator's unit, is on the claim. */
  denominator?: Side;
  /** Lag-1 autocorrelation of the paired log-ratios (4 pairs or more), flagged above AUTOCORRELATION_FLAG. */
  autocorrelation?: { lag1: number; flagged: boolean };
  /** Which measurements the figures come from, e.g. "json/node and json/django in results.json". */
  source?: string;
  machine: string;
  /** Runs whose pairs were pooled (claims over several runs); absent for one run. */
  runs?: string[];
}

/** simple-statistics' median, NaN for no values (as a figure without samples reads) instead of a throw. */
const median = (values: number[]): number => (values.length ? medianOf(values) : NaN);

/** The figure behind one side of a claim, or why there is none. */
export function figureOf(m: Measurement | undefined, claim: Claim, target: string, run: RunResults, partial = false): Figure | string {
  if (!m) return run.targets[target] ? `${target} was not measured` : `${target} was not in this run (\`--targets ${target}\` adds it)`;
  if (m.status !== 'ok' || (!m.complete && !partial)) return `${target} was ${m.status}${m.complete ? '' : ' (incomplete)'}${m.error ? `: ${m.error.split('. Fix:')[0]}` : ''}`;
  const kind = kindOf(m);
  if (!kind) return `the ${m.scenario} scenario is unknown to this harness`;
  if (m.result === undefined) return `${target} has no ${m.scenario} results`;
  const figure = kind.figure(claim.figure, m.result, run);
  return typeof figure === 'string' ? `${target}: ${figure}` : figure;
}

/**
 * A versioned target's own version and its language's, as its running server reported them
 * ("django 6.0.1, python 3.13.5"), for a side's detail; '' for targets of runs before versions.
 */
export function versionWords(target: string, results: RunResults): string {
  const t = results.targets[target];
  if (!t?.version) return '';
  const family = t.family ?? target.split('@')[0]!;
  const words = [...new Set([family, t.language])].flatMap((k) => (t.versions[k] ? [`${k} ${t.versions[k]}`] : []));
  return words.join(', ');
}

/** One side of a claim (`target` is the run's name); its detail names the deployment (server) the figure comes from, and a versioned target's versions. */
export const toSide = (target: string, f: Figure, results: RunResults): Side => {
  const values = f.samples.map((s) => s.value);
  const server = results.targets[target]?.server;
  const versions = versionWords(target, results);
  return { target, samples: values, value: median(values), unit: f.unit, detail: `${server ? `${server}; ` : ''}${versions ? `${versions}; ` : ''}${f.detail}, ${results.runtime}`, lowerBound: f.lowerBound, ...(f.limit && { limit: f.limit }) };
};

/** Why two targets of a run cannot be compared: they ran on different target hosts (a merged run
 * of parts from two machines), so their ratio would compare the machines. Null when they can. */
export function hostsApart(run: RunResults, a: string, b: string): string | null {
  const [ha, hb] = [run.targets[a]?.host, run.targets[b]?.host];
  if ((ha ?? null) === (hb ?? null)) return null;
  return `${a} ran on ${ha ?? 'this machine'} and ${b} on ${hb ?? 'this machine'}: a ratio across two target hosts would compare the machines, not the frameworks`;
}

/** The two figures of a claim in one run; `run` prefixes the pair keys when runs are pooled. */
export interface FigurePair {
  num: Figure;
  den: Figure;
  run?: string;
}

const pairsOf = ({ num, den, run }: FigurePair) => {
  if (!(num.pairable && den.pairable)) return [];
  const denByKey = new Map(den.samples.map((s) => [s.pairKey, s]));
  return num.samples.flatMap((a) => {
    const b = denByKey.get(a.pairKey);
    return b ? [{ key: run ? `${run} ${a.pairKey}` : a.pairKey, a, b }] : [];
  });
};

/**
 * The ratio num/den: exact for exact figures; pair by pair where samples share keys, with the
 * confidence sequence of the median ratio (anytime-valid, so it stays valid however often the rounds
 * looked at it); else between independent samples (older results), with its fixed-n level.
 */
export function claimRatio(num: Figure, den: Figure, confidence = DEFAULT_CONFIDENCE): ClaimRatio {
  return pooledRatio([{ num, den }], confidence);
}

function pooledRatio(sides: FigurePair[], confidence: number): ClaimRatio {
  const all = <T>(f: (p: FigurePair) => T[]) => sides.flatMap(f);
  if (sides.every((s) => s.num.exact && s.den.exact)) {
    const value = median(all((s) => s.num.samples.map((x) => x.value))) / median(all((s) => s.den.samples.map((x) => x.value)));
    return { value, ci: { lo: value, hi: value, level: 1, method: 'exact' }, n: 1, basis: 'exact', pairs: [], maxGapS: null };
  }
  const pairs = all(pairsOf);
  if (pairs.length) {
    const p = pairedRatioSequence(pairs.map((x) => x.a.value), pairs.map((x) => x.b.value), confidence);
    const gaps = pairs.flatMap(({ a, b }) => (a.at && b.at ? [Math.abs(Date.parse(a.at) - Date.parse(b.at)) / 1000] : []));
    return {
      value: p.ratio,
      ci: p.interval,
      n: p.n,
      basis: 'paired',
      pairs: pairs.map(({ key, a, b }) => ({ key, numerator: a.value, denominator: b.value, ratio: a.value / b.value })),
      maxGapS: gaps.length === pairs.length ? Math.max(...gaps) : null,
    };
  }
  const a = all((s) => s.num.samples.map((x) => x.value));
  const b = all((s) => s.den.samples.map((x) => x.value));
  const r = ratioBetweenSamples(a, b, confidence);
  return { value: r.ratio, ci: r.interval, n: Math.min(a.length, b.length), basis: 'unpaired', pairs: [], maxGapS: null };
}

function describe(claim: Claim, r: ClaimRatio): string {
  const interval =
    r.basis === 'exact'
      ? 'exact'
      : r.ci.level === 0
        ? 'no interval: one sample per target'
        : r.ci.method === 'confidence-sequence'
          ? `${formatLevel(r.ci.level)} anytime-valid interval ${fmtRatio(r.ci.lo)}-${Number.isFinite(r.ci.hi) ? fmtRatio(r.ci.hi) : '∞'}, median of ${r.n} paired ratio${r.n === 1 ? '' : 's'}`
          : `${formatLevel(r.ci.level)} interval ${fmtRatio(r.ci.lo)}-${fmtRatio(r.ci.hi)}, ${r.basis === 'paired' ? `median of ${r.n} paired ratios` : 'unpaired samples'}`;
  const against = claim.band ? ` against the article's ${Number.isFinite(claim.band[1]) ? `${fmtRatio(claim.band[0])}-${fmtRatio(claim.band[1])}` : `${fmtRatio(claim.band[0])} or more`}` : '';
  return `${claim.numerator}/${claim.denominator} = ${fmtRatio(r.value)} (${interval})${against}`;
}

/** Why a claim is inconclusive, as data: noise (more pairs may decide it) or a limit (more pairs will not). */
type Cause = 'decided' | 'noise' | 'limit';

export interface Judgement {
  verdict: Verdict;
  reason: string;
  ratio: ClaimRatio;
  cause: Cause;
}

const limitOf = (side: string, f: { lowerBound: boolean; limit?: string }) => `${side} ${f.limit ? `stopped at ${f.limit}` : 'is loader-bound'}`;

/** Both figures' values are within this factor of the floor measured against a reference that is not a target: the ratio is the loader's as much as the frameworks'. */
export const FLOOR_REACH = 2;

export function judge(claim: Claim, num: Figure & { lowerBound: boolean }, den: Figure & { lowerBound: boolean }, confidence = DEFAULT_CONFIDENCE): Judgement {
  return judgePooled(claim, [{ num, den }], confidence);
}

function judgePooled(claim: Claim, sides: FigurePair[], confidence: number): Judgement {
  const ratio = pooledRatio(sides, confidence);
  const { lo, hi } = ratio.ci;
  const measured = describe(claim, ratio) + stopsOf(claim, sides);
  const num = { lowerBound: sides.some((s) => s.num.lowerBound), limit: sides.find((s) => s.num.limit)?.num.limit };
  const den = { lowerBound: sides.some((s) => s.den.lowerBound), limit: sides.find((s) => s.den.limit)?.den.limit };
  const weak = ratio.basis !== 'exact' && ratio.ci.level > 0 && ratio.ci.level < WEAK_LEVEL ? `; the interval has only ${formatLevel(ratio.ci.level)} confidence` : '';
  const result = (verdict: Verdict, reason: string, cause: Cause) => ({ verdict, reason: reason + (verdict === 'supported' || verdict === 'refuted' ? weak : ''), ratio, cause });
  if (!claim.band) return result('shown', `${measured}; shown, not judged: the article gives no figure for this ratio`, 'decided');
  const [a, b] = claim.band;
  // Limits first: a ratio of two lower bounds says nothing of the frameworks, however many samples.
  if (num.lowerBound && den.lowerBound) {
    const same = num.limit && num.limit === den.limit;
    return result('inconclusive', `${same ? `both sides stopped at ${num.limit}, a limit of this run and machine, not of the frameworks` : `${limitOf(claim.numerator, num)} and ${limitOf(claim.denominator, den)} (lower bounds only)`}: ${measured}`, 'limit');
  }
  const floor = nearFloor(claim, sides);
  if (floor) return result('inconclusive', `${floor}: ${measured}`, 'limit');
  if (ratio.basis !== 'exact' && ratio.ci.level === 0) return result('inconclusive', `one independent sample per target, so no interval: ${measured}`, num.lowerBound || den.lowerBound ? 'limit' : 'noise');
  if (ratio.basis === 'unpaired' && ratio.ci.level < confidence) {
    // Older results without pairs: a fixed-n interval below the confidence asked for decides nothing.
    return result('inconclusive', `unpaired samples give only ${formatLevel(ratio.ci.level)} confidence, below the ${formatLevel(confidence)} asked for: ${measured}`, 'noise');
  }
  if (num.lowerBound) {
    // The true ratio is at least the measured one.
    return lo > b
      ? result('refuted', `${measured}; ${limitOf(claim.numerator, num)}, so the true ratio is even higher`, 'decided')
      : result('inconclusive', `${limitOf(claim.numerator, num)} (its figure is a lower bound): ${measured}`, lo > 0 ? 'limit' : 'noise');
  }
  if (den.lowerBound) {
    return hi < a
      ? result('refuted', `${measured}; ${limitOf(claim.denominator, den)}, so the true ratio is even lower`, 'decided')
      : result('inconclusive', `${limitOf(claim.denominator, den)} (its figure is a lower bound): ${measured}`, Number.isFinite(hi) ? 'limit' : 'noise');
  }
  if (lo >= a && hi <= b) return result('supported', measured, 'decided');
  if (hi < a || lo > b) return result('refuted', measured, 'decided');
  if (ratio.ci.method === 'confidence-sequence' && !(Number.isFinite(hi) && lo > 0)) {
    return result('inconclusive', `too few pairs: ${measured}; a ${formatLevel(ratio.ci.level)} anytime-valid interval needs at least ${earliestDecisionPairs(ratio.ci.level)} pairs to be bounded on both sides`, 'noise');
  }
  return result('inconclusive', `too noisy: ${measured}; the interval crosses the band's edge`, 'noise');
}

/** What ended each side's measurements (capacity ramps), said for every such claim, limit or not. */
function stopsOf(claim: Claim, sides: FigurePair[]): string {
  const num = [...new Set(sides.flatMap((s) => (s.num.stoppedBy ? [s.num.stoppedBy] : [])))];
  const den = [...new Set(sides.flatMap((s) => (s.den.stoppedBy ? [s.den.stoppedBy] : [])))];
  if (!num.length && !den.length) return '';
  return `; ${claim.numerator} stopped by ${num.join(' / ') || 'n/a'}, ${claim.denominator} by ${den.join(' / ') || 'n/a'}`;
}

/** Both sides within reach of the floor measured against a reference server (the loader's own), in words; null otherwise. */
function nearFloor(claim: Claim, sides: FigurePair[]): string | null {
  const floors = sides.flatMap((s) => [s.num.floor, s.den.floor]).filter((f): f is NonNullable<Figure['floor']> => f !== undefined);
  if (floors.length < sides.length * 2) return null;
  const floor = Math.max(...floors.map((f) => f.value));
  const values = (pick: (s: FigurePair) => Figure) => median(sides.flatMap((s) => pick(s).samples.map((x) => x.value)));
  const [n, d] = [values((s) => s.num), values((s) => s.den)];
  if (!(n <= FLOOR_REACH * floor && d <= FLOOR_REACH * floor)) return null;
  const unit = sides[0]!.num.unit;
  return `both sides are within ${FLOOR_REACH}x of the loader's own floor (${floors[0]!.detail}: ${fmtRatio(floor)} ${unit}), so the ratio is the loader's as much as the frameworks' (${claim.numerator} ${fmtRatio(n)} ${unit}, ${claim.denominator} ${fmtRatio(d)} ${unit})`;
}

/** How a judged claim's verdict was reached, from its cause and how the scenario's rounds stopped. */
function decisionOf(j: Judgement, records: (RoundsRecord | undefined)[], runs: number): Decision {
  // A figure against a bound counts its samples as a ratio counts its pairs.
  const absolute = j.ratio.basis === 'absolute';
  const n = j.ratio.basis === 'paired' || absolute ? j.ratio.n : 0;
  const pairsText = (k: number) => `${k} ${absolute ? 'sample' : 'pair'}${k === 1 ? '' : 's'}`;
  const over = runs > 1 ? ` pooled over ${runs} runs` : '';
  if (j.verdict === 'shown') return { how: 'shown', pairs: n, text: 'shown, not judged: no band' };
  if (j.ratio.basis === 'exact' || (absolute && j.ratio.ci.method === 'exact')) return { how: 'exact', pairs: 0, text: absolute ? 'exact: one reading' : 'exact: one reading per side' };
  if (j.cause === 'decided') return { how: 'decided', pairs: n, text: j.ratio.basis === 'unpaired' ? `decided on unpaired samples${over}` : `decided after ${pairsText(n)}${over}` };
  if (j.cause === 'limit') return { how: 'limit', pairs: n, text: `held back by a limit after ${pairsText(n)}${over}` };
  const stops = records.filter((r): r is RoundsRecord => r !== undefined);
  const budget = stops.find((r) => r.stoppedBy === 'budget');
  const most = stops.find((r) => r.stoppedBy === 'max-rounds');
  if (budget) return { how: 'budget', pairs: n, text: `stopped at the ${budget.budgetS} s budget after ${pairsText(n)}${over}` };
  if (most) return { how: 'budget', pairs: n, text: `stopped at the most rounds (${most.maxRounds}) after ${pairsText(n)}${over}` };
  return { how: 'open', pairs: n, text: `undecided after ${pairsText(n)}${over}${stops.some((r) => r.stoppedBy === 'interrupted') ? ' (the rounds were interrupted)' : ''}` };
}

function autocorrelationOf(r: ClaimRatio): ClaimVerdict['autocorrelation'] {
  if (r.basis !== 'paired' || r.pairs.length < 4 || r.pairs.some((p) => !(p.ratio > 0))) return undefined;
  const lag1 = lag1Autocorrelation(r.pairs.map((p) => Math.log(p.ratio)));
  return lag1 === null ? undefined : { lag1, flagged: lag1 > AUTOCORRELATION_FLAG };
}

/** The confidence a run's claims are judged at. */
export const confidenceOf = (results: RunResults): number => results.confidence ?? DEFAULT_CONFIDENCE;

export interface EvaluateOptions {
  /** Judge measurements still running (the rounds driver looks after every round). */
  partial?: boolean;
  /** Only the claims resting on this scenario. */
  scenario?: string;
}

/**
 * Every claim, each followed by the ratios shown beside it (see Claim.beside). Given several runs of
 * one machine, each claim is judged on the pairs of all of them together (the confidence sequence
 * runs over the pairs in run order); `runs` names them.
 */
export function evaluateClaims(input: RunResults | RunResults[], claims: Claim[] = CLAIMS, options: EvaluateOptions = {}): ClaimVerdict[] {
  const runs = Array.isArray(input) ? input : [input];
  const first = runs[0];
  if (!first) throw new RangeError('evaluateClaims needs at least one run');
  const confidence = Math.max(...runs.map(confidenceOf));
  const machine = `${first.environment.cpuModel}, ${first.environment.cores} cores (${first.environment.hostname})`;
  const pooled = runs.length > 1;
  // A beside entry shows only where its targets were part of a run (by name or by an alias).
  const shown = withBeside(claims)
    .filter((c) => !options.scenario || c.scenario === options.scenario)
    .filter((c) => !c.besideOf || runs.some((r) => runHas(r, c.numerator) && runHas(r, c.denominator)));
  return shown.map((claim): ClaimVerdict => {
    const notMeasured = (reason: string): ClaimVerdict => ({ claim, verdict: 'inconclusive', reason: `not measured: ${reason}`, decision: { how: 'not-measured', pairs: 0, text: 'not measured' }, machine });
    const ran = runs.map((r) => ({ run: r, ms: r.measurements.filter((m) => m.scenario === claim.scenario) }));
    if (ran.every((x) => x.ms.length === 0)) return notMeasured(`the \`${claim.scenario}\` scenario did not run`);
    const figures = ran.map(({ run, ms }) => {
      // The run's names for the claim's targets: `node` is `node@24` in a matrix run whose default is 24.
      const names = { num: runNameOf(run, claim.numerator), den: runNameOf(run, claim.denominator) };
      const find = (target: string) => ms.find((m) => m.target === target);
      const apart = hostsApart(run, names.num, names.den);
      if (apart) return { run, names, num: apart, den: apart };
      return { run, names, num: figureOf(find(names.num), claim, names.num, run, options.partial), den: figureOf(find(names.den), claim, names.den, run, options.partial) };
    });
    if (claim.against === 'machine-memory') {
      // An extrapolation is not pooled: each run's is shown on its own (the newest here).
      const last = figures.at(-1)!;
      return againstMachine(claim, typeof last.num === 'string' ? last.num : toSide(last.names.num, last.num, last.run), last.num, last.run, machine);
    }
    // Figures read at levels (memory at held clients) are judged at the highest level both reached.
    const leveled = figures.map((f) => (typeof f.num === 'string' || typeof f.den === 'string' ? f : { ...f, ...atCommonLevel(f.num, f.den) }));
    const usable = leveled.filter((f): f is { run: RunResults; names: { num: string; den: string }; num: Figure; den: Figure } => typeof f.num !== 'string' && typeof f.den !== 'string');
    if (usable.length === 0) {
      const why = leveled.flatMap((f) => [f.num, f.den].filter((x): x is string => typeof x === 'string'));
      return notMeasured([...new Set(why)].join('; '));
    }
    const bound = isBound(claim);
    const j = bound
      ? judgeBound(claim, usable.map((f) => ({ figure: f.num, ...(pooled && { run: f.run.runId }) })), confidence)
      : judgePooled(claim, usable.map((f) => ({ num: f.num, den: f.den, ...(pooled && { run: f.run.runId }) })), confidence);
    const side = (which: 'num' | 'den', pick: (f: (typeof usable)[number]) => Figure): Side => {
      const one = toSide(usable[0]!.names[which], pick(usable[0]!), usable[0]!.run);
      if (!pooled) return one;
      const samples = usable.flatMap((f) => pick(f).samples.map((s) => s.value));
      return { ...one, samples, value: median(samples), detail: `${usable.length} runs pooled; ${one.detail}` };
    };
    const auto = autocorrelationOf(j.ratio);
    return {
      claim,
      verdict: j.verdict,
      reason: j.reason + (auto?.flagged ? `; the paired log-ratios are autocorrelated (lag 1: ${auto.lag1.toFixed(2)}), so the pairs are not independent samples and the interval is optimistic` : ''),
      decision: decisionOf(j, usable.map((f) => f.run.rounds?.[claim.scenario]), usable.length),
      ratio: j.ratio,
      numerator: side('num', (f) => f.num),
      ...(!bound && { denominator: side('den', (f) => f.den) }),
      ...(auto && { autocorrelation: auto }),
      source: `results.json: ${claim.scenario}/${usable[0]!.names.num}${bound ? '' : ` and ${claim.scenario}/${usable[0]!.names.den}`}`,
      machine,
      ...(pooled && { runs: usable.map((f) => f.run.runId) }),
    };
  });
}
