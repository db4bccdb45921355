// Turns the trials of one measurement into one summary per connection level, with warnings that
// say what to do about noisy or loader-bound figures.
import { median } from 'simple-statistics';
import type { LevelSummary, Trial } from '../types.ts';
import { estimate } from './estimate.ts';

export const CV_WARN = 0.05;
/** A value further than this many scaled MADs from the median is an outlier. */
export const MAD_OUTLIER = 3;

/** Indices of outliers by the median absolute deviation (robust where a mean and SD are not). */
export function madOutliers(values: number[]): number[] {
  if (values.length < 3) return [];
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m))) * 1.4826; // scaled to the SD of a normal
  if (mad === 0) return []; // most values equal: nothing stands out by this measure
  return values.flatMap((v, i) => (Math.abs(v - m) > MAD_OUTLIER * mad ? [i] : []));
}

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
    const outliers = madOutliers(group.map((t) => t.rps));
    if (outliers.length) {
      const first = outliers.some((i) => group[i]!.trial === 1);
      warnings.push(
        first
          ? `the first trial is an outlier (${Math.round(group.find((t) => t.trial === 1)!.rps)} req/s against a median of ${Math.round(rps.median)}): the target was not warm yet; raise --warmup.`
          : `${outliers.length} of ${group.length} trials are outliers (more than ${MAD_OUTLIER} MADs from the median): something else ran on the machine; run again.`,
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
