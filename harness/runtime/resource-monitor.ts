// Samples a running target's resource use while a trial runs: peak and mean RSS, and CPU use as
// the change in cumulative CPU time over the wall time between the first and last sample.
import type { ResourceSample, RunningTarget } from '../types.ts';

export interface ResourceUse {
  rssBytesPeak: number | null;
  rssBytesMean: number | null;
  cpuPct: number | null;
}

export function summarizeSamples(samples: ResourceSample[]): ResourceUse {
  if (samples.length === 0) return { rssBytesPeak: null, rssBytesMean: null, cpuPct: null };
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const wallS = (last.atMs - first.atMs) / 1000;
  return {
    rssBytesPeak: Math.max(...samples.map((s) => s.rssBytes)),
    rssBytesMean: samples.reduce((s, x) => s + x.rssBytes, 0) / samples.length,
    cpuPct: wallS > 0 ? ((last.cpuSeconds - first.cpuSeconds) / wallS) * 100 : null,
  };
}

/** Samples `running` every `intervalMs` from start() until stop(); stop() without start() gives nulls. */
export function monitorResources(running: RunningTarget, intervalMs = 250): { start(): void; stop(): Promise<ResourceUse> } {
  const samples: ResourceSample[] = [];
  const take = async () => {
    const s = await running.stats();
    if (s) samples.push(s);
  };
  let pending: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  return {
    start() {
      if (timer) return;
      pending = take();
      timer = setInterval(() => {
        pending = pending.then(take);
      }, intervalMs);
    },
    async stop() {
      if (!timer) return summarizeSamples([]);
      clearInterval(timer);
      await pending;
      await take();
      return summarizeSamples(samples);
    },
  };
}
