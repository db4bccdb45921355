// What the WebSocket scenarios (ws-capacity, ws-echo, ws-broadcast) share: the protocol a target
// speaks (plain WebSocket, or Socket.IO's over WebSocket) and whether the run's WebSocket loader
// speaks it, contract checks before load, and the interleaved rounds of timed trials that echo and
// broadcast run (like the HTTP trials: every target gets one trial per round, the order rotated every
// round, each saved at once). Their load is their shared option, `ws` (ws-options.ts).
import { z } from 'zod';
import type { WsLoader, WsProtocol } from '../harness/load/ws/index.ts';
import { verifyWsBroadcast, verifyWsEcho } from '../harness/load/ws/verify.ts';
import { UserError } from '../harness/errors.ts';
import { assertAlive } from '../harness/run/alive.ts';
import { runClaimRounds } from '../harness/run/rounds.ts';
import { monitorResources } from '../harness/runtime/resource-monitor.ts';
import { fmtMs } from '../harness/report/format.ts';
import { resourceUseSchema } from '../harness/schema.ts';
import type { CheckResult, ResourceUse, RunningTarget, ScenarioContext, Target } from '../harness/types.ts';

export type WsEndpoint = '/ws/echo' | '/ws/broadcast';

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

/**
 * The targets the run's WebSocket loader can talk to on an endpoint: one that speaks Socket.IO needs a
 * loader that does; the others are marked failed, saying why, and left out.
 */
export async function speakable(targets: RunningTarget[], ctx: Pick<ScenarioContext<unknown>, 'loaders' | 'fail' | 'progress'>, endpoint: WsEndpoint): Promise<RunningTarget[]> {
  const out: RunningTarget[] = [];
  for (const t of targets) {
    const protocol = wsProtocol(t.target, endpoint);
    if (protocol.name === 'websocket' || ctx.loaders.ws.can.socketio) {
      out.push(t);
      continue;
    }
    const error = new UserError(`${t.target.decl.name} speaks Socket.IO on ${endpoint}, which the WebSocket loader ${describeWsLoader(ctx.loaders.ws)} does not.`, 'Run it with a WebSocket loader that speaks Socket.IO (the harness\'s does).');
    ctx.progress.warn(error.message);
    await ctx.fail(t.target.decl.name, error);
  }
  return out;
}

/** "harness-ws 1 on bun 1.4.5". */
export const describeWsLoader = (loader: Pick<WsLoader, 'name' | 'version' | 'runtime'>): string => `${loader.name} ${loader.version} on ${loader.runtime}`;

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
 * harness/run/rounds.ts, which saves `result(t)` after each trial): the target's resources are
 * sampled while `measure` runs; a target that breaks is marked failed and leaves the rotation.
 * `record` adds each trial to the target's result.
 */
export async function runWsRounds<T, R>(
  targets: RunningTarget[],
  ctx: ScenarioContext<R>,
  o: { trialS: number; label: string; result(t: RunningTarget): R; measure(t: RunningTarget): Promise<T>; record(t: RunningTarget, trial: T, frame: WsTrialFrame): void },
): Promise<void> {
  await runClaimRounds(targets, ctx, {
    label: o.label,
    trialS: o.trialS,
    result: o.result,
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
