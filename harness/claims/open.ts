// Which claims resting on a scenario are still undecided while its rounds run: the rounds driver asks
// after every round, and keeps only the targets those claims need. Judged with the same evaluator as
// the reports, on the measurements saved so far.
import { CLAIMS, withBeside, type Claim } from '../../scenarios/claims.ts';
import { fmtRatio } from '../report/format.ts';
import type { RunResults } from '../types.ts';
import { evaluateClaims } from './evaluate.ts';

/** Claims that rounds of `scenario` over these targets can decide: both sides among them, judged on pairs (not exact, not an extrapolation). */
export function claimsResting(scenario: string, targets: string[], claims: Claim[] = CLAIMS): Claim[] {
  return withBeside(claims).filter((c) => c.scenario === scenario && !c.against && targets.includes(c.numerator) && targets.includes(c.denominator));
}

export interface OpenClaims {
  ids: string[];
  /** The targets the open claims' pairs need. */
  targets: Set<string>;
  /** One line per open claim: its ratio and interval now. */
  lines: string[];
}

/** The open claims of a scenario on the results so far, or null when no claim rests on it. */
export function openClaims(results: RunResults, scenario: string, targets: string[], claims: Claim[] = CLAIMS): OpenClaims | null {
  const resting = new Set(claimsResting(scenario, targets, claims).map((c) => c.id));
  if (resting.size === 0) return null;
  const verdicts = evaluateClaims(results, claims, { partial: true, scenario }).filter((v) => resting.has(v.claim.id));
  // Undecided for want of pairs only: a claim held back by a limit (a lower bound) stays so with more rounds.
  const open = verdicts.filter((v) => v.verdict === 'inconclusive' && v.decision.how === 'open');
  return {
    ids: open.map((v) => v.claim.id),
    targets: new Set(open.flatMap((v) => [v.claim.numerator, v.claim.denominator])),
    lines: open.map((v) => {
      const r = v.ratio;
      const hi = (x: number) => (Number.isFinite(x) ? fmtRatio(x) : '∞');
      return r ? `${v.claim.numerator}/${v.claim.denominator} ${fmtRatio(r.value)} [${fmtRatio(r.ci.lo)}, ${hi(r.ci.hi)}] after ${r.n} pairs, band ${v.claim.band ? `${fmtRatio(v.claim.band[0])}-${fmtRatio(v.claim.band[1])}` : 'none'}` : `${v.claim.id}: no pairs yet`;
    }),
  };
}
