// Scenario `ws-capacity`: how many WebSocket clients a target holds. After hashrocket's
// websocket-shootout: add clients in steps, each held open; after each step send a sample of echo
// messages over distinct held clients and measure their round trip; stop when the p95 round trip
// passes a limit or when more than 1% of a step's connects fail (the framework's limit), or at a
// limit of the machine: the target's processes out of descriptors (their open-files limit, read from
// them in both runtimes), the loader's ports, descriptors or memory, or the ceiling, a safety bound;
// then the figure is a lower bound and says which limit stopped it.
// After each step the target's memory and CPU are read while the clients stay connected; the slope
// of memory over held clients gives the memory per connection and, labelled as an extrapolation,
// what 1,000,000 connections would need. Each ramp runs on a freshly started target (one process's
// readings are one sample), ramps alternating across targets in a rotating order.
import { setTimeout as sleep } from 'node:timers/promises';
import { assertAlive } from '../harness/run/alive.ts';
import { plannedRoundsSeconds, runClaimRounds } from '../harness/run/rounds.ts';
import { fmtInt, fmtMs } from '../harness/report/format.ts';
import type { WsCapacityStep } from '../harness/load/ws/index.ts';
import type { OpenFilesLimit, RunningTarget, Scenario, ScenarioContext } from '../harness/types.ts';
import { capacityKind, memorySlope, type CapacityResult, type CapacityStep } from './ws-capacity-kind.ts';
import { describeWsLoader, LOADER_LIMITS, speakable, verifyWsEndpoint, wsProtocol, wsUrl } from './ws-common.ts';
import { wsOptions, type WsOptions } from './ws-options.ts';

export { MILLION, memorySlope, type CapacityResult } from './ws-capacity-kind.ts';
type Ramp = CapacityResult['ramps'][number];

/** Connects failing once the target holds this share of what its processes may open: the machine's limit. */
const OPEN_FILES_REACH = 0.9;

/** Idle memory is read this long after the target is ready. */
const SETTLE_MS = 1000;

/** Seconds one ramp of one target takes at most, for the plan: per step the connects (~2,000/s) and the sample (200 messages/s); a start and settle. */
function plannedRampSeconds(ws: WsOptions): number {
  return Math.ceil(ws.ceiling / ws.step) * (ws.step / 2000 + ws.sampleMessages / 200) + 3;
}

type Ctx = ScenarioContext<CapacityResult, WsOptions>;

export const wsCapacityScenario: Scenario<CapacityResult, WsOptions> = {
  name: 'ws-capacity',
  description: 'WebSocket clients held: clients added in steps, each held open, until the p95 echo round trip passes a limit, connects fail, or the ceiling; memory per connection from the held steps.',
  options: wsOptions,
  requires: ['/ws/echo'],
  schedule: 'alternating',
  kind: capacityKind,
  verify: verifyWsEndpoint('/ws/echo'),

  plannedSeconds: (load, _profile, targets, claimTargets, ws) => plannedRoundsSeconds({ ...load, trials: ws.ramps }, plannedRampSeconds(ws), targets, claimTargets),

  async run(all, ctx) {
    const ws = ctx.options;
    const targets = await speakable(all, ctx, '/ws/echo');
    if (!targets.length) return;
    const results = new Map(
      targets.map((t) => {
        const protocol = wsProtocol(t.target, '/ws/echo');
        const r: CapacityResult = {
          protocol: protocol.name,
          loader: describeWsLoader(ctx.loaders.ws),
          stepClients: ws.step,
          ceiling: ws.ceiling,
          rttLimitMs: ws.rttLimitMs,
          maxFailureRatio: 0.01,
          sampleMessages: ws.sampleMessages,
          messageBytes: ws.messageBytes,
          memoryLabel: t.memoryLabel,
          workers: t.workers,
          targetOpenFilesLimit: null,
          schedule: 'alternating',
          ramps: [],
        };
        return [t, r];
      }),
    );
    // Ramps are the rounds, each on a fresh target: the profile's ramps for every target, then more
    // while the users claim is open (a ramp stopped by a limit of the machine is a lower bound, which
    // more ramps do not lift).
    await runClaimRounds(
      targets,
      ctx,
      {
        label: 'ramps',
        trialS: plannedRampSeconds(ws),
        fresh: {},
        result: (t) => results.get(t)!,
        trial: async (t, round, _position, instance) => {
          const r = results.get(t)!;
          // Each step is saved as it ends (a provisional ramp), so that Ctrl-C or a crash keeps what the ramp reached.
          const index = r.ramps.length;
          const keep = (x: Ramp) => {
            r.ramps[index] = x;
            ctx.save(t.target.decl.name, r);
          };
          // Read from the target's own processes (in a container, inside it): what one process may hold.
          const files = (await instance.openFilesLimit?.().catch(() => null)) ?? null;
          r.targetOpenFilesLimit ??= files?.limit ?? null;
          r.ramps[index] = await ramp(instance, round, r, files, ctx, keep);
          const last = r.ramps[index]!;
          ctx.progress.info(`${t.target.decl.name}: held ${last.lowerBound ? 'at least ' : ''}${fmtInt(last.maxClientsWithinLimits)} clients (${last.stopDetail})`);
        },
      },
      {},
      ws.ramps,
    );
  },
};

/** The ramp so far, while it is under way: marked 'caller' and a lower bound until the ramp's own result replaces it. */
function provisionalRamp(round: number, startedAt: string, idleBytes: number | null, steps: Ramp['steps'], r: CapacityResult, files: OpenFilesLimit | null): Ramp {
  const within = steps.filter((s) => s.rttMs.p95 <= r.rttLimitMs && s.failedConnects <= r.maxFailureRatio * r.stepClients);
  const last = steps.at(-1)!;
  return {
    ramp: round,
    startedAt,
    endedAt: new Date().toISOString(),
    idleBytes,
    steps: [...steps],
    stopReason: 'caller',
    stopDetail: 'The ramp was still under way when the run stopped: these steps are all it reached.',
    maxClientsWithinLimits: Math.max(0, ...within.map((s) => s.connected)),
    maxConnected: Math.max(...steps.map((s) => s.connected)),
    lowerBound: true,
    handshakes: { ok: last.connected, failed: steps.reduce((n, s) => n + s.failedConnects, 0), perS: last.handshakesPerS, latencyMs: last.handshakeMs, errorKinds: {} },
    sourceAddresses: 0,
    openFilesLimit: 0,
    targetOpenFiles: files,
    loaderWorkers: 1,
    memoryPerClientBytes: null,
    projected1MBytes: null,
  };
}

async function ramp(instance: RunningTarget, round: number, r: CapacityResult, files: OpenFilesLimit | null, ctx: Ctx, keep: (partial: Ramp) => void): Promise<Ramp> {
  const startedAt = new Date().toISOString();
  await sleep(SETTLE_MS);
  const idle = await instance.stats();
  const steps: CapacityStep[] = [];
  let last = idle;
  const result = await ctx.loaders.ws.capacity(
    { url: wsUrl(instance, '/ws/echo'), protocol: wsProtocol(instance.target, '/ws/echo'), stepClients: r.stepClients, maxClients: r.ceiling, rttLimitMs: r.rttLimitMs, maxFailureRatio: r.maxFailureRatio, sampleMessages: r.sampleMessages, messageBytes: r.messageBytes },
    {
      signal: ctx.signal,
      onStep: async (s: WsCapacityStep) => {
        // Read while the step's clients are held; a target that died ends the ramp (and fails below).
        const exited = await Promise.race([instance.exited, Promise.resolve(null)]);
        const now = await instance.stats();
        const cpuPct = now && last && now.atMs > last.atMs ? ((now.cpuSeconds - last.cpuSeconds) / ((now.atMs - last.atMs) / 1000)) * 100 : null;
        if (now) last = now;
        steps.push({
          step: s.step,
          requested: s.requested,
          connected: s.connected,
          failedConnects: s.handshakes.failed,
          handshakesPerS: s.handshakes.perS,
          handshakeMs: s.handshakes.latencyMs,
          dropped: s.dropped,
          rttMs: s.rtt.latencyMs,
          rttSent: s.rtt.sent,
          rttLost: s.rtt.lost,
          rttUnexpected: s.unexpected,
          loaderCpuPct: s.loaderCpuPct,
          loaderBound: s.loaderCpuPct !== null && s.loaderCpuPct >= ctx.loaderBoundPct,
          memoryBytes: now?.memoryBytes ?? null,
          rssBytes: now?.rssBytes ?? null,
          targetCpuPct: cpuPct,
          atMs: s.atMs,
          stop: s.stop,
          rttLatenessMs: s.rttLateness.latencyMs,
        });
        keep(provisionalRamp(round, startedAt, idle?.memoryBytes ?? null, steps, r, files));
        ctx.progress.info(`${instance.target.decl.name}: ${fmtInt(s.connected)} clients, RTT p95 ${fmtMs(s.rtt.latencyMs.p95)} ms, ${s.handshakes.failed} failed connects${now ? `, ${(now.memoryBytes / 2 ** 20).toFixed(0)} MiB` : ''}`);
        return exited ? 'stop' : undefined;
      },
    },
  );
  await assertAlive(instance);
  const lastStep = steps.at(-1);
  // Connects failing in a step that asked for about as many sockets as the target's processes may
  // open: the machine's limit, not the framework's (a runtime may even die of it).
  const asked = lastStep?.requested ?? 0;
  const fdBound = result.stopReason === 'failures' && files !== null && asked >= OPEN_FILES_REACH * files.limit * r.workers;
  // The marginal cost of a connection: the slope over the steps; the idle reading only when there are
  // fewer than two steps (the first connections also pay one-off costs: buffers, lazily loaded code).
  const held = steps.flatMap((s) => (s.memoryBytes === null || s.connected === 0 ? [] : [{ clients: s.connected, bytes: s.memoryBytes }]));
  const slope = memorySlope(held.length >= 2 || !idle ? held : [{ clients: 0, bytes: idle.memoryBytes }, ...held]);
  return {
    ramp: round,
    startedAt,
    endedAt: new Date().toISOString(),
    idleBytes: idle?.memoryBytes ?? null,
    steps,
    stopReason: fdBound ? 'target-open-files' : result.stopReason,
    stopDetail: fdBound ? `${result.stopDetail} The step asked for ${fmtInt(asked)} clients, ${asked > files!.limit * r.workers ? 'more than' : 'near'} what the target's processes may open here (${fmtInt(files!.limit)} descriptors each, ${r.workers} worker(s); ${files!.source}): the machine's limit, not the framework's.` : result.stopDetail,
    maxClientsWithinLimits: result.maxClientsWithinLimits,
    maxConnected: result.maxConnected,
    lowerBound: (LOADER_LIMITS as readonly string[]).includes(result.stopReason) || fdBound || (result.stopReason === 'rtt-limit' && lastStep?.loaderBound === true),
    handshakes: { ok: result.handshakes.ok, failed: result.handshakes.failed, perS: result.handshakes.perS, latencyMs: result.handshakes.latencyMs, errorKinds: result.handshakes.errorKinds },
    sourceAddresses: result.sourceAddresses.length,
    openFilesLimit: result.openFilesLimit,
    targetOpenFiles: files,
    loaderWorkers: result.workers,
    memoryPerClientBytes: slope?.perClient ?? null,
    projected1MBytes: slope?.projected1M ?? null,
  };
}
