// The executor with a fake runtime and a fake loader: the plan, the interleaving of trials across
// targets, the skipped/failed/invalid paths, and services started once and stopped on every path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { httpScenario } from '../../harness/http/scenario.ts';
import type { HttpResult } from '../../harness/http/schema.ts';
import { ResultsStore } from '../../harness/results/store.ts';
import { executeRun, type ExecuteOptions } from '../../harness/run/execute.ts';
import type { CheckResult, Endpoint, Scenario, Target } from '../../harness/types.ts';
import { fakeLoader, fakeLoaders, FakeRuntime, fakeService, type FakeOptions } from '../fixtures/fake-runtime.ts';
import { fakeResults } from '../fixtures/results.ts';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';

const target = (name: string, endpoints: Endpoint[] = ['/health', '/json']): Target => ({ dir: '/nowhere', decl: { name, endpoints } as Target['decl'] });
const pass: CheckResult[] = [{ name: 'status', status: 'pass', detail: '200' }];

function scenario(o: { name?: string; invalid?: string[]; services?: ReturnType<typeof fakeService>[] } = {}): Scenario {
  return httpScenario({
    name: o.name ?? 'json',
    description: 'test',
    title: 'test',
    endpoint: '/json',
    requires: ['/json'],
    ...(o.services && { services: o.services }),
    verify: async (r) => (o.invalid?.includes(r.target.decl.name) ? [{ name: 'body', status: 'fail', detail: 'wrong body' }] : pass),
  }) as Scenario;
}

function setup(targets: Target[], scenarios: Scenario[], fake: FakeOptions = {}, extra: Partial<ExecuteOptions> = {}) {
  const runtime = new FakeRuntime(fake);
  const loader = fakeLoader((t) => ({ a: 1000, b: 2000, c: 3000 })[t] ?? 500, runtime);
  const results = { ...fakeResults(), measurements: [], services: [], targets: Object.fromEntries(targets.map((t) => [t.decl.name, { name: t.decl.name, title: '', language: '', framework: '', server: '', baseline: false, versions: {} }])) };
  const store = new ResultsStore(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-exec-')), results);
  const quiet = { step() {}, info() {}, warn() {}, setContext() {}, skipPlanned() {} };
  const options: ExecuteOptions = {
    store,
    profile: 'quick',
    targets,
    scenarios,
    runtime,
    load: { connections: [16, 64], durationS: 0.01, warmupS: 0.01, trials: 3, pipelining: 1 },
    loaders: fakeLoaders(runtime, loader),
    cpus: { targetCpus: [1], loaderCpus: [0], serviceCpus: [0], harnessCpus: [0] },
    loaderBoundPct: 90,
    readyTimeoutMs: 1000,
    progress: quiet,
    signal: new AbortController().signal,
    ...extra,
  };
  return { runtime, loader, store, options, by: (t: string, s = 'json') => store.results.measurements.find((m) => m.target === t && m.scenario === s)! };
}

describe('executor', () => {
  it('starts every target of a scenario, then interleaves trials round by round in a rotating order', async () => {
    const { runtime, loader, options, by } = setup([target('a'), target('b'), target('c')], [scenario()]);
    await executeRun(options);
    // All three are up before the first load; each level warms every target, then rounds rotate.
    expect(runtime.events.slice(0, 6)).toEqual(['prepare a', 'prepare b', 'prepare c', 'start a', 'start b', 'start c']);
    const level = (c: number) => ['a', 'b', 'c'].map((t) => `${t}@${c}`);
    const rotated = (c: number) => [...level(c), ...['b', 'c', 'a'].map((t) => `${t}@${c}`), ...['c', 'a', 'b'].map((t) => `${t}@${c}`)];
    expect(loader.calls).toEqual([...level(16), ...rotated(16), ...level(64), ...rotated(64)]);
    const a = by('a').result as HttpResult;
    expect(by('a')).toMatchObject({ status: 'ok', complete: true });
    expect(a.trials.map((t) => [t.level.connections, t.round, t.order])).toEqual([[16, 1, 0], [16, 2, 2], [16, 3, 1], [64, 1, 0], [64, 2, 2], [64, 3, 1]]);
    for (const t of a.trials) expect(Date.parse(t.endedAt!)).toBeGreaterThanOrEqual(Date.parse(t.startedAt!));
    expect(runtime.liveCount()).toBe(0);
  });

  it('takes load levels with more than one dimension: connections and an endpoint parameter', async () => {
    const queries = httpScenario({
      name: 'queries',
      description: 'test',
      title: 'test',
      endpoint: '/queries?queries={queries}',
      requires: ['/json'],
      levels: () => [1, 20].map((q) => ({ connections: 8, params: { queries: q } })),
      verify: async () => pass,
    }) as Scenario;
    const { loader, options, by } = setup([target('a')], [queries], {}, {});
    await executeRun(options);
    expect([...new Set(loader.paths)]).toEqual(['/queries?queries=1', '/queries?queries=20']);
    const trials = (by('a', 'queries').result as HttpResult).trials;
    expect(trials.map((t) => `${t.level.params?.queries}#${t.round}`)).toEqual(['1#1', '1#2', '1#3', '20#1', '20#2', '20#3']);
  });

  it('keeps every outcome: skipped (missing endpoint), failed (with its log lines), invalid (not loaded), ok', async () => {
    const { runtime, loader, options, by } = setup([target('a'), target('b'), target('c'), target('d', ['/health'])], [scenario({ invalid: ['c'] })], { failStart: ['b'] });
    await executeRun(options);
    expect(by('a')).toMatchObject({ status: 'ok', complete: true });
    expect(by('b')).toMatchObject({ status: 'failed', complete: true, logTail: ['FATAL: no luck'] });
    expect(by('b').error).toMatch(/exited during start/);
    expect(by('c')).toMatchObject({ status: 'invalid', complete: true, error: 'contract check failed: body (wrong body)' });
    expect(by('c').result).toBeUndefined();
    expect(by('d')).toMatchObject({ status: 'skipped', error: 'target does not serve /json' });
    expect(loader.calls.every((c) => c.startsWith('a@'))).toBe(true);
    expect(runtime.events).toContain('stop c'); // an invalid target is stopped at once
    expect(runtime.liveCount()).toBe(0);
  });

  it('marks a target that crashes mid-scenario failed, keeps its trials, and goes on with the others', async () => {
    const { runtime, options, by } = setup([target('a'), target('b')], [scenario()], { crashAfterLoads: { b: 4 } });
    await executeRun(options);
    expect(by('a')).toMatchObject({ status: 'ok', complete: true });
    expect((by('a').result as HttpResult).trials).toHaveLength(6);
    expect(by('b')).toMatchObject({ status: 'failed', complete: false, logTail: ['last line'] });
    expect(by('b').error).toMatch(/exited during the load/);
    // b's loads: 1 warmup@16, 2-3 trials of rounds 1-2, 4 crashed (round 3, not kept).
    expect((by('b').result as HttpResult).trials.map((t) => t.round)).toEqual([1, 2]);
    expect(runtime.liveCount()).toBe(0);
  });

  describe('services', () => {
    it('starts a service once per run, hands its environment to every target, records it and stops it at the end', async () => {
      const db = fakeService('fakedb');
      const { runtime, store, options } = setup([target('a'), target('b')], [scenario({ name: 'one', services: [db] }), scenario({ name: 'two', services: [db] })]);
      await executeRun(options);
      expect(runtime.events.filter((e) => e.includes('service'))).toEqual(['start service fakedb', 'stop service fakedb']);
      expect(runtime.events.indexOf('stop service fakedb')).toBe(runtime.events.length - 1);
      expect(runtime.startEnv.a).toEqual({ FAKEDB_URL: 'fake://127.0.0.1:5' });
      expect(store.results.services).toMatchObject([{ name: 'fakedb', version: '9.9', cpus: [0], config: [{ setting: 'max_connections' }] }]);
      expect(store.results.services[0]!.stoppedAt).toBeDefined();
      expect(runtime.liveCount()).toBe(0);
    });

    it('starts no service that no scenario needs', async () => {
      const { runtime, options } = setup([target('a')], [scenario()]);
      await executeRun(options);
      expect(runtime.events.filter((e) => e.includes('service'))).toEqual([]);
    });

    it('starts no service for a scenario that every target skips (one this runtime cannot run)', async () => {
      const images = { ...scenario({ name: 'images', services: [fakeService('registry')] }), runtimeNeeds: ['images'] as Scenario['runtimeNeeds'] };
      const { runtime, options, by } = setup([target('a')], [images, scenario({ name: 'plain' })]);
      await executeRun(options);
      expect(by('a', 'images')).toMatchObject({ status: 'skipped' });
      expect(runtime.events.filter((e) => e.includes('service'))).toEqual([]);
    });

    it('fails the targets of a scenario whose service did not start, saying why, and runs the others', async () => {
      const { runtime, options, by } = setup([target('a')], [scenario({ name: 'needs-db', services: [fakeService('fakedb')] }), scenario({ name: 'plain' })], { failService: ['fakedb'] });
      await executeRun(options);
      expect(by('a', 'needs-db')).toMatchObject({ status: 'failed' });
      expect(by('a', 'needs-db').error).toMatch(/^service fakedb did not start: Service fakedb exited during start/);
      expect(by('a', 'plain')).toMatchObject({ status: 'ok', complete: true });
      expect(runtime.liveCount()).toBe(0);
    });

    it('stops services when the run is interrupted (Ctrl-C) in the middle of a scenario', async () => {
      const controller = new AbortController();
      const runtime = new FakeRuntime();
      const { options, by } = setup([target('a'), target('b')], [scenario({ services: [fakeService()] })], {}, { runtime, signal: controller.signal, loaders: fakeLoaders(runtime, fakeLoader(() => 1000, runtime, [], (n) => n === 5 && controller.abort())) });
      await executeRun(options);
      expect(runtime.events.at(-1)).toBe('stop service fakedb');
      expect(by('a')).toMatchObject({ status: 'failed', complete: false });
      expect(by('a').error).toMatch(/^interrupted/);
      expect((by('a').result as HttpResult).trials.length).toBeGreaterThan(0);
      expect(runtime.liveCount()).toBe(0);
    });

    it('stops services when something fails outside any target (an error escapes the executor)', async () => {
      const runtime = new FakeRuntime();
      const afterMeasurement = () => {
        if (runtime.events.includes('start service fakedb')) throw new Error('disk full');
      };
      const { options } = setup([target('a')], [scenario({ services: [fakeService()] })], {}, { runtime, loaders: fakeLoaders(runtime, fakeLoader(() => 1, runtime)), afterMeasurement });
      await expect(executeRun(options)).rejects.toThrow('disk full');
      expect(runtime.events.filter((e) => e.includes('service'))).toEqual(['start service fakedb', 'stop service fakedb']);
    });
  });

  it('runs claim rounds until the claims resting on the scenario are decided, with only the targets they need, and records why they stopped', async () => {
    const targets = ['node', 'django', 'deno', 'express'].map((n) => target(n));
    const { runtime, options, store, by } = setup(targets, [scenario()], {}, { load: { connections: [16], durationS: 0.01, warmupS: 0, trials: 3, pipelining: 1, claimRounds: { max: 30, budgetS: 600 }, confidence: 0.95 } });
    const rps: Record<string, number> = { node: 2000, django: 100, deno: 1000, express: 700 };
    options.loaders = fakeLoaders(runtime, fakeLoader((t) => rps[t]!, runtime));
    await executeRun(options);
    const trials = (t: string) => (by(t).result as HttpResult).trials;
    // No claim rests on express: it has the least rounds. node, django and deno go on until every
    // claim between them is decided: an anytime-valid 95% interval is bounded from 10 pairs on.
    expect(trials('express')).toHaveLength(3);
    for (const t of ['node', 'django', 'deno']) expect(trials(t)).toHaveLength(10);
    expect(trials('node').every((x) => x.phase === 'claim')).toBe(true);
    expect(store.results.rounds?.json).toMatchObject({ rounds: 10, stoppedBy: 'decided', open: [], minRounds: 3, maxRounds: 30, confidence: 0.95, levelsFrom: 'profile' });
    const verdicts = evaluateClaims(store.results);
    const json = verdicts.find((v) => v.claim.id === 'json-throughput')!;
    expect(json).toMatchObject({ verdict: 'refuted', decision: { how: 'decided', pairs: 10, text: 'decided after 10 pairs' } });
    // Deno is judged against Django (the article's one column); deno/node is shown, not judged.
    expect(verdicts.find((v) => v.claim.id === 'json-throughput:deno/django')).toMatchObject({ verdict: 'refuted', decision: { how: 'decided' } });
    expect(verdicts.find((v) => v.claim.id === 'deno-beside-node')!.verdict).toBe('shown');
  });

  it('stops the claim rounds at the budget and says so in the verdict', async () => {
    const targets = ['node', 'django'].map((n) => target(n));
    const { runtime, options, store } = setup(targets, [scenario()], {}, { load: { connections: [16], durationS: 0.01, warmupS: 0, trials: 3, pipelining: 1, claimRounds: { max: 5, budgetS: 600 }, confidence: 0.95 } });
    options.loaders = fakeLoaders(runtime, fakeLoader((t) => ({ node: 2000, django: 100 })[t]!, runtime));
    await executeRun(options);
    expect(store.results.rounds?.json).toMatchObject({ rounds: 5, stoppedBy: 'max-rounds' });
    const json = evaluateClaims(store.results).find((v) => v.claim.id === 'json-throughput')!;
    expect(json).toMatchObject({ verdict: 'inconclusive', decision: { how: 'budget', pairs: 5, text: 'stopped at the most rounds (5) after 5 pairs' } });
  });
});

