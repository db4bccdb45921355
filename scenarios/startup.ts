// Scenario `startup`: time from start (process spawn, or container create+start) to the first
// 200 from GET /json, repeated after a warmup run. Readiness is polled every 5 ms so that the
// poll interval does not dominate the figure; the interval is recorded with the results.
import { quantile } from 'simple-statistics';
import { estimate } from '../harness/stats/estimate.ts';
import type { LoadShape, ProfileName, RunningTarget, Scenario, ScenarioContext, ScenarioOutput } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

export const STARTUP_POLL_MS = 5;
export const STARTUP_RUNS: Record<ProfileName, number> = { quick: 5, full: 15 };

export const startupScenario: Scenario = {
  name: 'startup',
  description: 'Time from start to the first 200 from /json (median, p95, min, max over repeated starts).',
  requires: ['/json'],

  verify: verifyJson,

  plannedSeconds(_load: LoadShape, profile: ProfileName): number {
    return STARTUP_RUNS[profile] * 2;
  },

  async run(running: RunningTarget, ctx: ScenarioContext): Promise<ScenarioOutput> {
    // The executor's start (verified above) was the warmup run: it brought the files into the page cache.
    await running.stop();
    const runs = STARTUP_RUNS[ctx.profile];
    const samplesMs: number[] = [];
    for (let i = 1; i <= runs; i++) {
      if (ctx.signal.aborted) throw new Error('interrupted');
      ctx.progress.step(`start ${i}/${runs}`, 2);
      const instance = await ctx.startTarget({ readyPath: '/json', pollIntervalMs: STARTUP_POLL_MS });
      samplesMs.push(instance.readyMs);
      await instance.stop();
      ctx.progress.info(`${instance.readyMs.toFixed(0)} ms to the first 200 from /json`);
    }
    return {
      startup: {
        mode: ctx.runtime.name === 'docker' ? 'container' : 'process',
        pollIntervalMs: STARTUP_POLL_MS,
        warmupRuns: 1,
        samplesMs,
        summary: { ...estimate(samplesMs), p95: quantile(samplesMs, 0.95) },
      },
    };
  },
};
