// A claim set against this machine instead of another target (the 1M+ connection claims): the
// figure is an extrapolation from what was held here, shown with its interval and how far it is from
// the memory the run had available; the verdict stays inconclusive: a count that was not reached is
// not measured.
import { fmtRatio } from '../report/format.ts';
import { formatLevel } from '../stats/intervals.ts';
import type { Claim } from '../../scenarios/claims.ts';
import type { Figure, RunResults } from '../types.ts';
import type { ClaimVerdict, Side } from './evaluate.ts';

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

export function againstMachine(claim: Claim, side: Side | string, figure: Figure | string, results: RunResults, machine: string): ClaimVerdict {
  if (typeof side === 'string' || typeof figure === 'string') {
    const why = typeof side === 'string' ? side : String(figure);
    return { claim, verdict: 'inconclusive', reason: `not measured: ${why}`, decision: { how: 'not-measured', pairs: 0, text: 'not measured' }, machine };
  }
  // What the run could use: memory available at its start (older results: the machine's total).
  const available = results.environment.memoryAvailableBytes;
  const memory = available ?? results.environment.memoryBytes;
  const memoryWords = available === undefined ? `this machine's ${gib(memory)} (its total: the run recorded no available memory)` : `the ${gib(memory)} available when the run started`;
  const i = figure.interval;
  const interval = i ? `${formatLevel(i.level)} interval ${(Math.max(0, i.lo) / 1024 ** 3).toFixed(1)}-${gib(i.hi)} (${i.method})` : 'no interval (too few steps for one)';
  const fits = i ? (i.lo > memory ? ', so even its interval\'s low end would not fit' : i.hi <= memory ? ', so memory alone would not stop them here' : ', and the interval straddles it') : side.value > memory ? ', so they would not fit' : ', so memory alone would not stop them here';
  return {
    claim,
    verdict: 'inconclusive',
    reason:
      `an extrapolation, not a measurement (${side.detail}): 1,000,000 connections would need about ${gib(side.value)}, ${interval}, ${fmtRatio(side.value / memory)}x ${memoryWords}${fits}` +
      "; CPU, the kernel's per-socket memory and the loader's ports are not in this figure",
    decision: { how: 'extrapolation', pairs: 0, text: 'an extrapolation: 1M connections were not reached here' },
    numerator: side,
    denominator: { target: 'this machine', samples: [memory], value: memory, unit: 'bytes', detail: available === undefined ? 'its total memory' : 'memory available at the run\'s start', lowerBound: false },
    source: `results.json: ${claim.scenario}/${claim.numerator} against environment.${available === undefined ? 'memoryBytes' : 'memoryAvailableBytes'}`,
    machine,
  };
}
