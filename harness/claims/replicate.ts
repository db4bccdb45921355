// Replicated verdicts: each claim judged on the pairs of several runs of one machine and commit
// together (the confidence sequence runs over the pairs of every run, in run order), with each run's
// own verdict and ratio beside it; runs whose verdicts contradict each other (supported in one,
// refuted in another) are flagged. A pure function of the runs' results, like the evaluator.
import { evaluateClaims, type ClaimVerdict, type Verdict } from './evaluate.ts';
import { ratioText } from '../report/sections.ts';
import type { RunResults, Table } from '../types.ts';

export interface ReplicatedVerdict {
  id: string;
  prediction: string;
  /** The verdict on the pooled pairs of every run. */
  verdict: Verdict;
  /** The pooled ratio and interval, and how the verdict was reached. */
  ratio: string;
  decision: string;
  reason: string;
  /** Some run supported the claim and another refuted it: the runs contradict each other. */
  contradicts: boolean;
  /** Per run, in the order given: its own verdict and ratio. */
  runs: { runId: string; verdict: Verdict; ratio: string; reason: string }[];
}

/** Why the runs cannot be judged together (different machines or commits), or null. */
export function machineMismatch(runs: RunResults[]): string | null {
  const key = (r: RunResults) => `${r.environment.hostname} (${r.environment.cpuModel}, ${r.environment.cores} cores)`;
  const machines = [...new Set(runs.map(key))];
  if (machines.length > 1) return `the runs come from different machines: ${machines.join('; ')}`;
  const commits = [...new Set(runs.map((r) => r.environment.gitCommit ?? 'unknown'))];
  return commits.length > 1 ? `the runs come from different commits of the harness: ${commits.join(', ')}` : null;
}

export function replicateClaims(runs: RunResults[]): ReplicatedVerdict[] {
  const perRun = runs.map((r) => ({ runId: r.runId, verdicts: new Map(evaluateClaims(r).map((v) => [v.claim.id, v])) }));
  return evaluateClaims(runs).map((pooled) => {
    const id = pooled.claim.id;
    const entries = perRun.map(({ runId, verdicts }) => {
      const v = verdicts.get(id);
      return v ? { runId, verdict: v.verdict, ratio: ratioText(v), reason: v.reason } : { runId, verdict: 'inconclusive' as Verdict, ratio: 'n/a', reason: 'not in this run (its targets did not run)' };
    });
    const seen = new Set(entries.map((e) => e.verdict));
    return {
      id,
      prediction: pooled.claim.prediction,
      verdict: pooled.verdict,
      ratio: ratioText(pooled),
      decision: pooled.decision.text,
      reason: pooled.reason,
      contradicts: seen.has('supported') && seen.has('refuted'),
      runs: entries,
    };
  });
}

export function replicatedTable(rows: ReplicatedVerdict[], runs: RunResults[]): Table {
  return {
    header: ['claim', `verdict on the pairs of ${runs.length} runs`, 'pooled ratio', 'how', ...runs.map((r) => `run ${r.runId}`)],
    rows: rows.map((r) => [r.prediction, r.contradicts ? `${r.verdict} (**the runs contradict each other**)` : r.verdict, r.ratio, r.decision, ...r.runs.map((x) => `${x.verdict}: ${x.ratio}`)]),
  };
}

export type { ClaimVerdict };
