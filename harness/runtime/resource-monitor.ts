// Samples a running target's resource use while a trial runs: peak and mean memory (the runtime's
// figure, see RunningTarget.memoryLabel), peak RSS beside it, and CPU use as the change in
// cumulative CPU time over the wall time between the first and last sample.
import type { ResourceSample, RunningTarget } from '../types.ts';

export interface ResourceUse {
  memoryBytesPeak: number | null;
  memoryBytesMean: number | null;
  rssBytesPeak: number | null;
  /** Percent of one core. */
  cpuPct: number | null;
}

export function summarizeSamples(samples: ResourceSample[]): ResourceUse {
  if (samples.length === 0) return { memoryBytesPeak: null, memoryBytesMean: null, rssBytesPeak: null, cpuPct: null };
  const first = samples[0]!;
  const last = samples.at(-1)!;
  const wallS = (last.atMs - first.atMs) / 1000;
  const rss = samples.flatMap((s) => (s.rssBytes === null ? [] : [s.rssBytes]));
  return {
    memoryBytesPeak: Math.max(...samples.map((s) => s.memoryBytes)),
    memoryBytesMean: samples.reduce((s, x) => s + x.memoryBytes, 0) / samples.length,
    rssBytesPeak: rss.length ? Math.max(...rss) : null,
    cpuPct: wallS > 0 ? ((last.cpuSeconds - first.cpuSeconds) / wallS) * 100 : null,
  };
}

/** Samples `running` every `intervalMs` from start() until stop(); stop() without start() gives nulls. */
export function monitorResources(running: Pick<RunningTarget, 'stats'>, intervalMs = 250): { start(): void; stop(): Promise<ResourceUse> } {
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
