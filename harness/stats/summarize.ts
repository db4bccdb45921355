// Turns the trials of one measurement into one summary per connection level, with warnings that
// say what to do about noisy or loader-bound figures.
import { median } from 'simple-statistics';
import type { LevelSummary, Trial } from '../types.ts';
import { estimate } from './estimate.ts';

export const CV_WARN = 0.05;

const medianOrNull = (values: (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length ? median(present) : null;
};

export function summarizeTrials(trials: Trial[]): LevelSummary[] {
  const levels = [...new Set(trials.map((t) => t.connections))].sort((a, b) => a - b);
  return levels.map((connections) => {
    const group = trials.filter((t) => t.connections === connections);
    const rps = estimate(group.map((t) => t.rps));
    const loaderBoundTrials = group.filter((t) => t.loaderBound).length;
    const errors = group.reduce((s, t) => s + t.errors + t.timeouts + t.non2xx, 0);
    const warnings: string[] = [];
    if (rps.cv > CV_WARN) {
      warnings.push(
        `req/s varies by ${(rps.cv * 100).toFixed(1)}% between trials (CV > ${CV_WARN * 100}%): close other programs, use --profile full (longer, more trials) or raise --trials.`,
      );
    }
    if (loaderBoundTrials > 0) {
      warnings.push(
        `${loaderBoundTrials}/${group.length} trials were loader-bound: the loader's CPU was saturated, so the server's capacity is at least this figure, not this figure. On a machine with more cores, give the loader more CPUs (--loader-cpus).`,
      );
    }
    if (errors > 0) warnings.push(`${errors} errors, timeouts or non-2xx responses during the trials.`);
    return {
      connections,
      rps,
      latencyMs: {
        p50: median(group.map((t) => t.latencyMs.p50)),
        p90: median(group.map((t) => t.latencyMs.p90)),
        p99: median(group.map((t) => t.latencyMs.p99)),
        p999: median(group.map((t) => t.latencyMs.p999)),
      },
      rssBytesPeak: group.some((t) => t.target.rssBytesPeak !== null) ? Math.max(...group.map((t) => t.target.rssBytesPeak ?? 0)) : null,
      targetCpuPct: medianOrNull(group.map((t) => t.target.cpuPct)),
      loaderBoundTrials,
      errors,
      warnings,
    };
  });
}
