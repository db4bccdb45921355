// Which claims resting on a scenario are still undecided while its rounds run: the rounds driver asks
// after every round, and keeps only the targets those claims need. Judged with the same evaluator as
// the reports, on the measurements saved so far. A claim names its targets as the article does
// (`node`) or by version (`node@24`); a run's target answers to its own name and to its aliases (see
// target-names.ts), and what goes back to the rounds is always the run's own name.
import { CLAIMS, withBeside, type Claim } from '../../scenarios/claims.ts';
import { fmtFigure, fmtFigureRange, fmtRatio } from '../report/format.ts';
import type { RunResults } from '../types.ts';
import { evaluateClaims, type ClaimVerdict } from './evaluate.ts';
import { namedTarget, resolveAmong, type TargetRef } from './target-names.ts';

export type { TargetRef };

/** Both sides of a claim among these targets: the run's names for them, or null. */
function sidesAmong(c: Claim, targets: readonly TargetRef[]): { num: string; den: string } | null {
  const num = resolveAmong(targets, c.numerator);
  const den = resolveAmong(targets, c.denominator);
  return num !== undefined && den !== undefined ? { num, den } : null;
}

/**
 * Whether more rounds can decide a claim, by what it is judged against: another target (paired
 * ratios) or a bound in its figure's unit (the median's interval narrows with samples) can; an
 * extrapolation set against the machine's memory cannot. A record, so that a new kind must say.
 */
const ROUNDS_DECIDE: Record<NonNullable<Claim['against']> | 'another target', boolean> = { 'another target': true, bound: true, 'machine-memory': false };
export const decidedByRounds = (c: Claim): boolean => ROUNDS_DECIDE[c.against ?? 'another target'];

/**
 * Claims that rounds of `scenario` over these targets can decide: both sides among them (by name or
 * alias), judged on samples the rounds add (not an extrapolation; see decidedByRounds). `targets` may
 * be plain names (as before versions), `{name, aliases}` or the prepared Targets themselves (their
 * aliases then count).
 */
export function claimsResting(scenario: string, targets: readonly TargetRef[], claims: Claim[] = CLAIMS): Claim[] {
  return withBeside(claims).filter((c) => c.scenario === scenario && decidedByRounds(c) && sidesAmong(c, targets) !== null);
}

/** The run's names of the targets that the claims resting on `scenario` need (for the plan's estimate). */
export function restingTargets(scenario: string, targets: readonly TargetRef[], claims: Claim[] = CLAIMS): Set<string> {
  return new Set(claimsResting(scenario, targets, claims).flatMap((c) => Object.values(sidesAmong(c, targets)!)));
}

export interface OpenClaims {
  ids: string[];
  /** The targets the open claims' pairs need, by the run's names. */
  targets: Set<string>;
  /** One line per open claim: its ratio and interval now. */
  lines: string[];
}

/**
 * The open claims of a scenario on the results so far, or null when no claim rests on it. A plain
 * name in `targets` also answers to the aliases the results give it.
 */
export function openClaims(results: RunResults, scenario: string, targets: readonly TargetRef[], claims: Claim[] = CLAIMS): OpenClaims | null {
  const known: TargetRef[] = targets.map((t) => {
    const n = namedTarget(t);
    return { name: n.name, aliases: [...new Set([...n.aliases, ...(results.targets[n.name]?.aliases ?? [])])] };
  });
  const resting = new Map(claimsResting(scenario, known, claims).map((c) => [c.id, sidesAmong(c, known)!]));
  if (resting.size === 0) return null;
  const verdicts = evaluateClaims(results, claims, { partial: true, scenario }).filter((v) => resting.has(v.claim.id));
  // Undecided for want of pairs only: a claim held back by a limit (a lower bound) stays so with more rounds.
  const open = verdicts.filter((v) => v.verdict === 'inconclusive' && v.decision.how === 'open');
  return {
    ids: open.map((v) => v.claim.id),
    targets: new Set(open.flatMap((v) => Object.values(resting.get(v.claim.id)!))),
    lines: open.map(openLine),
  };
}

/** "node/django 1.41 [1.20, ∞] after 6 pairs, band 1.23-1.68"; against a bound, "node 8.41 s [7.9 s, 9.2 s] after 6 samples, band 0-10 s". */
function openLine(v: ClaimVerdict): string {
  const r = v.ratio;
  const band = v.claim.band;
  if (r?.basis === 'absolute') {
    const unit = r.unit ?? '';
    return `${v.claim.numerator} ${fmtFigure(r.value, unit)} [${fmtFigure(r.ci.lo, unit)}, ${fmtFigure(r.ci.hi, unit)}] after ${r.n} sample${r.n === 1 ? '' : 's'}, band ${band ? fmtFigureRange(band[0], band[1], unit) : 'none'}`;
  }
  const hi = (x: number) => (Number.isFinite(x) ? fmtRatio(x) : '∞');
  const bandWords = band ? `${fmtRatio(band[0])}-${hi(band[1])}` : 'none';
  return r ? `${v.claim.numerator}/${v.claim.denominator} ${fmtRatio(r.value)} [${fmtRatio(r.ci.lo)}, ${hi(r.ci.hi)}] after ${r.n} pairs, band ${bandWords}` : `${v.claim.id}: no pairs yet`;
}
