// The startup, memory and image-size scenarios against fake runtimes: what they ask of the runtime
// and what they record. (The real thing runs in the integration tests.)
import { describe, expect, it } from 'vitest';
import { imageSizeScenario } from '../../scenarios/image-size.ts';
import { memoryScenario } from '../../scenarios/memory.ts';
import { STARTUP_POLL_MS, startupScenario } from '../../scenarios/startup.ts';
import type { HttpLoader, RunningTarget, ScenarioContext, StartOptions } from '../../harness/types.ts';

function fakeRunning(readyMs: number, rss: () => number): RunningTarget & { stopped: boolean } {
  const r = {
    target: { dir: '/x', decl: { name: 'fake' } } as never,
    url: 'http://127.0.0.1:1',
    workers: 1,
    cpus: [1],
    readyMs,
    statsIntervalMs: 10,
    stats: async () => ({ atMs: performance.now(), rssBytes: rss(), cpuSeconds: 0 }),
    logs: async () => [],
    exited: new Promise<never>(() => {}),
    stopped: false,
    stop: async () => {
      r.stopped = true;
    },
  };
  return r;
}

function context(overrides: Partial<ScenarioContext>): ScenarioContext {
  const quiet = { step() {}, info() {}, warn() {} };
  return {
    profile: 'quick',
    target: { dir: '/x', decl: { name: 'fake' } } as never,
    runtime: { name: 'docker', memorySource: 'container' } as never,
    startTarget: async () => fakeRunning(1, () => 0),
    load: { connections: [16, 128], durationS: 0.2, warmupS: 0, trials: 1, pipelining: 1 },
    loader: {} as HttpLoader,
    loaderBoundPct: 90,
    progress: quiet,
    signal: new AbortController().signal,
    onTrial: async () => {},
    ...overrides,
  };
}

describe('startup scenario', () => {
  it('stops the warmup instance, then starts 5 times polling /json every 5 ms, and summarizes', async () => {
    const asked: Array<Pick<StartOptions, 'readyPath' | 'pollIntervalMs'> | undefined> = [];
    const started: ReturnType<typeof fakeRunning>[] = [];
    const times = [120, 100, 140, 110, 130];
    const warmup = fakeRunning(999, () => 0);
    const out = await startupScenario.run(
      warmup,
      context({
        startTarget: async (options) => {
          asked.push(options);
          const r = fakeRunning(times[started.length]!, () => 0);
          started.push(r);
          return r;
        },
      }),
    );
    expect(warmup.stopped).toBe(true);
    expect(asked).toEqual(Array(5).fill({ readyPath: '/json', pollIntervalMs: STARTUP_POLL_MS }));
    expect(started.every((r) => r.stopped)).toBe(true);
    expect(out.startup).toMatchObject({ mode: 'container', pollIntervalMs: 5, warmupRuns: 1, samplesMs: times });
    expect(out.startup!.summary).toMatchObject({ median: 120, min: 100, max: 140, n: 5 });
    expect(out.startup!.summary.p95).toBeGreaterThan(130);
  });
});

describe('memory scenario', () => {
  it('reads idle memory before the load and the peak during it, at the highest connection level', async () => {
    let phase: 'idle' | 'load' = 'idle';
    const running = fakeRunning(1, () => (phase === 'idle' ? 50 : 80));
    const calls: number[] = [];
    const loader: HttpLoader = {
      name: 'fake',
      version: '0',
      async run(request, _signal, onStart) {
        calls.push(request.connections);
        phase = 'load';
        onStart?.();
        await new Promise((r) => setTimeout(r, 100));
        return { durationS: 0.1, requests: 1, rps: 10, latencyMs: { p50: 1, p90: 1, p99: 1, p999: 1, mean: 1, max: 1 }, errors: 0, timeouts: 0, non2xx: 0, loaderCpuPct: 1 };
      },
    };
    const out = await memoryScenario.run(running, context({ loader }));
    expect(calls).toEqual([128]);
    expect(out.memory).toEqual({ source: 'container', workers: 1, idleRssBytes: 50, peakRssBytes: 80, loadConnections: 128, loadDurationS: 0.2 });
  }, 10_000);
});

describe('image-size scenario', () => {
  it('records what the runtime says of the image, and runs only on docker', async () => {
    const image = { tag: 't', id: 'i', imageBytes: 3, baseBytes: 2, appBytes: 1, base: { ref: 'b', origin: 'local' as const, bytes: 2 } };
    const out = await imageSizeScenario.run(fakeRunning(1, () => 0), context({ runtime: { name: 'docker', image: async () => image } as never }));
    expect(out.image).toEqual(image);
    expect(imageSizeScenario.runtimes).toEqual(['docker']);
  });
});
