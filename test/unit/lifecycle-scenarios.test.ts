// The startup, memory and image-size scenarios on the fake runtime: what they ask of the runtime,
// in which order across targets, and what they record. (The real thing runs in the integration tests.)
import { describe, expect, it } from 'vitest';
import { imageSizeScenario } from '../../scenarios/image-size.ts';
import { createMemoryScenario, type MemoryResult } from '../../scenarios/memory.ts';
import { STARTUP_POLL_MS, startupScenario, type StartupResult } from '../../scenarios/startup.ts';
import type { RunningTarget, ScenarioContext, StartOptions, Target } from '../../harness/types.ts';
import { fakeLoader, fakeLoaders, FakeRuntime, fakeScenarioContext } from '../fixtures/fake-runtime.ts';
import { noClaims } from '../fixtures/claim-rounds.ts';

const target = (name: string): Target => ({ dir: '/x', decl: { name, endpoints: ['/json'] } as Target['decl'] });

function context<R, O = unknown>(runtime: FakeRuntime, saved: Map<string, R>, overrides: Partial<ScenarioContext<R, O>> = {}): ScenarioContext<R, O> {
  return fakeScenarioContext<R, O>(runtime, { save: (name, r) => void saved.set(name, structuredClone(r)), ...overrides });
}

const startAll = (runtime: FakeRuntime, names: string[]) => Promise.all(names.map((n) => runtime.start(target(n), { cpus: [1], readyTimeoutMs: 1000 })));

describe('startup scenario', () => {
  it('stops the warmup instances, then starts every target once per round in a rotating order, polling /json every 5 ms', async () => {
    // Five rounds and no claim: the least rounds the tables need.
    const runtime = new FakeRuntime();
    const asked: Array<Pick<StartOptions, 'readyPath' | 'pollIntervalMs'> | undefined> = [];
    const saved = new Map<string, StartupResult>();
    const warm = await startAll(runtime, ['a', 'b']);
    runtime.events.length = 0;
    await startupScenario.run(warm, context(runtime, saved, {
      claims: noClaims(5),
      startTarget: async (t, options) => {
        asked.push(options);
        return runtime.start(t, { cpus: [1], readyTimeoutMs: 1000, ...options });
      },
    }));
    expect(runtime.events.slice(0, 2)).toEqual(['stop a', 'stop b']);
    const starts = runtime.events.filter((e) => e.startsWith('start'));
    expect(starts).toEqual(['start a', 'start b', 'start b', 'start a', 'start a', 'start b', 'start b', 'start a', 'start a', 'start b']);
    expect(asked.every((o) => o?.readyPath === '/json' && o.pollIntervalMs === STARTUP_POLL_MS)).toBe(true);
    expect(runtime.liveCount()).toBe(0);
    const a = saved.get('a')!;
    expect(a).toMatchObject({ mode: 'process', pollIntervalMs: 5, warmupRuns: 1, schedule: 'interleaved' });
    expect(a.starts.map((s) => s.round)).toEqual([1, 2, 3, 4, 5]);
    expect(a.starts.every((s) => s.readyMs === 10 && s.startedAt)).toBe(true);
  });
});

describe('memory scenario', () => {
  it('runs independent cycles: a fresh start per cycle and target, idle reading, then the peak under load at the highest level', async () => {
    const runtime = new FakeRuntime();
    const saved = new Map<string, MemoryResult>();
    const calls: string[] = [];
    const warm = await startAll(runtime, ['a', 'b']);
    runtime.events.length = 0;
    await createMemoryScenario(20).run(warm, context<MemoryResult, number | undefined>(runtime, saved, { loaders: fakeLoaders(runtime, fakeLoader(() => 1000, runtime, calls)) }));
    // A probe of each target's throughput on the executor's instances (no json scenario ran first), then the cycles.
    expect(calls).toEqual(['a@128', 'b@128', 'a@128', 'b@128', 'b@128', 'a@128', 'a@128', 'b@128']);
    // Each cycle's instance is started, loaded and stopped before the next one starts.
    expect(runtime.events.slice(2)).toEqual(['start a', 'stop a', 'start b', 'stop b', 'start b', 'stop b', 'start a', 'stop a', 'start a', 'stop a', 'start b', 'stop b']);
    const a = saved.get('a')!;
    expect(a).toMatchObject({ memoryLabel: 'fake memory', loadConnections: 128, schedule: 'interleaved', mode: 'open', rate: 500 });
    expect(a.cycles.map((c) => [c.round, c.idleBytes, c.peakBytes, c.rps])).toEqual([[1, 1000, 1000, 1000], [2, 1000, 1000, 1000], [3, 1000, 1000, 1000]]);
    expect(runtime.liveCount()).toBe(0);
  });

  it('asks the loader whether it holds a rate: one that cannot loads closed loop and says so; --memory-rate sets the rate', async () => {
    const runtime = new FakeRuntime();
    const saved = new Map<string, MemoryResult>();
    const warnings: string[] = [];
    const closed = { ...fakeLoader(() => 1000, runtime), name: 'harness', can: { openLoop: false } };
    const progress = { step() {}, info() {}, warn: (line: string) => void warnings.push(line) };
    await createMemoryScenario(5).run(await startAll(runtime, ['a']), context<MemoryResult, number | undefined>(runtime, saved, { loaders: fakeLoaders(runtime, closed), progress, claims: noClaims(1) }));
    expect(saved.get('a')).toMatchObject({ mode: 'closed', rate: null });
    expect(warnings.join('\n')).toMatch(/the harness loader cannot hold a fixed rate/);
    await createMemoryScenario(5).run(await startAll(runtime, ['a']), context<MemoryResult, number | undefined>(runtime, saved, { options: 321, claims: noClaims(1) }));
    expect(saved.get('a')).toMatchObject({ mode: 'open', rate: 321, rateSource: 'set with --memory-rate' });
  });
});

describe('image-size scenario', () => {
  it('records what the runtime says of each image, and runs only on docker', async () => {
    const runtime = new FakeRuntime();
    const saved = new Map<string, unknown>();
    const image = { tag: 't', id: 'i', imageBytes: 3, baseBytes: 2, appBytes: 1, base: { ref: 'b', origin: 'local' as const, bytes: 2 } };
    const withImage = Object.assign(runtime, { image: async (t: Target) => ({ ...image, tag: t.decl.name }) });
    const running = (await startAll(runtime, ['a', 'b'])) as RunningTarget[];
    await imageSizeScenario.run(running, context(withImage, saved as Map<string, never>));
    expect(saved.get('b')).toEqual({ image: { ...image, tag: 'b' } });
    expect(imageSizeScenario.runtimeNeeds).toEqual(['images']);
  });
});
