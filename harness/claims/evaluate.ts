// The claims evaluator: a pure function of the results. Each claim gets supported, refuted or
// inconclusive, with the measured ratio, its 95% interval, the figures behind it and one line
// saying why. Only ratios measured in the same run are judged; absolute figures are shown with
// the machine they came from.
import { CLAIMS, type Claim, type ClaimMetric } from '../../scenarios/claims.ts';
import { ratioOfMedians } from '../stats/compare.ts';
import type { Measurement, RunResults } from '../types.ts';

export type Verdict = 'supported' | 'refuted' | 'inconclusive';

export interface Side {
  target: string;
  samples: number[];
  /** The figure shown: median of the samples. */
  value: number;
  unit: string;
  /** Where the figure comes from (connection level, runtime, ...). */
  detail: string;
  /** The loader was saturated: the true figure is at least this (throughput only). */
  lowerBound: boolean;
}

export interface ClaimVerdict {
  claim: Claim;
  verdict: Verdict;
  reason: string;
  ratio?: { value: number; ci95: [number, number] };
  numerator?: Side;
  denominator?: Side;
  machine: string;
}

const UNITS: Record<ClaimMetric, string> = {
  'json-rps': 'req/s',
  'db-rps': 'req/s',
  'ws-users': 'users',
  'startup-ms': 'ms',
  'image-bytes': 'bytes',
  'memory-peak-bytes': 'bytes',
};

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The samples behind one side of a claim, or why there are none. */
export function sideOf(m: Measurement | undefined, metric: ClaimMetric, target: string, runtime: string): Side | string {
  if (!m) return `${target} was not measured`;
  if (m.status !== 'ok' || !m.complete) return `${target} was ${m.status}${m.complete ? '' : ' (incomplete)'}${m.error ? `: ${m.error.split('. Fix:')[0]}` : ''}`;
  const side = (samples: number[], detail: string, lowerBound = false): Side => ({ target, samples, value: median(samples), unit: UNITS[metric], detail, lowerBound });
  switch (metric) {
    case 'json-rps':
    case 'db-rps': {
      if (!m.summary.length) return `${target} has no trials`;
      const best = m.summary.reduce((a, b) => (b.rps.median > a.rps.median ? b : a));
      const trials = m.trials.filter((t) => t.connections === best.connections);
      return side(
        trials.map((t) => t.rps),
        `best level, ${best.connections} connections, ${trials.length} trials, ${runtime}`,
        trials.some((t) => t.loaderBound),
      );
    }
    case 'startup-ms':
      return m.startup ? side(m.startup.samplesMs, `${m.startup.samplesMs.length} starts, ${m.startup.mode}`) : `${target} has no startup figures`;
    case 'image-bytes':
      return m.image ? side([m.image.imageBytes], `uncompressed, ${m.image.base.origin} base ${m.image.base.ref}`) : `${target} has no image figures`;
    case 'memory-peak-bytes': {
      // The run's highest level, the same for every target, so that like loads are compared.
      if (!m.load?.connections.length) return `${target} has no json load levels`;
      const top = Math.max(...m.load.connections);
      const peaks = m.trials.filter((t) => t.connections === top).flatMap((t) => (t.target.rssBytesPeak ? [t.target.rssBytesPeak] : []));
      if (!peaks.length) return `${target} has no memory readings at ${top} connections`;
      const source = runtime === 'docker' ? 'container usage' : 'process-tree RSS';
      return side(peaks, `peak per trial under the json load at ${top} connections, ${peaks.length} trials, ${source}${m.workers ? `, ${m.workers} worker(s)` : ''}`);
    }
    case 'ws-users':
      return `${target} has no WebSocket figures`;
  }
}

const fmt = (x: number) => (x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function judge(claim: Claim, num: Side, den: Side): { verdict: Verdict; reason: string; ratio: { value: number; ci95: [number, number] } } {
  const r = ratioOfMedians(num.samples, den.samples);
  const [lo, hi] = r.ci95;
  const [a, b] = claim.band;
  const ratio = { value: r.ratio, ci95: r.ci95 };
  const measured = `${claim.numerator}/${claim.denominator} = ${fmt(r.ratio)} (95% CI ${fmt(lo)}-${fmt(hi)}) against the article's ${fmt(a)}-${fmt(b)}`;
  if (num.lowerBound && den.lowerBound) return { verdict: 'inconclusive', reason: `both figures are loader-bound (lower bounds only): ${measured}`, ratio };
  if (num.lowerBound) {
    // The true ratio is at least the measured one.
    return lo > b
      ? { verdict: 'refuted', reason: `${measured}; ${claim.numerator} is loader-bound, so the true ratio is even higher`, ratio }
      : { verdict: 'inconclusive', reason: `${claim.numerator} is loader-bound (its figure is a lower bound): ${measured}`, ratio };
  }
  if (den.lowerBound) {
    return hi < a
      ? { verdict: 'refuted', reason: `${measured}; ${claim.denominator} is loader-bound, so the true ratio is even lower`, ratio }
      : { verdict: 'inconclusive', reason: `${claim.denominator} is loader-bound (its figure is a lower bound): ${measured}`, ratio };
  }
  const single = num.samples.length === 1 && den.samples.length === 1 ? ' (one reading per target)' : '';
  if (lo >= a && hi <= b) return { verdict: 'supported', reason: `${measured}${single}`, ratio };
  if (hi < a || lo > b) return { verdict: 'refuted', reason: `${measured}${single}`, ratio };
  return { verdict: 'inconclusive', reason: `too noisy: ${measured}; the interval crosses the band's edge`, ratio };
}

export function evaluateClaims(results: RunResults, claims: Claim[] = CLAIMS): ClaimVerdict[] {
  const machine = `${results.environment.cpuModel}, ${results.environment.cores} cores (${results.environment.hostname})`;
  return claims.map((claim) => {
    const ran = results.measurements.filter((m) => m.scenario === claim.scenario);
    if (ran.length === 0) return { claim, verdict: 'inconclusive', reason: `not measured: the \`${claim.scenario}\` scenario did not run`, machine };
    const find = (target: string) => ran.find((m) => m.target === target);
    const num = sideOf(find(claim.numerator), claim.metric, claim.numerator, results.runtime);
    const den = sideOf(find(claim.denominator), claim.metric, claim.denominator, results.runtime);
    if (typeof num === 'string' || typeof den === 'string') {
      return { claim, verdict: 'inconclusive', reason: `not measured: ${[num, den].filter((x) => typeof x === 'string').join('; ')}`, machine };
    }
    return { claim, ...judge(claim, num, den), numerator: num, denominator: den, machine };
  });
}
