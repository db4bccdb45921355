// What the WebSocket scenarios (ws-capacity, ws-echo, ws-broadcast) share: their load from the
// profile, the protocol a target speaks (plain WebSocket, or Socket.IO's over WebSocket), the
// harness's WebSocket loader on the loader CPUs, contract checks before load, and the interleaved
// rounds of timed trials that echo and broadcast run (like the HTTP trials: every target gets one
// trial per round, the order rotated every round, each saved at once).
import { z } from 'zod';
import { resolveLoaderRuntime } from '../harness/load/loader-runtime.ts';
import { createWsLoader, type WsLoader, type WsProtocol } from '../harness/load/ws/index.ts';
import { verifyWsBroadcast, verifyWsEcho } from '../harness/load/ws/verify.ts';
import { UserError } from '../harness/errors.ts';
import { assertAlive } from '../harness/run/alive.ts';
import { runClaimRounds } from '../harness/run/rounds.ts';
import { monitorResources, type ResourceUse } from '../harness/runtime/resource-monitor.ts';
import { fmtMs } from '../harness/report/format.ts';
import type { CheckResult, LoadShape, RunningTarget, ScenarioContext, Target } from '../harness/types.ts';

export type WsEndpoint = '/ws/echo' | '/ws/broadcast';
export type WsLoad = NonNullable<LoadShape['ws']>;

export const wsLatencySchema = z.object({ p50: z.number(), p90: z.number(), p95: z.number(), p99: z.number(), p999: z.number(), mean: z.number(), max: z.number() });

export const resourceUseSchema = z.object({
  memoryBytesPeak: z.number().nullable(),
  memoryBytesMean: z.number().nullable(),
  rssBytesPeak: z.number().nullable(),
  cpuPct: z.number().nullable(),
});

/** What every ws-echo and ws-broadcast trial records besides its own figures. */
export const wsTrialBaseSchema = z.object({
  round: z.number().int().positive(),
  order: z.number().int().nonnegative(),
  startedAt: z.string(),
  endedAt: z.string(),
  clients: z.number().int().nonnegative(),
  durationS: z.number(),
  /** Frames that were no load message (another event, a packet the protocol does not expect). */
  unexpected: z.number().int().nonnegative().default(0),
  /** Clients closed by the server or the network during the trial. */
  dropped: z.number().int().nonnegative(),
  loaderCpuPct: z.number().nullable(),
  loaderBound: z.boolean(),
  target: resourceUseSchema,
});

export function wsLoadOf(load: LoadShape): WsLoad {
  if (!load.ws) throw new UserError('The WebSocket scenarios need the profile\'s `ws` load, which this load shape lacks.', 'Run with --profile quick or --profile full.');
  return load.ws;
}

/** The wire protocol the target speaks on an endpoint (see its target.json `websocket.socketio`). */
export function wsProtocol(target: Target, endpoint: WsEndpoint): WsProtocol {
  const sio = target.decl.websocket?.socketio;
  if (!sio) return { name: 'websocket' };
  const namespace = sio.namespaces[endpoint];
  if (!namespace) throw new UserError(`${target.decl.name}/target.json: websocket.socketio.namespaces names no namespace for ${endpoint}.`, `Add "${endpoint}": "/<namespace>" to it.`);
  return { name: 'socket.io', path: sio.path, namespace };
}

export const protocolLabel = (p: WsProtocol): string => (p.name === 'websocket' ? 'WebSocket' : `Socket.IO (namespace ${p.namespace})`);

export const wsUrl = (running: RunningTarget, endpoint: WsEndpoint): string => `${running.url}${endpoint}`;

/** The harness's WebSocket loader, one worker per loader CPU, run by Bun where it runs (as the HTTP loader). */
export async function scenarioWsLoader(ctx: Pick<ScenarioContext<unknown>, 'pinning'>): Promise<WsLoader> {
  return createWsLoader({ cpus: ctx.pinning.loaderCpus, runtime: await resolveLoaderRuntime() });
}

/** "harness-ws 1 on bun 1.4.5". */
export const describeWsLoader = (loader: WsLoader): string => `${loader.name} ${loader.version} on ${loader.runtime}`;

/** Contract checks of one WebSocket endpoint, in the target's protocol. */
export function verifyWsEndpoint(endpoint: WsEndpoint) {
  return async (running: RunningTarget): Promise<CheckResult[]> => {
    // Socket.IO's first ping comes 25 s after the connect: waiting for it before every scenario would
    // cost minutes; the loader answers pings, and its integration tests check that it does.
    const options = { protocol: wsProtocol(running.target, endpoint), heartbeatWaitMs: 0 };
    return endpoint === '/ws/echo' ? verifyWsEcho(wsUrl(running, endpoint), options) : verifyWsBroadcast(wsUrl(running, endpoint), options);
  };
}

/** What one timed trial gives besides its own figures: when, in which round and position, and the target's resource use. */
export interface WsTrialFrame {
  round: number;
  order: number;
  startedAt: string;
  endedAt: string;
  target: ResourceUse;
}

/**
 * Interleaved rounds of timed trials, driven by the claims resting on the scenario (see
 * harness/run/rounds.ts): the target's resources are sampled while `measure` runs; a target that
 * breaks is marked failed and leaves the rotation. `record` gets each trial and saves it.
 */
export async function runWsRounds<T>(
  targets: RunningTarget[],
  ctx: ScenarioContext<unknown>,
  o: { trialS: number; label: string; measure(t: RunningTarget): Promise<T>; record(t: RunningTarget, trial: T, frame: WsTrialFrame): void },
): Promise<void> {
  await runClaimRounds(targets, ctx, {
    label: o.label,
    trialS: o.trialS,
    trial: async (t, round, position) => {
      const monitor = monitorResources(t, t.statsIntervalMs);
      const startedAt = new Date().toISOString();
      monitor.start();
      const trial = await o.measure(t).catch(async (error: unknown) => {
        await monitor.stop();
        throw error;
      });
      const use = await monitor.stop();
      // A target that died during the trial measured its own death: the trial is not kept.
      await assertAlive(t);
      o.record(t, trial, { round, order: position, startedAt, endedAt: new Date().toISOString(), target: use });
    },
  });
}

/** "p50 1.2 ms, p95 3.4 ms, p99 5.6 ms". */
export const fmtLatency = (l: { p50: number; p95: number; p99: number }): string => `p50 ${fmtMs(l.p50)} ms, p95 ${fmtMs(l.p95)} ms, p99 ${fmtMs(l.p99)} ms`;

/** What ended a capacity ramp because of the loader's machine, not the target: the figure is then a lower bound. */
export const LOADER_LIMITS = ['ceiling', 'ports', 'file-descriptors', 'loader-memory'] as const;
