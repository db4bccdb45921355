// The offered rate of `ws-echo` and the loader's floor beside it. Latency is judged at the same
// offered rate for every target, set from a short probe of each target's echo capacity (a burst above
// it, open loop: the echoes per second while the queue drains), at a share of the slowest one's, so
// that the slower target works for real and every target can serve the rate (as memory's equal rate
// is set from json). The floor is the same load against a reference echo server that is not a
// target: what the loader, the kernel and the clock add to every round trip.
import { z } from 'zod';
import { startReferenceEcho } from '../harness/load/ws/reference-echo.ts';
import type { WsEchoResult } from '../harness/load/ws/index.ts';
import { fmtInt, fmtMs } from '../harness/report/format.ts';
import { latencyMsWithP95Schema } from '../harness/schema.ts';
import type { RunningTarget, ScenarioContext } from '../harness/types.ts';
import { wsProtocol, wsUrl } from './ws-common.ts';
import type { WsOptions } from './ws-options.ts';

/** Length of each target's capacity probe (its queue drains after it). */
export const PROBE_S = 1;
/** The probe counts a target as saturated when it echoed less than this share of what was sent per second. */
const SATURATED = 0.9;

export const probeSchema = z.object({
  target: z.string(),
  offered: z.number().nonnegative(),
  echoesPerS: z.number().nonnegative(),
  /** It echoed less than it was sent: echoesPerS is its capacity; else its capacity is at least the probe's rate. */
  saturated: z.boolean(),
  loaderCpuPct: z.number().nullable(),
});
export type Probe = z.infer<typeof probeSchema>;

export const rateSchema = z.object({
  /** Messages per second offered to every target, and per client. */
  total: z.number().positive(),
  perClient: z.number().positive(),
  share: z.number().positive().nullable(),
  /** Where the rate comes from, in words. */
  source: z.string(),
  probes: z.array(probeSchema),
});
export type EchoRate = z.infer<typeof rateSchema>;

export const floorTrialSchema = z.object({ startedAt: z.string(), rttMs: latencyMsWithP95Schema, latenessMs: latencyMsWithP95Schema, messagesPerS: z.number().nonnegative(), lost: z.number().int().nonnegative(), loaderCpuPct: z.number().nullable() });
export const floorSchema = z.object({ server: z.string(), trials: z.array(floorTrialSchema) });
export type EchoFloor = z.infer<typeof floorSchema>;

/** What the probe and the floor use of a ws-echo run: the loaders, the options, where to run and how to report. */
type Ctx = Pick<ScenarioContext<unknown, WsOptions>, 'loaders' | 'options' | 'progress' | 'signal' | 'pinning'>;

/** The offered rate: the profile's fixed rate per client where it sets no share, else the share of the slowest target's probed capacity. */
export async function echoRate(targets: RunningTarget[], ctx: Ctx): Promise<EchoRate> {
  const ws = ctx.options;
  const loader = ctx.loaders.ws;
  if (!ws.echoShare) {
    const perClient = ws.echoRatePerClient ?? 1;
    return { total: perClient * ws.echoClients, perClient, share: null, source: 'a fixed rate per client, set by the profile', probes: [] };
  }
  const offered = ws.echoProbeRate ?? 20_000;
  const probes: Probe[] = [];
  for (const t of targets) {
    ctx.progress.step(`probing ${t.target.decl.name}'s echo capacity for the equal rate`, PROBE_S);
    const e = await loader.echo({ url: wsUrl(t, '/ws/echo'), protocol: wsProtocol(t.target, '/ws/echo'), clients: ws.echoClients, ratePerClient: offered / ws.echoClients, durationS: PROBE_S, messageBytes: ws.messageBytes }, ctx.signal);
    probes.push(probeOf(t.target.decl.name, offered, e));
    ctx.progress.info(`${t.target.decl.name}: ${fmtInt(probes.at(-1)!.echoesPerS)} echoes/s under ${fmtInt(offered)}/s offered${probes.at(-1)!.saturated ? '' : ' (not saturated)'}`);
  }
  const slowest = probes.reduce((a, b) => (b.echoesPerS < a.echoesPerS ? b : a));
  const total = Math.max(1, Math.round(ws.echoShare * slowest.echoesPerS));
  const what = slowest.saturated ? `its echo capacity in a ${PROBE_S} s probe` : `the probe's ${fmtInt(offered)}/s, which no target fell behind (so the rate is a smaller share of their capacity than that)`;
  return { total, perClient: total / ws.echoClients, share: ws.echoShare, source: `${Math.round(ws.echoShare * 100)}% of ${slowest.target}'s ${fmtInt(slowest.echoesPerS)} echoes/s, ${what}`, probes };
}

export function probeOf(target: string, offered: number, e: WsEchoResult): Probe {
  return { target, offered, echoesPerS: e.messagesPerS, saturated: e.messagesPerS < SATURATED * offered, loaderCpuPct: e.loaderCpuPct };
}

/** The loader's floor at the rate: `trials` trials against a reference echo server on the targets' CPUs. */
export async function measureFloor(ctx: Ctx, rate: EchoRate, trials: number): Promise<EchoFloor> {
  const ws = ctx.options;
  const loader = ctx.loaders.ws;
  const server = await startReferenceEcho({ cpus: ctx.pinning.targetCpus });
  try {
    const floor: EchoFloor = { server: server.describe, trials: [] };
    for (let i = 0; i < trials && !ctx.signal.aborted; i++) {
      ctx.progress.step(`the loader's floor: ${fmtInt(ws.echoClients)} clients against the reference echo server, trial ${i + 1} of ${trials}`, ws.trialS);
      const startedAt = new Date().toISOString();
      const e = await loader.echo({ url: server.url, clients: ws.echoClients, ratePerClient: rate.perClient, durationS: ws.trialS, messageBytes: ws.messageBytes }, ctx.signal);
      floor.trials.push({ startedAt, rttMs: e.rtt.latencyMs, latenessMs: e.lateness.latencyMs, messagesPerS: e.messagesPerS, lost: e.rtt.lost, loaderCpuPct: e.loaderCpuPct });
      ctx.progress.info(`floor: p95 ${fmtMs(e.rtt.latencyMs.p95)} ms, schedule lateness p95 ${fmtMs(e.lateness.latencyMs.p95)} ms`);
    }
    return floor;
  } finally {
    await server.stop();
  }
}
