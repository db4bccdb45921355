// Scenario `memory`: resident memory of the target at idle after start, and its peak under the
// json load, with the same worker count for every target. Local: RSS summed over the process
// tree; docker: the container's memory usage without reclaimable page cache (as `docker stats`).
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from 'simple-statistics';
import { monitorResources } from '../harness/runtime/resource-monitor.ts';
import type { LoadShape, RunningTarget, Scenario, ScenarioContext, ScenarioOutput } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';
import { assertAlive } from './json.ts';

const SETTLE_MS = 3000;
const IDLE_SAMPLES = 5;

/** The load level for the peak: the highest of the run's connection levels. */
export function memoryLoadConnections(load: LoadShape): number {
  return Math.max(...load.connections);
}

export const memoryScenario: Scenario = {
  name: 'memory',
  description: 'Resident memory at idle after start and at its peak under the json load.',
  requires: ['/json'],

  verify: verifyJson,

  plannedSeconds(load: LoadShape): number {
    return SETTLE_MS / 1000 + 1 + load.durationS;
  },

  async run(running: RunningTarget, ctx: ScenarioContext): Promise<ScenarioOutput> {
    ctx.progress.step('idle', SETTLE_MS / 1000 + 1);
    await sleep(SETTLE_MS);
    const idle: number[] = [];
    for (let i = 0; i < IDLE_SAMPLES; i++) {
      const s = await running.stats();
      if (s) idle.push(s.rssBytes);
      await sleep(200);
    }
    const connections = memoryLoadConnections(ctx.load);
    ctx.progress.step(`peak under the json load, ${connections} connections for ${ctx.load.durationS} s`, ctx.load.durationS);
    const monitor = monitorResources(running, Math.min(100, running.statsIntervalMs));
    await ctx.loader.run({ url: `${running.url}/json`, connections, durationS: ctx.load.durationS, pipelining: 1 }, ctx.signal, () => monitor.start());
    const use = await monitor.stop();
    await assertAlive(running);
    const idleRssBytes = idle.length ? median(idle) : null;
    ctx.progress.info(`idle ${idleRssBytes === null ? 'n/a' : (idleRssBytes / 2 ** 20).toFixed(1) + ' MiB'}, peak ${use.rssBytesPeak === null ? 'n/a' : (use.rssBytesPeak / 2 ** 20).toFixed(1) + ' MiB'}`);
    return {
      memory: {
        source: ctx.runtime.memorySource,
        workers: running.workers,
        idleRssBytes,
        peakRssBytes: use.rssBytesPeak,
        loadConnections: connections,
        loadDurationS: ctx.load.durationS,
      },
    };
  },
};
