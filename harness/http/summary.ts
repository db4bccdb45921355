// Summaries of HTTP trials, per target and load level: median req/s with its interval and level,
// latency percentiles (medians over trials), resources, loader-bound trials, errors and warnings
// that say what to do. Pure: computed from results.json whenever a report is made.
import { median } from 'simple-statistics';
import { estimate } from '../stats/estimate.ts';
import { outlierWarnings } from '../stats/outliers.ts';
import type { Estimate } from '../types.ts';
import { levelLabel, type HttpLevel, type HttpTrial } from './schema.ts';

export const CV_WARN = 0.05;

export interface LevelSummary {
  level: HttpLevel;
  label: string;
  rps: Estimate;
  latencyMs: { p50: number; p90: number; p99: number; p999: number };
  memoryBytesPeak: number | null;
  targetCpuPct: number | null;
  loaderBoundTrials: number;
  /** Trials in which a CPU shared by the loader and a service (the database) was saturated. */
  sharedSaturatedTrials: number;
  /** Median CPU of each service over the trials, percent of one core. */
  serviceCpuPct: { name: string; cpuPct: number | null }[];
  /** Median busy percent of the busiest loader CPU (everything on it), where known. */
  loaderCpusBusyPct: number | null;
  /** Open loop: the median rate actually sent. */
  achievedRate: number | null;
  /** Errors, timeouts and non-2xx responses, each counted once. */
  errors: number;
  warnings: string[];
}

const medianOrNull = (values: (number | null)[]): number | null => {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return present.length ? median(present) : null;
};

/** Trials grouped by level, in the order the levels were run. */
export function byLevel(trials: HttpTrial[]): { level: HttpLevel; label: string; trials: HttpTrial[] }[] {
  const groups = new Map<string, { level: HttpLevel; label: string; trials: HttpTrial[] }>();
  for (const t of trials) {
    const label = levelLabel(t.level);
    if (!groups.has(label)) groups.set(label, { level: t.level, label, trials: [] });
    groups.get(label)!.trials.push(t);
  }
  return [...groups.values()];
}

export function summarizeLevel(level: HttpLevel, group: HttpTrial[]): LevelSummary {
  const rps = estimate(group.map((t) => t.rps));
  const loaderBoundTrials = group.filter((t) => t.loaderBound).length;
  const sharedSaturatedTrials = group.filter((t) => t.sharedCpuSaturated).length;
  const serviceNames = [...new Set(group.flatMap((t) => (t.services ?? []).map((s) => s.name)))];
  const errors = group.reduce((s, t) => s + t.errors + t.timeouts + t.non2xx, 0);
  const warnings: string[] = [];
  if (rps.cv > CV_WARN) {
    warnings.push(`req/s varies by ${(rps.cv * 100).toFixed(1)}% between trials (CV > ${CV_WARN * 100}%): close other programs, use --profile full (longer, more trials) or raise --trials.`);
  }
  warnings.push(...outlierWarnings(group.map((t) => t.rps), group.map((t) => t.round), true, 'req/s'));
  if (loaderBoundTrials > 0) {
    warnings.push(
      `${loaderBoundTrials}/${group.length} trials were loader-bound: a loader CPU was saturated, so the server's capacity is at least this figure, not this figure. Give the loader more CPUs (--loader-cpus; the harness's loader runs one worker per CPU, autocannon only one) or use --loader harness.`,
    );
  }
  if (sharedSaturatedTrials > 0) {
    warnings.push(
      `${sharedSaturatedTrials}/${group.length} trials saturated the CPU that the loader shares with ${serviceNames.join(' and ')}: the figure may be limited by that core rather than by the target, so it is a lower bound. On a machine with 4 or more CPUs the services get a CPU of their own (--service-cpus).`,
    );
  }
  if (errors > 0) warnings.push(`${errors} errors, timeouts or non-2xx responses during the trials.`);
  const peaks = group.flatMap((t) => (t.target.memoryBytesPeak === null ? [] : [t.target.memoryBytesPeak]));
  return {
    level,
    label: levelLabel(level),
    rps,
    latencyMs: {
      p50: median(group.map((t) => t.latencyMs.p50)),
      p90: median(group.map((t) => t.latencyMs.p90)),
      p99: median(group.map((t) => t.latencyMs.p99)),
      p999: median(group.map((t) => t.latencyMs.p999)),
    },
    memoryBytesPeak: peaks.length ? Math.max(...peaks) : null,
    targetCpuPct: medianOrNull(group.map((t) => t.target.cpuPct)),
    achievedRate: medianOrNull(group.map((t) => t.achievedRate ?? null)),
    loaderBoundTrials,
    sharedSaturatedTrials,
    serviceCpuPct: serviceNames.map((name) => ({ name, cpuPct: medianOrNull(group.map((t) => t.services?.find((s) => s.name === name)?.cpuPct ?? null)) })),
    loaderCpusBusyPct: medianOrNull(group.map((t) => (t.loaderCpusBusyPct?.length ? Math.max(...t.loaderCpusBusyPct.map((x) => x ?? 0)) : null))),
    errors,
    warnings,
  };
}

export function summarizeHttp(trials: HttpTrial[]): LevelSummary[] {
  return byLevel(trials).map((g) => summarizeLevel(g.level, g.trials));
}

/** The level with the highest median req/s (TechEmpower reports each framework's best level). */
export function bestLevel(summaries: LevelSummary[]): LevelSummary | undefined {
  return summaries.reduce<LevelSummary | undefined>((a, b) => (!a || b.rps.median > a.rps.median ? b : a), undefined);
}
