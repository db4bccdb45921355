// The HTTP trial, shared by every HTTP load scenario: at each load level, a warmup of every target,
// then rounds in which every target gets one timed trial, in an order rotated every round, so that
// the machine's drift falls on all targets alike and ratios can be taken pair by pair. Each trial
// samples the target's resources while the load runs and is saved at once.
import { assertAlive } from '../run/alive.ts';
import { guarded } from '../run/guard.ts';
import { rotation } from '../run/rotation.ts';
import { busyPct, readCpuTimes } from '../runtime/cpu-busy.ts';
import { monitorResources } from '../runtime/resource-monitor.ts';
import type { HttpLoader, LoadShape, RunningTarget, ScenarioContext } from '../types.ts';
import { levelLabel, levelPath, type HttpLevel, type HttpResult, type HttpTrial } from './schema.ts';

export interface HttpTrialPlan {
  endpoint: string;
  levels: HttpLevel[];
  load: LoadShape;
}

export function plannedHttpSeconds(plan: Pick<HttpTrialPlan, 'levels' | 'load'>, targets: number): number {
  return plan.levels.length * targets * (plan.load.warmupS + plan.load.trials * plan.load.durationS);
}

const fmtRps = (rps: number) => Math.round(rps).toLocaleString('en-US');

/** "harness 1 on bun 1.4.5": the loader, its version and what runs it. */
export function describeLoader(loader: Pick<HttpLoader, 'name' | 'version' | 'runtime'>): string {
  return `${loader.name} ${loader.version}${loader.runtime ? ` on ${loader.runtime}` : ''}`;
}

export async function runHttpTrials(targets: RunningTarget[], ctx: ScenarioContext<HttpResult>, plan: HttpTrialPlan): Promise<void> {
  const { load, loader, progress } = ctx;
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
  for (const [t, r] of results) ctx.save(t.target.decl.name, r);
  let active = [...targets];
  /** A target that breaks is marked failed and leaves the rotation; the others go on. */
  const guard = async (t: RunningTarget, work: () => Promise<void>) => {
    if (!(await guarded(ctx, t.target.decl.name, work))) active = active.filter((x) => x !== t);
  };

  for (const level of plan.levels) {
    const url = (t: RunningTarget) => `${t.url}${levelPath(plan.endpoint, level)}`;
    const label = levelLabel(level);
    if (load.warmupS > 0) {
      for (const t of [...active]) {
        progress.step(`${label}: warmup ${load.warmupS}s of ${t.target.decl.name}`, load.warmupS);
        await guard(t, async () => {
          await loader.run({ url: url(t), connections: level.connections, durationS: load.warmupS, pipelining: load.pipelining, ...(load.rate && { rate: load.rate }) }, ctx.signal);
          await assertAlive(t);
        });
      }
    }
    for (let round = 1; round <= load.trials; round++) {
      const order = rotation(active, round);
      if (order.length === 0) return;
      progress.step(`${label}: round ${round}/${load.trials}, order ${order.map((t) => t.target.decl.name).join(' → ')}`, load.durationS * order.length);
      for (const [position, t] of order.entries()) {
        await guard(t, async () => {
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
            .run({ url: url(t), connections: level.connections, durationS: load.durationS, pipelining: load.pipelining, ...(load.rate && { rate: load.rate }) }, ctx.signal, onStart)
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
          const r = results.get(t)!;
          r.trials.push(trial);
          ctx.save(t.target.decl.name, r);
          const bad = result.errors + result.timeouts + result.non2xx;
          const serviceCpu = services.map((s) => `, ${s.name} CPU ${s.cpuPct?.toFixed(0) ?? '?'}%`).join('');
          progress.info(
            `${t.target.decl.name}: ${fmtRps(result.rps)} req/s, p99 ${result.latencyMs.p99} ms, target CPU ${use.cpuPct?.toFixed(0) ?? '?'}%, loader CPU ${result.loaderCpuPct?.toFixed(0) ?? '?'}%${serviceCpu}${loaderBound ? ' (loader-bound)' : ''}${shared ? ' (shared loader/service CPU saturated)' : ''}${bad ? `, ${bad} errors` : ''}`,
          );
        });
      }
    }
  }
}

/** Whether a CPU that the loader shares with a service was busy at or above the loader-bound
 * threshold: the loader and the service then competed for it, so the trial may measure that core. */
export function sharedCpuSaturated(pinning: { loaderCpus: number[]; serviceCpus: number[] }, loaderBusy: (number | null)[], hasServices: boolean, thresholdPct: number): boolean {
  if (!hasServices) return false;
  return pinning.loaderCpus.some((cpu, i) => pinning.serviceCpus.includes(cpu) && (loaderBusy[i] ?? 0) >= thresholdPct);
}
