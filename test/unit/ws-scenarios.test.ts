// The WebSocket scenarios' pure parts: memory per connection and the 1M extrapolation, which
// targets need Redis for a broadcast and what carried it, the protocol a target speaks, the
// capacity figure (a lower bound at the ceiling), the claims on it (Node/Channels users, and the
// 1M+ claims set against the machine's memory, never more than inconclusive), and the report.
import { describe, expect, it } from 'vitest';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import { optionDeclarations, resolveOptions } from '../../harness/run/options.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import type { HttpLoader, RunningTarget, Scenario, ScenarioOptions, Target, TargetDeclaration } from '../../harness/types.ts';
import { redisService } from '../../harness/services/redis.ts';
import { carriedBy, needsRedis, wsBroadcastScenario } from '../../scenarios/ws-broadcast.ts';
import { wsEchoScenario } from '../../scenarios/ws-echo.ts';
import { memorySlope, MILLION, wsCapacityScenario, type CapacityResult } from '../../scenarios/ws-capacity.ts';
import { speakable, wsProtocol } from '../../scenarios/ws-common.ts';
import { wsOptions } from '../../scenarios/ws-options.ts';
import { fakeResults, measurement } from '../fixtures/results.ts';
import { fakeWsLoader } from '../fixtures/fake-runtime.ts';

const latency = (p95: number) => ({ p50: p95 / 2, p90: p95 * 0.9, p95, p99: p95 * 1.2, p999: p95 * 1.5, mean: p95 / 2, max: p95 * 2 });

const target = (websocket: TargetDeclaration['websocket'], name = 't'): Target =>
  ({ dir: '/x', decl: { name, title: name, description: '', language: 'javascript', framework: 'x', server: 'x', baseline: false, endpoints: ['/ws/echo', '/ws/broadcast'], websocket } as unknown as TargetDeclaration });

function ramp(n: number, held: number, stop: CapacityResult['ramps'][number]['stopReason'], perClient = 20_000): CapacityResult['ramps'][number] {
  const steps = [250, 500, 750, 1000].filter((c) => c <= Math.max(held, 250)).map((connected, i) => ({
    step: i + 1,
    requested: connected,
    connected,
    failedConnects: 0,
    handshakesPerS: 3000,
    handshakeMs: latency(10),
    dropped: 0,
    rttMs: latency(connected > held ? 400 : 5),
    rttSent: 100,
    rttLost: 0,
    rttUnexpected: 0,
    loaderCpuPct: 20,
    loaderBound: false,
    memoryBytes: 60e6 + perClient * connected,
    rssBytes: null,
    targetCpuPct: 10,
    atMs: 1000 * (i + 1),
    stop: null,
  }));
  return {
    ramp: n,
    startedAt: `2026-11-24T10:0${n}:00.000Z`,
    endedAt: `2026-11-24T10:0${n}:30.000Z`,
    idleBytes: 60e6,
    steps,
    stopReason: stop,
    stopDetail: stop,
    maxClientsWithinLimits: held,
    maxConnected: steps.at(-1)!.connected,
    lowerBound: stop === 'ceiling',
    handshakes: { ok: held, failed: 0, perS: 3000, latencyMs: latency(10), errorKinds: {} },
    sourceAddresses: 1,
    openFilesLimit: 1_048_576,
    loaderWorkers: 1,
    memoryPerClientBytes: perClient,
    projected1MBytes: 60e6 + perClient * MILLION,
    targetOpenFiles: null,
  };
}

const capacity = (ramps: CapacityResult['ramps']): CapacityResult => ({
  protocol: 'websocket',
  loader: 'harness-ws 1 on bun 1.4.5',
  stepClients: 250,
  ceiling: 1000,
  rttLimitMs: 250,
  maxFailureRatio: 0.01,
  sampleMessages: 100,
  messageBytes: 32,
  memoryLabel: 'PSS summed over the process tree',
  workers: 1,
  targetOpenFilesLimit: 20_000,
  schedule: 'alternating',
  ramps,
});

describe('memory per connection', () => {
  it('is the least-squares slope over the held clients, extrapolated to 1M', () => {
    const s = memorySlope([
      { clients: 0, bytes: 50e6 },
      { clients: 1000, bytes: 70e6 },
      { clients: 2000, bytes: 90e6 },
    ]);
    expect(s!.perClient).toBeCloseTo(20_000, 6);
    expect(s!.projected1M).toBeCloseTo(50e6 + 20_000 * 1e6, 0);
  });

  it('gives nothing from one client count or from memory that did not grow', () => {
    expect(memorySlope([{ clients: 1000, bytes: 70e6 }])).toBeNull();
    expect(memorySlope([{ clients: 0, bytes: 70e6 }, { clients: 1000, bytes: 69e6 }])).toBeNull();
  });
});

describe('who needs Redis for a broadcast, and what carried it', () => {
  const channels = target({ library: 'Channels', broadcast: 'a Channels group on channels_redis', redis: 'always' });
  const ws = target({ library: 'ws', broadcast: 'Redis pub/sub with several workers', redis: 'several-workers' });
  it('Channels always; Node with several workers only', () => {
    expect([needsRedis(channels, 1), needsRedis(channels, 2), needsRedis(ws, 1), needsRedis(ws, 2)]).toEqual([true, true, false, true]);
  });
  it('says so in words', () => {
    expect(carriedBy(channels, 1, true)).toBe('Redis: a Channels group on channels_redis');
    expect(carriedBy(ws, 1, true)).toMatch(/one worker's own clients/);
    expect(carriedBy(ws, 2, true)).toMatch(/^Redis, shared by the workers/);
  });
  it('only ws-broadcast asks for Redis, and needs it only for the targets that do', () => {
    expect(wsCapacityScenario.services ?? []).toEqual([]);
    expect(wsEchoScenario.services ?? []).toEqual([]);
    expect(wsBroadcastScenario.services).toEqual([redisService]);
    expect([wsBroadcastScenario.needsService!(redisService, channels, 1), wsBroadcastScenario.needsService!(redisService, ws, 1), wsBroadcastScenario.needsService!(redisService, ws, 2)]).toEqual([true, false, true]);
  });
});

describe('the protocol a target speaks', () => {
  it('plain WebSocket unless the target declares Socket.IO, whose namespace serves each endpoint', () => {
    expect(wsProtocol(target({ library: 'ws', broadcast: 'x', redis: 'several-workers' }), '/ws/echo')).toEqual({ name: 'websocket' });
    const sio = target({ library: 'Socket.IO', broadcast: 'x', redis: 'several-workers', socketio: { path: '/socket.io/', namespaces: { '/ws/echo': '/echo', '/ws/broadcast': '/broadcast' } } });
    expect(wsProtocol(sio, '/ws/broadcast')).toEqual({ name: 'socket.io', path: '/socket.io/', namespace: '/broadcast' });
    expect(() => wsProtocol(target({ library: 'Socket.IO', broadcast: 'x', redis: 'always', socketio: { path: '/socket.io/', namespaces: {} } }), '/ws/echo')).toThrow(/names no namespace for \/ws\/echo/);
  });
});

describe('the WebSocket loader of the run', () => {
  it('is asked whether it speaks Socket.IO: a target that does is failed, saying why, where the loader does not', async () => {
    const sio = target({ library: 'Socket.IO', broadcast: 'x', redis: 'several-workers', socketio: { path: '/socket.io/', namespaces: { '/ws/echo': '/echo' } } }, 'sio');
    const plain = target({ library: 'ws', broadcast: 'x', redis: 'several-workers' }, 'plain');
    const running = [sio, plain].map((t) => ({ target: t }) as RunningTarget);
    const failed: string[] = [];
    const ctx = (socketio: boolean) => ({ loaders: { http: {} as HttpLoader, ws: fakeWsLoader({ socketio }) }, fail: async (name: string, e: unknown) => void failed.push(`${name}: ${(e as Error).message}`), progress: { step() {}, info() {}, warn() {} } });
    expect(await speakable(running, ctx(true), '/ws/echo')).toEqual(running);
    expect(failed).toEqual([]);
    expect(await speakable(running, ctx(false), '/ws/echo')).toEqual([running[1]]);
    expect(failed).toEqual(['sio: sio speaks Socket.IO on /ws/echo, which the WebSocket loader fake-ws 0 on none does not.']);
  });
});

describe('WebSocket load: the option the three scenarios share', () => {
  it('is one declaration, under `ws`', () => {
    expect(optionDeclarations([wsCapacityScenario, wsEchoScenario, wsBroadcastScenario] as Scenario[])).toEqual([wsOptions]);
  });

  it('--ws-step and --ws-ceiling override the profile, in bench.config.ts too, and a ceiling below the step is refused', () => {
    const decls = [wsOptions] as ScenarioOptions[];
    expect(resolveOptions(decls, 'quick', { flags: { 'ws-step': '100', 'ws-ceiling': '500' } }).ws).toMatchObject({ step: 100, ceiling: 500, ramps: wsOptions.defaults.quick.ramps });
    expect(resolveOptions(decls, 'full', { config: { ws: { ceiling: 8000 } } }).ws).toEqual({ ...wsOptions.defaults.full, ceiling: 8000 });
    expect(resolveOptions(decls, 'full').ws).toEqual(wsOptions.defaults.full);
    expect(() => resolveOptions(decls, 'quick', { flags: { 'ws-step': '1000', 'ws-ceiling': '500' } })).toThrow(/--ws-ceiling \(500\) is below --ws-step \(1000\)/);
    expect(() => resolveOptions(decls, 'quick', { flags: { 'ws-step': 'many' } })).toThrow(/--ws-step: "many" is not a whole number/);
  });
});

describe('claims on WebSocket capacity', () => {
  const run = (node: CapacityResult, django: CapacityResult) => {
    const r = fakeResults();
    r.measurements.push(measurement('node', 'ws-capacity', node), measurement('django', 'ws-capacity', django));
    return r;
  };

  /** `n` ramps, each holding `clients` and stopped by `why`. */
  const ramps = (n: number, clients: number, why: Parameters<typeof ramp>[2]) => capacity(Array.from({ length: n }, (_, i) => ramp(i + 1, clients, why)));

  it('judges Node vs Channels users pair by pair across ramps', () => {
    const r = run(ramps(12, 750, 'rtt-limit'), ramps(12, 250, 'rtt-limit'));
    const v = evaluateClaims(r).find((x) => x.claim.id === 'websocket-users')!;
    expect(v.ratio).toMatchObject({ value: 3, basis: 'paired', n: 12 });
    expect(v.verdict).toBe('supported');
  });

  it('a target that held the ceiling is a lower bound: only a ratio already above the band refutes, and the limit is named', () => {
    const low = evaluateClaims(run(ramps(12, 1000, 'ceiling'), ramps(12, 500, 'rtt-limit'))).find((x) => x.claim.id === 'websocket-users')!;
    expect(low).toMatchObject({ verdict: 'inconclusive', decision: { how: 'limit' } });
    expect(low.reason).toMatch(/^node stopped at the run's ceiling of 1,000 clients \(a safety bound\) in 12 of 12 ramps \(its figure is a lower bound\)/);
    // Each side's stop is named, the framework's limit as such.
    expect(low.reason).toMatch(/node stopped by the run's ceiling of 1,000 clients \(a safety bound\) in 12 of 12 ramps, django by its p95 round trip passing 250 ms \(the framework's limit\) in 12 of 12 ramps$/);
    const high = evaluateClaims(run(ramps(12, 1000, 'ceiling'), ramps(12, 250, 'rtt-limit'))).find((x) => x.claim.id === 'websocket-users')!;
    expect(high.verdict).toBe('refuted'); // at least 4x against a band of 2.5-3.5
  });

  it('both sides at the ceiling: the run\'s limit, not the frameworks, so no more rounds are asked for', () => {
    const both = evaluateClaims(run(ramps(1, 1000, 'ceiling'), ramps(1, 1000, 'ceiling'))).find((x) => x.claim.id === 'websocket-users')!;
    expect(both).toMatchObject({ verdict: 'inconclusive', decision: { how: 'limit' } });
    expect(both.reason).toMatch(/^both sides stopped at the run's ceiling of 1,000 clients \(a safety bound\), a limit of this run and machine, not of the frameworks/);
  });

  const fdRamps = (n: number, clients: number) =>
    capacity(Array.from({ length: n }, (_, i) => ({ ...ramp(i + 1, clients, 'target-open-files'), lowerBound: true, targetOpenFiles: { limit: 20_000, processes: 1, source: 'read inside the container' } })));

  it('both sides at the open-files limit of their processes: no verdict, whatever the ramps, and the limit is named', () => {
    const v = evaluateClaims(run(fdRamps(12, 1000), fdRamps(12, 1000))).find((x) => x.claim.id === 'websocket-users')!;
    expect(v).toMatchObject({ verdict: 'inconclusive', decision: { how: 'limit' } });
    expect(v.reason).toMatch(/^both sides stopped at the open-files limit of the target's processes \(20,000 each, 1 worker\(s\)\) in 12 of 12 ramps, a limit of this run and machine/);
  });

  it('a lower bound over a framework limit may decide: node at the open-files limit over Channels at its round-trip limit', () => {
    const v = evaluateClaims(run(fdRamps(12, 1000), ramps(12, 250, 'rtt-limit'))).find((x) => x.claim.id === 'websocket-users')!;
    expect(v.verdict).toBe('refuted'); // at least 4x against 2.5-3.5
    expect(v.reason).toMatch(/node stopped at the open-files limit of the target's processes .* so the true ratio is even higher/);
  });

  it('memory at scale: judged at the most clients both sides held, measured there, not extrapolated', () => {
    // node holds 20 kB per connection, django 40 kB, both from 60 MB idle; django held 500, node 1,000.
    const r = run(ramps(12, 1000, 'ceiling'), capacity(Array.from({ length: 12 }, (_, i) => ramp(i + 1, 500, 'rtt-limit', 40_000))));
    const v = evaluateClaims(r).find((x) => x.claim.id === 'memory:at-scale')!;
    expect(v.claim).toMatchObject({ scenario: 'ws-capacity', figure: 'memory-at-scale', numerator: 'node', denominator: 'django' });
    // At 500 clients: node 60 MB + 10 MB, django 60 MB + 20 MB.
    expect(v.ratio!.value).toBeCloseTo(70 / 80, 6);
    expect(v.numerator!.detail).toMatch(/memory while holding 500 clients \(the most both sides reached\)/);
    expect(v.verdict).toBe('supported');
    const none = evaluateClaims(run(ramps(12, 1000, 'ceiling'), capacity([]))).find((x) => x.claim.id === 'memory:at-scale')!;
    expect(none.decision.how).toBe('not-measured');
  });

  it('sets the 1M+ claims against the machine\'s memory, as an extrapolation, never more than inconclusive', () => {
    // 20 kB per connection: 1M need ~20 GB of this 24 GiB machine; 40 kB: ~40 GB, more than it has.
    const r = run(capacity([ramp(1, 1000, 'ceiling', 20_000)]), capacity([ramp(1, 250, 'rtt-limit', 40_000)]));
    const node = evaluateClaims(r).find((x) => x.claim.id === 'node-1m-connections')!;
    const channels = evaluateClaims(r).find((x) => x.claim.id === 'channels-1m-users')!;
    expect(node.verdict).toBe('inconclusive');
    expect(node.reason).toMatch(/^an extrapolation, not a measurement .*: 1,000,000 connections would need about 18\.7 GiB, 95\.0% interval 18\.7-18\.7 GiB \(least squares through 4 steps of 1 ramp\(s\).*\), 0\.78x this machine's 24\.0 GiB \(its total: the run recorded no available memory\), so memory alone would not stop them here/);
    expect(channels.verdict).toBe('inconclusive');
    expect(channels.reason).toMatch(/would need about 37\.3 GiB, no interval \(too few steps for one\), 1\.55x this machine's 24\.0 GiB .*, so they would not fit/);
    expect(node.denominator).toMatchObject({ target: 'this machine', value: 24 * 1024 ** 3 });
    // Set against the memory available when the run started, where the run recorded it.
    r.environment.memoryAvailableBytes = 16 * 1024 ** 3;
    const available = evaluateClaims(r).find((x) => x.claim.id === 'node-1m-connections')!;
    expect(available.reason).toMatch(/1\.17x the 16\.0 GiB available when the run started, so even its interval's low end would not fit/);
  });

  it('the 1M interval comes from the fit through every ramp\'s steps, and widens with their scatter', () => {
    const noisy = capacity([1, 2, 3].map((n) => {
      const x = ramp(n, 1000, 'ceiling', 20_000);
      return { ...x, steps: x.steps.map((s, i) => ({ ...s, memoryBytes: s.memoryBytes! + ((i + n) % 2 ? 3e6 : -3e6) })) };
    }));
    const r = run(noisy, capacity([ramp(1, 250, 'rtt-limit')]));
    const v = evaluateClaims(r).find((x) => x.claim.id === 'node-1m-connections')!;
    const m = /interval ([\d.]+)-([\d.]+) GiB \(least squares through 12 steps of 3 ramp/.exec(v.reason);
    expect(m).not.toBeNull();
    expect(Number(m![2]) - Number(m![1])).toBeGreaterThan(1);
  });

  it('the report shows the capacity curve and labels the 1M figure an extrapolation', () => {
    const r = run(capacity([ramp(1, 1000, 'ceiling')]), capacity([ramp(1, 500, 'rtt-limit')]));
    const md = renderMarkdown(r);
    expect(md).toContain('## Scenario `ws-capacity`');
    expect(md).toMatch(/\| node \| websocket \| 1 \| 20,000 \| ≥ 1,000 \| no interval \(1 sample\) \| the run's ceiling of 1,000 clients \(a safety bound\) \|/);
    expect(md).toMatch(/\| django \| websocket \| 1 \| 20,000 \| 500 \|/);
    expect(md).toContain('**The 1M figure is an extrapolation**');
    expect(md).toMatch(/node: stopped by the run's ceiling of 1,000 clients \(a safety bound\), a limit of this run or machine/);
  });
});
