// The rounds every interleaved scenario runs: in round r every active target gets its r-th trial, in
// an order rotated every round, so that the machine's drift falls on all targets alike and ratios can
// be taken pair by pair; a target that breaks is marked failed and leaves the rotation. Rounds are
// either a fixed number (a level of a sweep), or driven by the claims: after the least number of
// rounds, the rounds go on while a claim resting on the scenario is undecided, only with the targets
// those claims need, and stop when all are decided, at the most rounds, or at the time budget. The
// claims' intervals are anytime-valid, so looking after every round costs no confidence.
import { guarded } from './guard.ts';
import { rotation } from './rotation.ts';
import type { RoundsRecord, ScenarioContext } from '../types.ts';

interface Named {
  target: { decl: { name: string } };
}

export interface RoundsOptions<T extends Named> {
  /** What the rounds are, for the progress line, e.g. "128 connections". */
  label: string;
  /** Seconds one target's trial takes, for the progress estimate. */
  trialS: number;
  /** One target's trial of a round; a throw marks the target failed (it leaves the rotation). */
  trial(t: T, round: number, position: number): Promise<void>;
}

const nameOf = (t: Named) => t.target.decl.name;

/** A fixed number of rounds (each level of a sweep). Returns the targets still active. */
export async function runFixedRounds<T extends Named>(targets: T[], ctx: ScenarioContext<unknown>, rounds: number, o: RoundsOptions<T>): Promise<T[]> {
  let active = [...targets];
  for (let round = 1; round <= rounds && active.length; round++) active = await oneRound(active, ctx, round, `${o.label}: round ${round}/${rounds}`, o);
  return active;
}

async function oneRound<T extends Named>(active: T[], ctx: ScenarioContext<unknown>, round: number, label: string, o: RoundsOptions<T>): Promise<T[]> {
  const order = rotation(active, round);
  ctx.progress.step(`${label}, order ${order.map(nameOf).join(' → ')}`, o.trialS * order.length);
  const failed = new Set<T>();
  for (const [position, t] of order.entries()) {
    if (!(await guarded(ctx, nameOf(t), () => o.trial(t, round, position)))) failed.add(t);
  }
  return active.filter((t) => !failed.has(t));
}

/**
 * Rounds driven by the claims resting on the scenario (ctx.claims). Records how they stopped (and
 * `extra`, e.g. each target's level) in the run's results. Returns the targets still active.
 */
export async function runClaimRounds<T extends Named>(
  targets: T[],
  ctx: ScenarioContext<unknown>,
  o: RoundsOptions<T>,
  extra: Pick<RoundsRecord, 'levels' | 'levelsFrom'> = {},
  /** The least rounds, where the scenario's own differ from the profile's (ws-capacity's ramps). */
  minRounds = ctx.claims.minRounds,
): Promise<T[]> {
  const { maxRounds, budgetS } = ctx.claims;
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
    ctx.claims.done({ rounds: round, elapsedS: Math.round(elapsedS() * 10) / 10, stoppedBy, open, ...extra, ...(minRounds !== ctx.claims.minRounds && { minRounds }) });
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
