// The rounds every interleaved scenario runs: in round r every active target gets its r-th trial, in
// an order rotated every round, so that the machine's drift falls on all targets alike and ratios can
// be taken pair by pair; a target that breaks is marked failed and leaves the rotation; what a
// target has measured is saved after each of its trials, so that the results file always holds it.
// Rounds are either a fixed number (a level of a sweep), or driven by the claims: after the least
// number of rounds, the rounds go on while a claim resting on the scenario is undecided, only with
// the targets those claims need, and stop when all are decided, at the most rounds or at the time
// budget. The claims' intervals are anytime-valid, so looking after every round costs no confidence.
import { guarded } from './guard.ts';
import { rotation } from './rotation.ts';
import type { RoundsRecord, RunningTarget, ScenarioContext, StartOptions } from '../types.ts';

export interface RoundsOptions<R> {
  /** What the rounds are, for the progress line, e.g. "128 connections". */
  label: string;
  /** Seconds one target's trial takes, for the progress estimate. */
  trialS: number;
  /**
   * One target's trial of a round; a throw marks the target failed (it leaves the rotation).
   * `instance` is the target itself, or with `fresh` the instance started for this trial.
   */
  trial(t: RunningTarget, round: number, position: number, instance: RunningTarget): Promise<void>;
  /** The target's result, which its trials add to: saved (ctx.save) before the first round and after each of its trials. Absent: nothing to save (a warmup). */
  result?(t: RunningTarget): R;
  /**
   * Every trial on a fresh instance of the target, started with these options (ctx.startTarget) and
   * stopped after the trial: one process's readings are one sample. The instances the executor
   * started are stopped before the first round (their start was the warmup).
   */
  fresh?: Pick<StartOptions, 'readyPath' | 'pollIntervalMs'>;
}

const nameOf = (t: RunningTarget) => t.target.decl.name;

/** Before the rounds: each target's result saved as it is, and, for fresh instances, the executor's stopped. */
async function begin<R>(targets: RunningTarget[], ctx: ScenarioContext<R>, o: RoundsOptions<R>): Promise<void> {
  if (o.result) for (const t of targets) ctx.save(nameOf(t), o.result(t));
  if (o.fresh) for (const t of targets) await t.stop();
}

/** A fixed number of rounds (each level of a sweep). Returns the targets still active. */
export async function runFixedRounds<R>(targets: RunningTarget[], ctx: ScenarioContext<R>, rounds: number, o: RoundsOptions<R>): Promise<RunningTarget[]> {
  await begin(targets, ctx, o);
  let active = [...targets];
  for (let round = 1; round <= rounds && active.length; round++) active = await oneRound(active, ctx, round, `${o.label}: round ${round}/${rounds}`, o);
  return active;
}

async function oneRound<R>(active: RunningTarget[], ctx: ScenarioContext<R>, round: number, label: string, o: RoundsOptions<R>): Promise<RunningTarget[]> {
  const order = rotation(active, round);
  ctx.progress.step(`${label}, order ${order.map(nameOf).join(' → ')}`, o.trialS * order.length);
  const failed = new Set<RunningTarget>();
  for (const [position, t] of order.entries()) {
    const ok = await guarded(ctx, nameOf(t), async () => {
      const instance = o.fresh ? await ctx.startTarget(t.target, o.fresh) : t;
      try {
        await o.trial(t, round, position, instance);
      } finally {
        if (instance !== t) await instance.stop();
      }
      if (o.result) ctx.save(nameOf(t), o.result(t));
    });
    if (!ok) failed.add(t);
  }
  return active.filter((t) => !failed.has(t));
}

/**
 * Rounds driven by the claims resting on the scenario (ctx.claims). Records how they stopped (and
 * `extra`, e.g. each target's level) in the run's results. Returns the targets still active.
 */
export async function runClaimRounds<R>(
  targets: RunningTarget[],
  ctx: ScenarioContext<R>,
  o: RoundsOptions<R>,
  extra: Pick<RoundsRecord, 'levels' | 'levelsFrom'> = {},
  /** The least rounds, where the scenario's own differ from the profile's (ws-capacity's ramps). */
  minRounds = ctx.claims.minRounds,
  /** The claim rounds' budget, where the scenario's own differs from the profile's (rounds far longer than the profile's budget allows for). */
  budgetS = ctx.claims.budgetS,
): Promise<RunningTarget[]> {
  const { maxRounds } = ctx.claims;
  await begin(targets, ctx, o);
  const startedMs = performance.now();
  const elapsedS = () => (performance.now() - startedMs) / 1000;
  // The budget starts once every target has its least rounds: those always run.
  let budgetFromMs: number | null = null;
  const budgetSpentS = () => (budgetFromMs === null ? 0 : (performance.now() - budgetFromMs) / 1000);
  let active = [...targets];
  let round = 0;
  let stoppedBy: RoundsRecord['stoppedBy'] = 'interrupted';
  let open: string[] = [];
  try {
    for (;;) {
      if (active.length === 0) break;
      if (round >= minRounds) {
        budgetFromMs ??= performance.now();
        const state = ctx.claims.open();
        open = state?.ids ?? [];
        if (!state) {
          stoppedBy = 'no-claims';
          break;
        }
        if (state.ids.length === 0) {
          stoppedBy = 'decided';
          break;
        }
        if (round >= maxRounds) {
          stoppedBy = 'max-rounds';
          break;
        }
        if (budgetSpentS() >= budgetS) {
          stoppedBy = 'budget';
          break;
        }
        // A target whose claims are all decided leaves the rotation: the open claims' pairs need only theirs.
        const left = active.filter((t) => !state.targets.has(nameOf(t)));
        active = active.filter((t) => state.targets.has(nameOf(t)));
        if (left.length) ctx.progress.info(`no open claim needs ${left.map(nameOf).join(', ')}: ${left.length > 1 ? 'they leave' : 'it leaves'} the rotation`);
        ctx.progress.info(`open: ${state.lines.join('; ')}`);
        if (active.length === 0) {
          stoppedBy = 'decided';
          break;
        }
      }
      round++;
      const label = round <= minRounds ? `${o.label}: round ${round}/${minRounds}` : `${o.label}: round ${round} for the open claims (at most ${maxRounds}; ${Math.max(0, budgetS - budgetSpentS()).toFixed(0)} s of the budget left)`;
      active = await oneRound(active, ctx, round, label, o);
    }
  } finally {
    ctx.claims.done({ rounds: round, elapsedS: Math.round(elapsedS() * 10) / 10, stoppedBy, open, ...extra, ...(minRounds !== ctx.claims.minRounds && { minRounds }), ...(budgetS !== ctx.claims.budgetS && { budgetS }) });
  }
  return active;
}

/**
 * Seconds of rounds at most, for the plan's upper bound: the least rounds of every target, then the
 * claim rounds of the targets the claims need, up to the budget (and the round that may start just
 * before it is spent) or the most rounds.
 */
export function plannedRoundsSeconds(load: { trials: number; claimRounds?: { max: number; budgetS: number } }, perTargetS: number, targets: number, claimTargets: number): number {
  const least = load.trials * perTargetS * targets;
  if (claimTargets === 0 || !load.claimRounds) return least;
  const round = perTargetS * claimTargets;
  return least + Math.min(Math.max(0, load.claimRounds.max - load.trials) * round, load.claimRounds.budgetS + round);
}
