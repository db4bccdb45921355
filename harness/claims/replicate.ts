// Replicated verdicts: each claim judged on several runs of the same machine. A verdict stands when
// every run gives it; otherwise the claim is unstable, shown with each run's figure. A pure function
// of the runs' results, like the evaluator it repeats.
import { evaluateClaims, type ClaimVerdict, type Verdict } from './evaluate.ts';
import { ratioText } from '../report/sections.ts';
import type { RunResults, Table } from '../types.ts';

export interface ReplicatedVerdict {
  id: string;
  prediction: string;
  /** The verdict every run agrees on, or 'unstable'. */
  verdict: Verdict | 'unstable';
  /** Per run, in the order given: its verdict and ratio. */
  runs: { runId: string; verdict: Verdict; ratio: string; reason: string }[];
}

/** Why the runs cannot be judged together (different machines), or null. */
export function machineMismatch(runs: RunResults[]): string | null {
  const key = (r: RunResults) => `${r.environment.hostname} (${r.environment.cpuModel}, ${r.environment.cores} cores)`;
  const machines = [...new Set(runs.map(key))];
  return machines.length > 1 ? `the runs come from different machines: ${machines.join('; ')}` : null;
}

export function replicateClaims(runs: RunResults[]): ReplicatedVerdict[] {
  const perRun = runs.map((r) => ({ runId: r.runId, verdicts: new Map(evaluateClaims(r).map((v) => [v.claim.id, v])) }));
  // Every claim any run shows (a `beside` entry shows only where its targets ran), in the first run's order.
  const ids = [...new Set(perRun.flatMap((r) => [...r.verdicts.keys()]))];
  return ids.map((id) => {
    const shown = perRun.map((r) => ({ runId: r.runId, v: r.verdicts.get(id) }));
    const first = shown.find((x) => x.v)!.v!;
    const entries = shown.map(({ runId, v }) =>
      v ? { runId, verdict: v.verdict, ratio: ratioText(v), reason: v.reason } : { runId, verdict: 'inconclusive' as Verdict, ratio: 'n/a', reason: 'not in this run (its targets did not run)' },
    );
    const verdicts = new Set(entries.map((e) => e.verdict));
    return { id, prediction: first.claim.prediction, verdict: verdicts.size === 1 ? entries[0]!.verdict : 'unstable', runs: entries };
  });
}

export function replicatedTable(rows: ReplicatedVerdict[], runs: RunResults[]): Table {
  return {
    header: ['claim', `verdict over ${runs.length} runs`, ...runs.map((r) => `run ${r.runId}`)],
    rows: rows.map((r) => [r.prediction, r.verdict, ...r.runs.map((x) => `${x.verdict}: ${x.ratio}`)]),
  };
}

export type { ClaimVerdict };
