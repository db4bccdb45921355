// The rounds driver: the least rounds for every target, then rounds only while a claim is open and
// only with the targets the open claims need, stopping when decided, at the most rounds or at the
// budget, and recording why; a target that breaks leaves the rotation. And the HTTP scenarios on it:
// a sweep, then claim rounds at each target's level chosen from the sweep, paired by claim round.
import { describe, expect, it } from 'vitest';
import { runClaimRounds, runFixedRounds } from '../../harness/run/rounds.ts';
import { runHttpTrials } from '../../harness/http/trials.ts';
import type { HttpResult } from '../../harness/http/schema.ts';
import { httpResultKind } from '../../harness/http/kind.ts';
import type { HttpLoader, RunningTarget, ScenarioContext } from '../../harness/types.ts';
import { FakeRuntime, fakeScenarioContext, fakeWsLoader } from '../fixtures/fake-runtime.ts';
import { noClaims, scriptedClaims, type DoneRecord } from '../fixtures/claim-rounds.ts';
import { fakeResults } from '../fixtures/results.ts';

async function targets(names: string[]): Promise<RunningTarget[]> {
  const runtime = new FakeRuntime();
  return Promise.all(names.map((name) => runtime.start({ dir: '/x', decl: { name, endpoints: ['/json'] } as never }, { cpus: [1], readyTimeoutMs: 1000 })));
}

function context(claims: ScenarioContext<unknown>['claims'], failed: string[] = [], extra: Partial<ScenarioContext<unknown>> = {}): ScenarioContext<unknown> {
  return fakeScenarioContext(new FakeRuntime(), { claims, load: { connections: [16], durationS: 0.01, warmupS: 0, trials: 3, pipelining: 1 }, fail: async (name) => void failed.push(name), ...extra });
}

const trials = () => {
  const log: string[] = [];
  return { log, trial: async (t: RunningTarget, round: number) => void log.push(`${round}:${t.target.decl.name}`) };
};

describe('rounds driven by the claims', () => {
  it('runs the least rounds for every target, then only the targets of the open claims, until decided', async () => {
    const records: DoneRecord[] = [];
    const { log, trial } = trials();
    // After 3 rounds a and b are still needed; after 5 only the pair (a, b)'s claim is open; after 6 it is decided.
    const claims = scriptedClaims({ min: 3, max: 30, open: (done) => (done < 6 ? ['a', 'b'] : []) }, records);
    await runClaimRounds(await targets(['a', 'b', 'c']), context(claims), { label: 'x', trialS: 0, trial });
    expect(log.filter((l) => l.endsWith(':c'))).toEqual(['1:c', '2:c', '3:c']);
    expect(log.filter((l) => l.endsWith(':a'))).toHaveLength(6);
    // Rotated every round: no target always first.
    expect(log.slice(0, 3)).toEqual(['1:a', '1:b', '1:c']);
    expect(log.slice(3, 6)).toEqual(['2:b', '2:c', '2:a']);
    expect(records).toEqual([{ rounds: 6, elapsedS: expect.any(Number), stoppedBy: 'decided', open: [] }]);
  });

  it('stops at the most rounds, and at the budget, saying which', async () => {
    const most: DoneRecord[] = [];
    await runClaimRounds(await targets(['a', 'b']), context(scriptedClaims({ min: 2, max: 4, open: () => ['a', 'b'] }, most)), { label: 'x', trialS: 0, ...trials() });
    expect(most[0]).toMatchObject({ rounds: 4, stoppedBy: 'max-rounds', open: ['claim'] });
    const budget: DoneRecord[] = [];
    const slow = async () => void (await new Promise((r) => setTimeout(r, 30)));
    await runClaimRounds(await targets(['a', 'b']), context(scriptedClaims({ min: 2, max: 100, budgetS: 0.1, open: () => ['a', 'b'] }, budget)), { label: 'x', trialS: 0, trial: slow });
    expect(budget[0]!.stoppedBy).toBe('budget');
    // 60 ms per round, the budget counted from the end of the 2 least rounds: 2 or 3 rounds more start before 0.1 s, none after.
    expect(budget[0]!.rounds).toBeGreaterThanOrEqual(4);
    expect(budget[0]!.rounds).toBeLessThanOrEqual(5);
  });

  it('without claims runs the least rounds only', async () => {
    const records: DoneRecord[] = [];
    const { log, trial } = trials();
    await runClaimRounds(await targets(['a', 'b']), context(noClaims(3, records)), { label: 'x', trialS: 0, trial });
    expect(log).toHaveLength(6);
    expect(records[0]).toMatchObject({ rounds: 3, stoppedBy: 'no-claims' });
  });

  it('drops a target that breaks and goes on with the others; an interruption is recorded', async () => {
    const failed: string[] = [];
    const { log, trial } = trials();
    const breaking = async (t: RunningTarget, round: number) => {
      if (t.target.decl.name === 'b' && round === 2) throw new Error('crashed');
      await trial(t, round);
    };
    await runFixedRounds(await targets(['a', 'b']), context(noClaims(3), failed), 4, { label: 'x', trialS: 0, trial: breaking });
    expect(failed).toEqual(['b']);
    expect(log.filter((l) => l.endsWith(':a'))).toHaveLength(4);
    expect(log.filter((l) => l.endsWith(':b'))).toEqual(['1:b']);
    const records: DoneRecord[] = [];
    const abort = new AbortController();
    const stopping = async (t: RunningTarget, round: number) => {
      if (round === 2) {
        abort.abort();
        throw new Error('interrupted');
      }
      await trial(t, round);
    };
    await expect(runClaimRounds(await targets(['a', 'b']), context(noClaims(3, records), [], { signal: abort.signal }), { label: 'x', trialS: 0, trial: stopping })).rejects.toThrow(/interrupted/);
    expect(records[0]).toMatchObject({ stoppedBy: 'interrupted', rounds: 2 });
  });
});

describe('what the rounds do for every scenario', () => {
  it("saves each target's result before the first round and after each of its trials, not after one that failed", async () => {
    const saves: string[] = [];
    const counts = new Map<string, { n: number }>([['a', { n: 0 }], ['b', { n: 0 }]]);
    const failed: string[] = [];
    const ctx = context(noClaims(3), failed, { save: (name, r) => void saves.push(`${name}:${(r as { n: number }).n}`) });
    await runClaimRounds(await targets(['a', 'b']), ctx, {
      label: 'x',
      trialS: 0,
      result: (t) => counts.get(t.target.decl.name)!,
      trial: async (t, round) => {
        if (t.target.decl.name === 'b' && round === 2) throw new Error('broke');
        counts.get(t.target.decl.name)!.n++;
      },
    });
    // Round 1: a, b; round 2 (rotated): b breaks and leaves, a; round 3: a alone.
    expect(saves).toEqual(['a:0', 'b:0', 'a:1', 'b:1', 'a:2', 'a:3']);
    expect(failed).toEqual(['b']);
  });

  it('runs each trial on a fresh instance where asked: the executor\'s stopped first, each trial\'s stopped after it, even when it throws', async () => {
    const runtime = new FakeRuntime();
    const warm = await Promise.all(['a', 'b'].map((name) => runtime.start({ dir: '/x', decl: { name, endpoints: ['/json'] } as never }, { cpus: [1], readyTimeoutMs: 1000 })));
    const asked: unknown[] = [];
    const failed: string[] = [];
    const ctx = fakeScenarioContext(runtime, {
      claims: noClaims(2),
      fail: async (name) => void failed.push(name),
      startTarget: (t, options) => {
        asked.push(options);
        return runtime.start(t, { cpus: [1], readyTimeoutMs: 1000, ...options });
      },
    });
    runtime.events.length = 0;
    const instances = new Set<RunningTarget>();
    await runFixedRounds(warm, ctx, 2, {
      label: 'x',
      trialS: 0,
      fresh: { readyPath: '/json' },
      trial: async (t, round, _position, instance) => {
        expect(warm).not.toContain(instance);
        instances.add(instance);
        if (t.target.decl.name === 'b' && round === 2) throw new Error('broke');
      },
    });
    expect(runtime.events).toEqual(['stop a', 'stop b', 'start a', 'stop a', 'start b', 'stop b', 'start b', 'stop b', 'start a', 'stop a']);
    expect(instances.size).toBe(4);
    expect(asked).toEqual(Array(4).fill({ readyPath: '/json' }));
    expect(failed).toEqual(['b']);
    expect(runtime.liveCount()).toBe(0);
  });
});

describe('HTTP scenarios: a sweep, then claim rounds at a level chosen before them', () => {
  // a is fastest at 64 connections, b at 16; a's throughput is 2x b's at their best.
  const rps = (target: string, connections: number) => (target === 'a' ? (connections === 64 ? 2000 : 1000) : connections === 16 ? 1000 : 500);
  const loader = (calls: string[]): HttpLoader => ({
    name: 'fake',
    version: '0',
    can: { openLoop: true },
    async run(request, _signal, onStart) {
      const target = new URL(request.url).hostname.replace('.invalid', '');
      calls.push(`${target}@${request.connections}/${request.durationS}`);
      onStart?.();
      const r = rps(target, request.connections);
      return { durationS: request.durationS, requests: r, rps: r, latencyMs: { p50: 1, p90: 2, p99: 3, p999: 4, mean: 1, max: 5 }, errors: 0, timeouts: 0, non2xx: 0, loaderCpuPct: 50 };
    },
  });

  it('sweeps every level for the tables, picks each target\'s best level from the sweep, and pairs claim rounds only', async () => {
    const calls: string[] = [];
    const saved = new Map<string, HttpResult>();
    const records: DoneRecord[] = [];
    const claims = scriptedClaims({ min: 3, max: 12, open: (done) => (done < 10 ? ['a', 'b'] : []) }, records);
    const ctx = context(claims, [], { load: { connections: [16, 64], durationS: 0.01, warmupS: 0.005, trials: 2, pipelining: 1 }, loaders: { http: loader(calls), ws: fakeWsLoader() }, save: (name, r) => void saved.set(name, structuredClone(r as HttpResult)) });
    await runHttpTrials(await targets(['a', 'b']), ctx as ScenarioContext<HttpResult>, { endpoint: '/json', levels: [{ connections: 16 }, { connections: 64 }], load: ctx.load });
    const a = saved.get('a')!;
    expect(a.trials.filter((t) => t.phase === 'sweep').map((t) => t.level.connections)).toEqual([16, 16, 64, 64]);
    const claimed = (r: HttpResult) => r.trials.filter((t) => t.phase === 'claim');
    expect(claimed(a).map((t) => t.level.connections)).toEqual(Array(10).fill(64));
    expect(claimed(saved.get('b')!).map((t) => t.level.connections)).toEqual(Array(10).fill(16));
    expect(records[0]).toMatchObject({ rounds: 10, stoppedBy: 'decided', levels: { a: '64', b: '16' }, levelsFrom: 'sweep' });
    // Warmups at the sweep's levels, then at each target's claim level, before the claim rounds.
    expect(calls.filter((c) => c.endsWith('/0.005'))).toEqual(['a@16/0.005', 'b@16/0.005', 'a@64/0.005', 'b@64/0.005', 'a@64/0.005', 'b@16/0.005']);
    // The claim's figure: claim rounds only, paired by claim round, at each target's own level.
    const kind = httpResultKind({ scenario: 'json', title: 'JSON', endpoint: '/json' });
    const fa = kind.figure('best-rps', a, fakeResults());
    const fb = kind.figure('best-rps', saved.get('b')!, fakeResults());
    if (typeof fa === 'string' || typeof fb === 'string') throw new Error('no figure');
    expect(fa.samples.map((s) => s.pairKey)).toEqual(fb.samples.map((s) => s.pairKey));
    expect(fa.samples[0]!.pairKey).toBe('claim round 1');
    expect(fa.detail).toMatch(/^claim level 64 connections \(its best in the sweep, chosen before the claim rounds\), 10 claim rounds/);
    expect(fa.samples.every((s) => s.value === 2000)).toBe(true);
  });

  it('without a claim resting on it, the sweep is all: no claim rounds', async () => {
    const saved = new Map<string, HttpResult>();
    const ctx = context(noClaims(2), [], { load: { connections: [16, 64], durationS: 0.01, warmupS: 0, trials: 2, pipelining: 1 }, loaders: { http: loader([]), ws: fakeWsLoader() }, save: (name, r) => void saved.set(name, structuredClone(r as HttpResult)) });
    await runHttpTrials(await targets(['a', 'b']), ctx as ScenarioContext<HttpResult>, { endpoint: '/json', levels: [{ connections: 16 }, { connections: 64 }], load: ctx.load });
    expect(saved.get('a')!.trials.map((t) => t.phase)).toEqual(['sweep', 'sweep', 'sweep', 'sweep']);
  });

  it('with one level, no sweep: the claim rounds run at the profile\'s level', async () => {
    const saved = new Map<string, HttpResult>();
    const records: DoneRecord[] = [];
    const ctx = context(noClaims(3, records), [], { loaders: { http: loader([]), ws: fakeWsLoader() }, save: (name, r) => void saved.set(name, structuredClone(r as HttpResult)) });
    await runHttpTrials(await targets(['a', 'b']), ctx as ScenarioContext<HttpResult>, { endpoint: '/json', levels: [{ connections: 16 }], load: ctx.load });
    expect(saved.get('a')!.trials.map((t) => `${t.phase}@${t.level.connections}`)).toEqual(['claim@16', 'claim@16', 'claim@16']);
    expect(records[0]).toMatchObject({ levelsFrom: 'profile', levels: { a: '16', b: '16' }, stoppedBy: 'no-claims' });
  });
});
