// Scenario `ws-broadcast`: N clients on /ws/broadcast, one of them sending round after round
// (closed loop: the next round leaves when the sender has its own copy of the last); the time until
// every client has a round (fan-out), per delivery, and deliveries per second. Trials interleave
// across targets round by round. Redis is this scenario's service: Django Channels' channel layer
// needs it always, Node's and Deno's broadcast only with several workers (a layer the workers
// share); where no Redis can be had, the targets that need it are skipped with the reason, never
// given an in-memory layer. The report says, per target, what carried the broadcast.
import { z } from 'zod';
import { redisService } from '../harness/services/redis.ts';
import { fmtInt, fmtInterval, fmtMs } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import { plannedRoundsSeconds } from '../harness/run/rounds.ts';
import { latencyMsWithP95Schema } from '../harness/schema.ts';
import type { Measurement, ResultKind, RunResults, Scenario, ServiceDeclaration, Target } from '../harness/types.ts';
import { describeWsLoader, fmtLatency, runWsRounds, speakable, verifyWsEndpoint, wsProtocol, wsTrialBaseSchema, wsUrl } from './ws-common.ts';
import { wsOptions, type WsOptions } from './ws-options.ts';

const broadcastTrialSchema = wsTrialBaseSchema.extend({
  /** Messages the sender sent, and those that reached every client still connected. */
  rounds: z.number().int().nonnegative(),
  completeRounds: z.number().int().nonnegative(),
  deliveries: z.number().int().nonnegative(),
  expectedDeliveries: z.number().int().nonnegative(),
  missing: z.number().int().nonnegative(),
  outOfOrder: z.number().int().nonnegative(),
  deliveriesPerS: z.number().nonnegative(),
  fanoutMs: latencyMsWithP95Schema,
  fanoutHistogramUs: z.string(),
  deliveryMs: latencyMsWithP95Schema,
  deliveryHistogramUs: z.string(),
});

const broadcastResultSchema = z.object({
  protocol: z.enum(['websocket', 'socket.io']),
  loader: z.string(),
  clients: z.number().int().positive(),
  messageBytes: z.number().int().positive(),
  durationS: z.number().positive(),
  rounds: z.number().int().positive(),
  mode: z.literal('closed'),
  schedule: z.literal('interleaved'),
  /** What carried the broadcast to every client in this run (the target's own clients, Redis, IPC...). */
  carriedBy: z.string(),
  memoryLabel: z.string(),
  workers: z.number().int().positive(),
  trials: z.array(broadcastTrialSchema),
});
export type BroadcastResult = z.infer<typeof broadcastResultSchema>;

/** Whether the target needs Redis for its broadcast with this many workers (its target.json `websocket.redis`). */
export function needsRedis(target: Target, workers: number): boolean {
  const w = target.decl.websocket;
  return w?.redis === 'always' || (w?.redis === 'several-workers' && workers > 1);
}

/** In words, what carries a broadcast of this target with these workers, with or without a Redis. */
export function carriedBy(target: Target, workers: number, redis: boolean): string {
  const w = target.decl.websocket;
  if (!w) return 'unknown (the target declares no websocket block)';
  if (w.redis === 'always') return `${redis ? 'Redis' : 'nothing (no Redis)'}: ${w.broadcast}`;
  if (workers <= 1) return `the one worker's own clients (1 worker)`;
  return `${redis ? 'Redis, shared by the workers' : 'a layer without Redis'}: ${w.broadcast}`;
}

const resultOf = (m: Measurement) => m.result as BroadcastResult | undefined;
type Trial = BroadcastResult['trials'][number];
const FIGURES = { 'deliveries-per-s': (t: Trial) => t.deliveriesPerS, 'fanout-p95': (t: Trial) => t.fanoutMs.p95 } as const;

const broadcastKind: ResultKind<BroadcastResult> = {
  schema: broadcastResultSchema,
  summaryLine(r) {
    if (!r.trials.length) return 'no trials';
    const d = estimate(r.trials.map((t) => t.deliveriesPerS));
    return `${fmtInt(d.median)} deliveries/s [${fmtInterval(d.ci, fmtInt)}] to ${fmtInt(r.clients)} clients, fan-out p95 ${fmtMs(estimate(r.trials.map((t) => t.fanoutMs.p95)).median)} ms (${r.trials.length} trials)`;
  },
  section(measurements, _run: RunResults) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.trials.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    const warnings: string[] = [];
    for (const { target, r } of rows) {
      const missing = r.trials.reduce((n, t) => n + t.missing, 0);
      if (missing) warnings.push(`${target}: ${fmtInt(missing)} deliveries missing under load (rounds that did not reach every client within the message timeout).`);
      const bound = r.trials.filter((t) => t.loaderBound).length;
      if (bound) warnings.push(`${target}: the loader's CPU was saturated in ${bound} of ${r.trials.length} trials: deliveries/s there may be the loader's limit (a lower bound), fan-out times include its queueing.`);
    }
    return {
      paragraphs: [
        `${fmtInt(first.clients)} clients on \`/ws/broadcast\`; one of them sends a ${first.messageBytes}-byte message, every client (the sender too) must receive it once, and the next round leaves when the sender has its own copy (closed loop) for ${first.durationS} s. Fan-out is the time from a round's send until the last client had it; deliveries/s counts every client's copy. ` +
          `Trials per target: ${rows.map(({ target, r }) => `${target} ${r.trials.length}`).join(', ')}, interleaved round by round. The loader: ${first.loader}. Workers per target: ${rows.map(({ target, r }) => `${target} ${r.workers}`).join(', ')}.`,
      ],
      tables: [
        {
          header: ['target', 'protocol', 'carried by', 'deliveries/s (median)', 'interval (level)', 'fan-out p50 ms', 'fan-out p95 ms', 'delivery p99 ms', 'rounds', 'missing', 'target CPU', 'trials'],
          rows: rows.map(({ target, r }) => {
            const d = estimate(r.trials.map((t) => t.deliveriesPerS));
            const med = (f: (t: Trial) => number) => estimate(r.trials.map(f)).median;
            const cpu = r.trials.flatMap((t) => (t.target.cpuPct === null ? [] : [t.target.cpuPct]));
            return [
              target,
              r.protocol,
              r.carriedBy,
              fmtInt(d.median),
              fmtInterval(d.ci, fmtInt),
              fmtMs(med((t) => t.fanoutMs.p50)),
              fmtMs(med((t) => t.fanoutMs.p95)),
              fmtMs(med((t) => t.deliveryMs.p99)),
              fmtInt(r.trials.reduce((n, t) => n + t.rounds, 0)),
              fmtInt(r.trials.reduce((n, t) => n + t.missing, 0)),
              cpu.length ? `${estimate(cpu).median.toFixed(0)}%` : 'n/a',
              String(r.trials.length),
            ];
          }),
        },
      ],
      warnings,
    };
  },
  charts(measurements) {
    const values = measurements.flatMap((m) => (resultOf(m)?.trials ?? []).map((t) => ({ target: m.target, rate: t.deliveriesPerS })));
    return [
      {
        name: 'ws-broadcast',
        title: 'WebSocket broadcast: deliveries per second',
        missing: 'no valid measurement of the `ws-broadcast` scenario in this run',
        spec: values.length
          ? vegaLite('Broadcast deliveries/s: bars are medians over trials, points the trials', {
              data: { values },
              layer: [
                { mark: 'bar', encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { aggregate: 'median', field: 'rate', type: 'quantitative', title: 'deliveries/s' }, color: { field: 'target', type: 'nominal', legend: null } } },
                { mark: { type: 'point', color: 'black', size: 20 }, encoding: { y: { field: 'target', type: 'nominal' }, x: { field: 'rate', type: 'quantitative' } } },
              ],
            })
          : null,
      },
    ];
  },
  series: (r) => [
    { metric: 'broadcast deliveries/s', unit: 'deliveries/s', higherIsBetter: true, samples: r.trials.map((t) => t.deliveriesPerS) },
    { metric: 'fan-out p95', unit: 'ms', higherIsBetter: false, samples: r.trials.map((t) => t.fanoutMs.p95) },
  ],
  figureNames: Object.keys(FIGURES),
  figure(name, r) {
    const pick = FIGURES[name as keyof typeof FIGURES];
    if (!pick) return `no figure "${name}"`;
    if (!r.trials.length) return 'no trials';
    return {
      samples: r.trials.map((t) => ({ value: pick(t), pairKey: `round ${t.round}`, at: t.startedAt })),
      unit: name === 'deliveries-per-s' ? 'deliveries/s' : 'ms',
      detail: `${fmtInt(r.clients)} clients, ${r.trials.length} trials of ${r.durationS} s, carried by ${r.carriedBy.split(':')[0]}, ${r.workers} worker(s)`,
      lowerBound: name === 'deliveries-per-s' && r.trials.some((t) => t.loaderBound),
      pairable: true,
    };
  },
};

export const wsBroadcastScenario: Scenario<BroadcastResult, WsOptions> = {
  name: 'ws-broadcast',
  description: 'WebSocket broadcast: clients on /ws/broadcast, one sending round after round; fan-out time and deliveries/s, trials interleaved across targets (Redis where the target needs a layer).',
  options: wsOptions,
  requires: ['/ws/broadcast'],
  services: [redisService],
  needsService: (service: ServiceDeclaration, target: Target, workers: number) => service.name !== redisService.name || needsRedis(target, workers),
  schedule: 'interleaved',
  kind: broadcastKind,
  verify: verifyWsEndpoint('/ws/broadcast'),
  plannedSeconds: (load, _profile, targets, claimTargets, ws) => plannedRoundsSeconds(load, ws.trialS + 0.5, targets, claimTargets),

  async run(all, ctx) {
    const ws = ctx.options;
    const loader = ctx.loaders.ws;
    const targets = await speakable(all, ctx, '/ws/broadcast');
    if (!targets.length) return;
    const redis = ctx.services.some((s) => s.service.name === redisService.name);
    const results = new Map(
      targets.map((t) => {
        const r: BroadcastResult = {
          protocol: wsProtocol(t.target, '/ws/broadcast').name,
          loader: describeWsLoader(loader),
          clients: ws.broadcastClients,
          messageBytes: ws.messageBytes,
          durationS: ws.trialS,
          rounds: ctx.load.trials,
          mode: 'closed',
          schedule: 'interleaved',
          carriedBy: carriedBy(t.target, t.workers, redis),
          memoryLabel: t.memoryLabel,
          workers: t.workers,
          trials: [],
        };
        return [t, r];
      }),
    );
    await runWsRounds(targets, ctx, {
      trialS: ws.trialS,
      label: `${fmtInt(ws.broadcastClients)} clients`,
      result: (t) => results.get(t)!,
      measure: (t) => loader.broadcast({ url: wsUrl(t, '/ws/broadcast'), protocol: wsProtocol(t.target, '/ws/broadcast'), clients: ws.broadcastClients, durationS: ws.trialS, messageBytes: ws.messageBytes }, ctx.signal),
      record(t, b, frame) {
        results.get(t)!.trials.push({
          ...frame,
          clients: b.clients,
          durationS: b.durationS,
          rounds: b.rounds,
          completeRounds: b.completeRounds,
          deliveries: b.deliveries,
          expectedDeliveries: b.expectedDeliveries,
          missing: b.missing,
          outOfOrder: b.outOfOrder,
          unexpected: b.unexpected,
          dropped: b.dropped,
          deliveriesPerS: b.deliveriesPerS,
          fanoutMs: b.fanoutMs,
          fanoutHistogramUs: b.fanoutHistogramUs,
          deliveryMs: b.deliveryMs,
          deliveryHistogramUs: b.deliveryHistogramUs,
          loaderCpuPct: b.loaderCpuPct,
          loaderBound: b.loaderCpuPct !== null && b.loaderCpuPct >= ctx.loaderBoundPct,
        });
        ctx.progress.info(`${t.target.decl.name}: ${fmtInt(b.deliveriesPerS)} deliveries/s, fan-out ${fmtLatency(b.fanoutMs)}${b.missing ? `, ${b.missing} missing` : ''}, loader CPU ${b.loaderCpuPct?.toFixed(0) ?? '?'}%`);
      },
    });
  },
};
