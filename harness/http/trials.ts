// The HTTP trial, shared by every HTTP load scenario. With several load levels, a sweep first: at
// each level a warmup of every target, then a fixed number of interleaved rounds (the tables and
// charts). Then, where claims rest on the scenario, the claim rounds: each target at its claim level,
// chosen before them (its best level in the sweep, or the profile's one level), both sides of every
// pair in the same round, until the claims are decided or the budget is spent. Each trial samples the
// target's resources while the load runs; the rounds (harness/run/rounds.ts) save it at once.
import { assertAlive } from '../run/alive.ts';
import { plannedRoundsSeconds, runClaimRounds, runFixedRounds } from '../run/rounds.ts';
import { busyPct, readCpuTimes } from '../runtime/cpu-busy.ts';
import { monitorResources } from '../runtime/resource-monitor.ts';
import type { HttpLoader, LoadShape, RunningTarget, ScenarioContext } from '../types.ts';
import { levelLabel, levelPath, type HttpLevel, type HttpResult, type HttpTrial } from './schema.ts';
import { bestLevel, summarizeHttp } from './summary.ts';

export interface HttpTrialPlan {
  endpoint: string;
  levels: HttpLevel[];
  load: LoadShape;
}

/**
 * Seconds of load at most: the sweep (several levels), then the claim rounds up to their budget
 * (plus the round that may start just before it), or the least rounds where no claim rests on it.
 */
export function plannedHttpSeconds(plan: Pick<HttpTrialPlan, 'levels' | 'load'>, targets: number, claimTargets: number): number {
  const { load } = plan;
  const sweep = plan.levels.length > 1 ? plan.levels.length * targets * (load.warmupS + load.trials * load.durationS) : 0;
  if (plan.levels.length > 1) return claimTargets ? sweep + claimTargets * load.warmupS + plannedRoundsSeconds({ ...load, trials: 0 }, load.durationS, 0, claimTargets) : sweep;
  return targets * load.warmupS + plannedRoundsSeconds(load, load.durationS, targets, claimTargets);
}

const fmtRps = (rps: number) => Math.round(rps).toLocaleString('en-US');

/** "harness 1 on bun 1.4.5": the loader, its version and what runs it. */
export function describeLoader(loader: Pick<HttpLoader, 'name' | 'version' | 'runtime'>): string {
  return `${loader.name} ${loader.version}${loader.runtime ? ` on ${loader.runtime}` : ''}`;
}

export async function runHttpTrials(targets: RunningTarget[], ctx: ScenarioContext<HttpResult>, plan: HttpTrialPlan): Promise<void> {
  const { load, progress } = ctx;
  const loader = ctx.loaders.http;
  const results = new Map<RunningTarget, HttpResult>(
    targets.map((t) => [
      t,
      {
        endpoint: plan.endpoint,
        levels: plan.levels,
        durationS: load.durationS,
        warmupS: load.warmupS,
        rounds: load.trials,
        pipelining: load.pipelining,
        schedule: 'interleaved',
        mode: load.rate ? 'open' : 'closed',
        ...(load.rate && { rate: load.rate }),
        loader: describeLoader(loader),
        memoryLabel: t.memoryLabel,
        workers: t.workers,
        trials: [],
      },
    ]),
  );
  const resultOf = (t: RunningTarget) => results.get(t)!;
  const url = (t: RunningTarget, level: HttpLevel) => `${t.url}${levelPath(plan.endpoint, level)}`;
  const request = (t: RunningTarget, level: HttpLevel, durationS: number) => ({ url: url(t, level), connections: level.connections, durationS, pipelining: load.pipelining, ...(load.rate && { rate: load.rate }) });

  const warmup = async (active: RunningTarget[], levelOf: (t: RunningTarget) => HttpLevel, label: string) => {
    if (load.warmupS <= 0) return active;
    return runFixedRounds(active, ctx, 1, {
      label: `${label}: warmup ${load.warmupS}s`,
      trialS: load.warmupS,
      trial: async (t) => {
        await loader.run(request(t, levelOf(t), load.warmupS), ctx.signal);
        await assertAlive(t);
      },
    });
  };

  const timedTrial = (phase: HttpTrial['phase'], levelOf: (t: RunningTarget) => HttpLevel) => async (t: RunningTarget, round: number, position: number) => {
    const level = levelOf(t);
    const monitor = monitorResources(t, t.statsIntervalMs);
    const serviceMonitors = ctx.services.map((s) => ({ name: s.service.name, monitor: monitorResources(s, t.statsIntervalMs) }));
    let cpuBefore: ReturnType<typeof readCpuTimes> = null;
    const startedAt = new Date().toISOString();
    const onStart = () => {
      monitor.start();
      for (const s of serviceMonitors) s.monitor.start();
      cpuBefore = readCpuTimes();
    };
    const stopMonitors = () => Promise.all(serviceMonitors.map(async (s) => ({ name: s.name, cpuPct: (await s.monitor.stop()).cpuPct })));
    const result = await loader
      .run(request(t, level, load.durationS), ctx.signal, onStart)
      .catch(async (error: unknown) => {
        await monitor.stop();
        await stopMonitors();
        throw error;
      });
    const loaderBusy = busyPct(cpuBefore, readCpuTimes(), ctx.pinning.loaderCpus);
    const use = await monitor.stop();
    const services = await stopMonitors();
    const shared = sharedCpuSaturated(ctx.pinning, loaderBusy, services.length > 0, ctx.loaderBoundPct);
    // A target that died during the trial measured its own death: the trial is not kept.
    await assertAlive(t);
    const loaderBound = result.loaderCpuPct !== null && result.loaderCpuPct >= ctx.loaderBoundPct;
    const trial: HttpTrial = {
      level,
      round,
      phase,
      order: position,
      startedAt,
      endedAt: new Date().toISOString(),
      durationS: result.durationS,
      requests: result.requests,
      rps: result.rps,
      latencyMs: result.latencyMs,
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      ...(result.statusClasses && { statusClasses: result.statusClasses }),
      loaderCpuPct: result.loaderCpuPct,
      ...(result.loaderCpuPerCpu && { loaderCpuPerCpu: result.loaderCpuPerCpu }),
      loaderBound,
      ...(result.histogramUs && { histogramUs: result.histogramUs }),
      ...(result.achievedRate !== undefined && { achievedRate: result.achievedRate }),
      ...(services.length && { services }),
      loaderCpusBusyPct: loaderBusy,
      ...(services.length && { sharedCpuSaturated: shared }),
      target: use,
    };
    resultOf(t).trials.push(trial);
    const bad = result.errors + result.timeouts + result.non2xx;
    const serviceCpu = services.map((s) => `, ${s.name} CPU ${s.cpuPct?.toFixed(0) ?? '?'}%`).join('');
    progress.info(
      `${t.target.decl.name}: ${fmtRps(result.rps)} req/s, p99 ${result.latencyMs.p99} ms, target CPU ${use.cpuPct?.toFixed(0) ?? '?'}%, loader CPU ${result.loaderCpuPct?.toFixed(0) ?? '?'}%${serviceCpu}${loaderBound ? ' (loader-bound)' : ''}${shared ? ' (shared loader/service CPU saturated)' : ''}${bad ? `, ${bad} errors` : ''}`,
    );
  };

  let active = [...targets];
  if (plan.levels.length > 1) {
    for (const level of plan.levels) {
      const label = levelLabel(level);
      active = await warmup(active, () => level, label);
      active = await runFixedRounds(active, ctx, load.trials, { label: `sweep ${label}`, trialS: load.durationS, trial: timedTrial('sweep', () => level), result: resultOf });
    }
    // Without a claim resting on the scenario, the sweep is all its tables and charts need.
    if (!ctx.claims.feeds || active.length === 0) return;
  }
  // Each target's claim level, fixed before any claim round: its best median in the sweep (so that
  // the selection and the pairs come from different trials), or the profile's one level.
  const chosen = new Map(
    active.map((t) => {
      const best = plan.levels.length > 1 ? bestLevel(summarizeHttp(results.get(t)!.trials.filter((x) => x.phase === 'sweep'))) : undefined;
      return [t, best?.level ?? plan.levels[0]!];
    }),
  );
  const levelOf = (t: RunningTarget) => chosen.get(t)!;
  const levels = Object.fromEntries([...chosen].map(([t, level]) => [t.target.decl.name, levelLabel(level)]));
  const from = plan.levels.length > 1 ? 'sweep' : 'profile';
  if (from === 'sweep') progress.info(`claim levels, chosen from the sweep: ${Object.entries(levels).map(([n, l]) => `${n} ${l}`).join(', ')}`);
  const label = from === 'sweep' ? 'claim rounds' : levelLabel(plan.levels[0]!);
  active = await warmup(active, levelOf, label);
  await runClaimRounds(active, ctx, { label, trialS: load.durationS, trial: timedTrial('claim', levelOf), result: resultOf }, { levels, levelsFrom: from });
}

/** Whether a CPU that the loader shares with a service was busy at or above the loader-bound
 * threshold: the loader and the service then competed for it, so the trial may measure that core. */
export function sharedCpuSaturated(pinning: { loaderCpus: number[]; serviceCpus: number[] }, loaderBusy: (number | null)[], hasServices: boolean, thresholdPct: number): boolean {
  if (!hasServices) return false;
  return pinning.loaderCpus.some((cpu, i) => pinning.serviceCpus.includes(cpu) && (loaderBusy[i] ?? 0) >= thresholdPct);
}
