// Scenario `json`: TechEmpower's JSON serialization test. Verify the /json contract, then at each
// connection level a warmup followed by timed trials with the HTTP loader.
import type { LoadShape, RunningTarget, Scenario, ScenarioContext, ScenarioOutput, Trial } from '../harness/types.ts';
import { monitorResources } from '../harness/runtime/resource-monitor.ts';
import { UserError } from '../harness/errors.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

/** Fails fast when the target died during a trial, with its last log lines. */
export async function assertAlive(running: RunningTarget): Promise<void> {
  const state = await Promise.race([running.exited, Promise.resolve(null)]);
  if (state) {
    throw new UserError(
      `Target "${running.target.decl.name}" exited during the load (${state.signal ? `signal ${state.signal}` : `exit code ${state.code}`}).`,
      'Read its last log lines below.',
      await running.logs(30),
    );
  }
}

export const jsonScenario: Scenario = {
  name: 'json',
  description: 'GET /json: JSON serialization throughput and latency (TechEmpower test type 1).',
  requires: ['/json'],

  verify: verifyJson,

  plannedSeconds(load: LoadShape): number {
    return load.connections.length * (load.warmupS + load.trials * load.durationS);
  },

  async run(running: RunningTarget, ctx: ScenarioContext): Promise<ScenarioOutput> {
    const { load, loader, progress } = ctx;
    const url = `${running.url}/json`;
    const trials: Trial[] = [];
    for (const connections of load.connections) {
      if (load.warmupS > 0) {
        progress.step(`warmup ${load.warmupS}s at ${connections} connections`, load.warmupS);
        await loader.run({ url, connections, durationS: load.warmupS, pipelining: load.pipelining }, ctx.signal);
        await assertAlive(running);
      }
      for (let trial = 1; trial <= load.trials; trial++) {
        progress.step(`${connections} connections, trial ${trial}/${load.trials}`, load.durationS);
        const monitor = monitorResources(running, running.statsIntervalMs);
        const result = await loader
          .run({ url, connections, durationS: load.durationS, pipelining: load.pipelining }, ctx.signal, () => monitor.start())
          .catch(async (error: unknown) => {
            await monitor.stop();
            throw error;
          });
        const target = await monitor.stop();
        await assertAlive(running);
        const loaderBound = result.loaderCpuPct !== null && result.loaderCpuPct >= ctx.loaderBoundPct;
        const record: Trial = {
          connections,
          trial,
          durationS: result.durationS,
          requests: result.requests,
          rps: result.rps,
          latencyMs: result.latencyMs,
          errors: result.errors,
          timeouts: result.timeouts,
          non2xx: result.non2xx,
          loaderCpuPct: result.loaderCpuPct,
          loaderBound,
          target,
        };
        trials.push(record);
        await ctx.onTrial(record);
        progress.info(
          `${Math.round(result.rps).toLocaleString('en-US')} req/s, p99 ${result.latencyMs.p99} ms, target CPU ${target.cpuPct?.toFixed(0) ?? '?'}%, loader CPU ${result.loaderCpuPct?.toFixed(0) ?? '?'}%${loaderBound ? ' (loader-bound)' : ''}${result.errors + result.non2xx + result.timeouts ? `, ${result.errors + result.non2xx + result.timeouts} errors` : ''}`,
        );
      }
    }
    return { trials };
  },
};
