// Comparing two targets of one run metric by metric: `compare <run> --base node@main --head node`,
// two revisions (or releases) of one target measured side by side. Their trials were interleaved,
// one of each in every round, so each change is taken pair by pair (head/base within a round, where
// the machine's drift falls on both alike) and summarised by the median of the paired ratios with the
// claims' anytime-valid confidence sequence (confseq.ts): its level holds however many rounds the
// run made and wherever they stopped. A change is a regression or an improvement only when the whole
// interval passes the threshold, as between two runs (compare-runs.ts). Pure: a RunResults in, rows out.
import { median } from 'simple-statistics';
import { resolveInRun } from '../claims/target-names.ts';
import { kindOf } from '../results/scenario-kinds.ts';
import type { Measurement, RunResults, Series } from '../types.ts';
import { earliestDecisionPairs, pairedRatioSequence } from './confseq.ts';
import { type ChangeStatus, type MetricChange } from './compare-runs.ts';
import { formatLevel } from './intervals.ts';

/** The claims' confidence where a run records none (results of older harnesses). */
const DEFAULT_CONFIDENCE = 0.95;

export interface PairedChange extends MetricChange {
  /** The run's names of the two targets compared. */
  baseTarget: string;
  headTarget: string;
  /** Pairs the change rests on (0 for an exact figure). */
  pairs: number;
  /** How the samples were paired: by their round keys, by position (the k-th sample of each: the same round in an interleaved run), or exact. */
  pairing: 'keys' | 'position' | 'exact';
}

export interface WithinPair {
  base: string;
  head: string;
}

const seriesOf = (m: Measurement | undefined): Map<string, Series> => {
  if (!m || m.status !== 'ok' || m.result === undefined) return new Map();
  const kind = kindOf(m);
  if (!kind) return new Map();
  return new Map(
    kind.series(m.result)
      .filter((s) => s.samples.length)
      .map((s) => [`${m.scenario} ${s.metric}`, s]),
  );
};

/** The paired samples of two series: joined on their keys where both have them, else by position. */
function pairUp(base: Series, head: Series): { base: number[]; head: number[]; pairing: 'keys' | 'position'; dropped: number } {
  let b: number[];
  let h: number[];
  let pairing: 'keys' | 'position';
  if (base.pairKeys?.length === base.samples.length && head.pairKeys?.length === head.samples.length) {
    const byKey = new Map(base.pairKeys.map((k, i) => [k, base.samples[i]!]));
    const joined = head.pairKeys.flatMap((k, i) => (byKey.has(k) ? [[byKey.get(k)!, head.samples[i]!] as const] : []));
    b = joined.map((x) => x[0]);
    h = joined.map((x) => x[1]);
    pairing = 'keys';
  } else {
    const n = Math.min(base.samples.length, head.samples.length);
    b = base.samples.slice(0, n);
    h = head.samples.slice(0, n);
    pairing = 'position';
  }
  // A ratio needs a positive, finite base and a finite, non-negative head.
  const ok = b.map((x, i) => Number.isFinite(x) && x > 0 && Number.isFinite(h[i]!) && h[i]! >= 0);
  return { base: b.filter((_, i) => ok[i]), head: h.filter((_, i) => ok[i]), pairing, dropped: ok.filter((x) => !x).length };
}

/** The run's confidence for its intervals. */
export const withinConfidence = (run: RunResults): number => run.confidence ?? DEFAULT_CONFIDENCE;

/**
 * Every metric both targets have, head against base, from their paired samples in this run. Throws a
 * RangeError naming the run's targets when `base` or `head` is not one of them (by name or alias).
 */
export function compareWithin(run: RunResults, pair: WithinPair, threshold: number): PairedChange[] {
  const names = Object.keys(run.targets);
  const resolve = (name: string) => {
    const n = resolveInRun(run, name) ?? (run.measurements.some((m) => m.target === name) ? name : undefined);
    if (n === undefined) throw new RangeError(`${name} is not a target of run ${run.runId} (its targets: ${names.join(', ') || 'none'})`);
    return n;
  };
  const baseTarget = resolve(pair.base);
  const headTarget = resolve(pair.head);
  const confidence = withinConfidence(run);
  const rows: PairedChange[] = [];
  const scenarios = [...new Set(run.measurements.map((m) => m.scenario))];
  for (const scenario of scenarios) {
    const find = (t: string) => run.measurements.find((m) => m.scenario === scenario && m.target === t);
    const baseSeries = seriesOf(find(baseTarget));
    for (const [metric, h] of seriesOf(find(headTarget))) {
      const b = baseSeries.get(metric);
      if (!b) continue;
      const common = { metric, target: `${headTarget} vs ${baseTarget}`, baseTarget, headTarget, unit: h.unit };
      const worse = (ratio: number) => (h.higherIsBetter ? ratio < 1 - threshold : ratio > 1 + threshold);
      const better = (ratio: number) => (h.higherIsBetter ? ratio > 1 + threshold : ratio < 1 - threshold);
      if (h.exact && b.exact) {
        const [bv, hv] = [median(b.samples), median(h.samples)];
        const ratio = hv / bv;
        const status: ChangeStatus = worse(ratio) ? 'regression' : better(ratio) ? 'improvement' : 'no significant change';
        rows.push({ ...common, base: bv, head: hv, ratio, ci: { lo: ratio, hi: ratio, level: 1, method: 'exact' }, status, pairs: 0, pairing: 'exact' });
        continue;
      }
      const p = pairUp(b, h);
      const dropped = p.dropped ? `${p.dropped} pair(s) left out (a zero or missing reading)` : '';
      if (p.base.length === 0) {
        rows.push({ ...common, base: median(b.samples), head: median(h.samples), ratio: NaN, ci: null, status: 'not judged', note: ['no pairs: the two targets share no round', dropped].filter(Boolean).join('; '), pairs: 0, pairing: p.pairing });
        continue;
      }
      const r = pairedRatioSequence(p.head, p.base, confidence);
      const row = { ...common, base: median(p.base), head: median(p.head), ratio: r.ratio, ci: r.interval, pairs: r.n, pairing: p.pairing };
      const { lo, hi } = r.interval;
      if (!(lo > 0 && Number.isFinite(hi))) {
        // Before enough pairs the sequence is open on a side: nothing is decided, whatever the ratio.
        const note = `${r.n} pair${r.n === 1 ? '' : 's'}: a ${formatLevel(confidence)} anytime-valid interval is bounded from ${earliestDecisionPairs(confidence)} pairs on`;
        rows.push({ ...row, status: 'not judged', note: [note, dropped].filter(Boolean).join('; ') });
        continue;
      }
      // The whole interval must be past the threshold: a change the spread could explain is not flagged.
      const status: ChangeStatus = worse(hi) && worse(lo) ? 'regression' : better(lo) && better(hi) ? 'improvement' : 'no significant change';
      rows.push({ ...row, status, ...(dropped && { note: dropped }) });
    }
  }
  return rows;
}

const fmtValue = (v: number, unit: string) =>
  unit === 'bytes' ? `${(v / 1e6).toFixed(1)} MB` : unit === 'ms' ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : `${Math.round(v).toLocaleString('en-US')} ${unit}`;
const pct = (ratio: number) => (Number.isFinite(ratio) ? `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%` : ratio === Number.POSITIVE_INFINITY ? '+∞' : 'n/a');

function intervalCell(r: PairedChange): string {
  if (!r.ci) return r.note ?? 'n/a';
  if (r.ci.method === 'exact') return 'exact (one reading each)';
  return `${pct(r.ci.lo)} … ${pct(r.ci.hi)} (${formatLevel(r.ci.level)}, anytime)${r.note ? `; ${r.note}` : ''}`;
}

/** Which version a target is, from results.json, in a few words. */
function versionOf(run: RunResults, name: string): string {
  const v = run.targets[name]?.version;
  if (!v) return name;
  const what = v.kind === 'revision' ? `revision ${v.key}${v.commit ? ` (${v.commit.slice(0, 12)})` : ''}` : `release ${v.key}${v.isDefault ? ' (the default)' : ''}`;
  return `${name}: ${what}`;
}

export function renderWithin(run: RunResults, pairs: WithinPair[], rows: PairedChange[], threshold: number): string {
  const regressions = rows.filter((r) => r.status === 'regression');
  const improvements = rows.filter((r) => r.status === 'improvement');
  const confidence = withinConfidence(run);
  const compared = [...new Map(rows.map((r) => [`${r.headTarget}|${r.baseTarget}`, r])).values()];
  const byPosition = rows.some((r) => r.pairing === 'position');
  const title = pairs.map((p) => `${p.head} against ${p.base}`).join(', ');
  const lines = [
    `## Benchmark comparison within run ${run.runId}: ${title}`,
    '',
    `${regressions.length ? `**${regressions.length} significant regression(s)**` : 'No significant regression'} and ${improvements.length} improvement(s) beyond the ${(threshold * 100).toFixed(0)}% threshold (the whole interval of the change must pass it).`,
    '',
    `Each change is head/base taken pair by pair from the two targets' trials in the same round of this run (they were interleaved, so the machine's drift falls on both sides of a pair and cancels), summarised by the median of the paired ratios. ` +
      `Its interval is a ${formatLevel(confidence)} anytime-valid confidence sequence for the median ratio (Howard & Ramdas, the one the claims use): the level is real whatever number of rounds the run made and wherever it stopped, and the interval is bounded only from ${earliestDecisionPairs(confidence)} pairs on (fewer: not judged).` +
      (byPosition ? ' Samples are paired by position, the k-th of each target, which in an interleaved run is the same round.' : ''),
    '',
    ...compared.map((r) => `- head ${versionOf(run, r.headTarget)}; base ${versionOf(run, r.baseTarget)}`),
    '',
    ...(run.state !== 'done' ? [`> Note: run ${run.runId} is ${run.state} (partial results).`, ''] : []),
    ...(run.migratedFrom ? ['> Warning: these results come from an older harness whose trials were not interleaved: pairs of such trials do not cancel drift.', ''] : []),
    '| head vs base | metric | base | head | change | interval of the change (level) | pairs | status |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const mark = r.status === 'regression' ? '**regression**' : r.status === 'improvement' ? 'improvement' : r.status;
      return `| ${r.target} | ${r.metric} | ${fmtValue(r.base, r.unit)} | ${fmtValue(r.head, r.unit)} | ${pct(r.ratio)} | ${intervalCell(r)} | ${r.pairing === 'exact' ? 'exact' : r.pairs} | ${mark} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
