// Scenario `ws-echo`: many WebSocket clients, together sending one rate for every target (open loop,
// a share of the slowest target's echo capacity probed here, see ws-echo-rate.ts), for a fixed time;
// round trips from each message's actual send time (a high-resolution clock read at the write), the
// schedule's lateness kept as its own figure, and the loader's floor measured beside the targets
// against a reference echo server that is not one. Trials interleave across targets round by round,
// so the claim "lower latency" is judged pair by pair at one client count and rate for every target.
import { z } from 'zod';
import { median } from 'simple-statistics';
import { fmtInt, fmtInterval, fmtMs } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import { plannedRoundsSeconds } from '../harness/run/rounds.ts';
import { latencyMsWithP95Schema } from '../harness/schema.ts';
import type { Measurement, ResultKind, Scenario } from '../harness/types.ts';
import type { CapacityResult } from './ws-capacity-kind.ts';
import { describeWsLoader, fmtLatency, runWsRounds, speakable, verifyWsEndpoint, wsProtocol, wsTrialBaseSchema, wsUrl } from './ws-common.ts';
import { wsOptions, type WsOptions } from './ws-options.ts';
import { echoRate, floorSchema, measureFloor, PROBE_S, rateSchema, type EchoFloor } from './ws-echo-rate.ts';

const echoTrialSchema = wsTrialBaseSchema.extend({
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  outOfOrder: z.number().int().nonnegative(),
  misrouted: z.number().int().nonnegative(),
  messagesPerS: z.number().nonnegative(),
  requestedRate: z.number().nonnegative(),
  achievedRate: z.number().nonnegative(),
  rttMs: latencyMsWithP95Schema,
  histogramUs: z.string(),
  /** How late the schedule sent (absent in older results, whose round trips ran from the scheduled time and so included it). */
  latenessMs: latencyMsWithP95Schema.optional(),
});

const echoResultSchema = z.object({
  protocol: z.enum(['websocket', 'socket.io']),
  loader: z.string(),
  clients: z.number().int().positive(),
  ratePerClient: z.number().positive(),
  /** The offered rate and where it comes from (absent in older results: a fixed rate per client). */
  rate: rateSchema.optional(),
  /** The loader's floor at the same load, against a reference echo server (absent in older results). */
  floor: floorSchema.nullable().optional(),
  messageBytes: z.number().int().positive(),
  durationS: z.number().positive(),
  rounds: z.number().int().positive(),
  schedule: z.literal('interleaved'),
  memoryLabel: z.string(),
  workers: z.number().int().positive(),
  trials: z.array(echoTrialSchema),
});
export type EchoResult = z.infer<typeof echoResultSchema>;

const resultOf = (m: Measurement) => m.result as EchoResult | undefined;
type Trial = EchoResult['trials'][number];
const FIGURES = {
  'rtt-p50': { pick: (t: Trial) => t.rttMs.p50, floor: (f: EchoFloor['trials'][number]) => f.rttMs.p50 },
  'rtt-p95': { pick: (t: Trial) => t.rttMs.p95, floor: (f: EchoFloor['trials'][number]) => f.rttMs.p95 },
  'lateness-p95': { pick: (t: Trial) => t.latenessMs?.p95 ?? NaN, floor: null },
  'messages-per-s': { pick: (t: Trial) => t.messagesPerS, floor: null },
} as const;

const echoKind: ResultKind<EchoResult> = {
  schema: echoResultSchema,
  summaryLine(r) {
    if (!r.trials.length) return 'no trials';
    const p95 = estimate(r.trials.map((t) => t.rttMs.p95));
    return `round trip p95 ${fmtMs(p95.median)} ms [${fmtInterval(p95.ci, fmtMs)}] for ${fmtInt(r.clients)} clients at ${r.ratePerClient}/s each (${r.trials.length} trials)`;
  },
  section(measurements, run) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.trials.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    const warnings: string[] = [];
    for (const { target, r } of rows) {
      const bad = r.trials.reduce((n, t) => n + t.lost + t.outOfOrder + t.misrouted, 0);
      if (bad) warnings.push(`${target}: ${fmtInt(bad)} echoes lost, out of order or misrouted under load (see results.json): its round trips count lost messages at the message timeout.`);
      const unexpected = r.trials.reduce((n, t) => n + t.unexpected, 0);
      if (unexpected) warnings.push(`${target}: ${fmtInt(unexpected)} frames under load were no echo of a load message.`);
      const bound = r.trials.filter((t) => t.loaderBound).length;
      if (bound) warnings.push(`${target}: the loader's CPU was saturated in ${bound} of ${r.trials.length} trials: their round trips include the loader's own queueing (an upper bound of the target's).`);
      // The claim compares at a client count every target holds: say so when the capacity ramp of this run says otherwise.
      const capacity = run.measurements.find((m) => m.scenario === 'ws-capacity' && m.target === target && m.status === 'ok')?.result as CapacityResult | undefined;
      const heldHere = capacity?.ramps.map((x) => x.maxClientsWithinLimits);
      if (heldHere?.length && Math.min(...heldHere) < r.clients) warnings.push(`${target} held only ${fmtInt(Math.min(...heldHere))} clients within the round-trip limit in ws-capacity, fewer than the ${fmtInt(r.clients)} here.`);
    }
    return {
      paragraphs: [
        `${fmtInt(first.clients)} clients send ${first.messageBytes}-byte text messages, ${fmtInt(first.clients * first.ratePerClient)} messages/s in all for every target (open loop, staggered; ${first.rate ? first.rate.source : 'a fixed rate per client'}), in trials of ${first.durationS} s. ` +
          (first.trials.some((t) => t.latenessMs)
            ? "Round trips run from each message's actual send time (a high-resolution clock read at the write); how late the loader's timers sent each message against the schedule is kept apart (schedule lateness), so it is not in the round trips. "
            : "Round trips run from each message's scheduled send time (results of an older harness), so they include the loader's timer lateness. ") +
          `Trials per target: ${rows.map(({ target, r }) => `${target} ${r.trials.length}`).join(', ')}, interleaved across targets round by round. The loader: ${first.loader}. Workers per target: ${rows.map(({ target, r }) => `${target} ${r.workers}`).join(', ')}.`,
        ...(first.floor?.trials.length
          ? [
              `**The loader's floor**: the same clients and rate against ${first.floor.server}, which is not a target: round trip p50 ${fmtMs(median(first.floor.trials.map((t) => t.rttMs.p50)))} ms, p95 ${fmtMs(median(first.floor.trials.map((t) => t.rttMs.p95)))} ms, schedule lateness p95 ${fmtMs(median(first.floor.trials.map((t) => t.latenessMs.p95)))} ms (median of ${first.floor.trials.length} trials). A target's round trip near it is mostly the loader's; a claim whose two sides are both within 2x of it says so and decides nothing.`,
            ]
          : []),
        ...(first.rate?.probes.length ? [`The probe: ${first.rate.probes.map((p) => `${p.target} ${fmtInt(p.echoesPerS)} echoes/s${p.saturated ? '' : ` (not saturated at ${fmtInt(p.offered)}/s)`}`).join(', ')}.`] : []),
      ],
      tables: [
        {
          header: ['target', 'protocol', 'RTT p95 ms (median)', 'interval (level)', 'RTT p50 ms', 'RTT p99 ms', 'RTT p99.9 ms', 'schedule lateness p95 ms', 'echoes/s', 'lost', 'target CPU', 'peak memory', 'trials'],
          rows: rows.map(({ target, r }) => {
            const late = r.trials.flatMap((t) => (t.latenessMs ? [t.latenessMs.p95] : []));
            const med = (f: (t: EchoResult['trials'][number]) => number) => estimate(r.trials.map(f)).median;
            const p95 = estimate(r.trials.map((t) => t.rttMs.p95));
            const cpu = r.trials.flatMap((t) => (t.target.cpuPct === null ? [] : [t.target.cpuPct]));
            const mem = r.trials.flatMap((t) => (t.target.memoryBytesPeak === null ? [] : [t.target.memoryBytesPeak]));
            return [
              target,
              r.protocol,
              fmtMs(p95.median),
              fmtInterval(p95.ci, fmtMs),
              fmtMs(med((t) => t.rttMs.p50)),
              fmtMs(med((t) => t.rttMs.p99)),
              fmtMs(med((t) => t.rttMs.p999)),
              late.length ? fmtMs(median(late)) : 'n/a',
              fmtInt(med((t) => t.messagesPerS)),
              fmtInt(r.trials.reduce((n, t) => n + t.lost, 0)),
              cpu.length ? `${estimate(cpu).median.toFixed(0)}%` : 'n/a',
              mem.length ? `${(Math.max(...mem) / 2 ** 20).toFixed(1)} MiB` : 'n/a',
              String(r.trials.length),
            ];
          }),
        },
      ],
      warnings,
    };
  },
  charts(measurements) {
    const values = measurements.flatMap((m) =>
      (resultOf(m)?.trials ?? []).flatMap((t) => (['p50', 'p95', 'p99'] as const).map((p) => ({ target: m.target, percentile: p, ms: t.rttMs[p] }))),
    );
    return [
      {
        name: 'ws-echo',
        title: 'WebSocket echo: round-trip percentiles',
        missing: 'no valid measurement of the `ws-echo` scenario in this run',
        spec: values.length
          ? vegaLite('Echo round trip (ms): bars are medians over trials, points the trials', {
              data: { values },
              layer: [
                { mark: 'bar', encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { aggregate: 'median', field: 'ms', type: 'quantitative', title: 'ms' }, yOffset: { field: 'percentile' }, color: { field: 'percentile', type: 'nominal', title: null } } },
                { mark: { type: 'point', color: 'black', size: 16 }, encoding: { y: { field: 'target', type: 'nominal' }, x: { field: 'ms', type: 'quantitative' }, yOffset: { field: 'percentile' } } },
              ],
            })
          : null,
      },
    ];
  },
  series: (r) => [
    { metric: 'echo RTT p95', unit: 'ms', higherIsBetter: false, samples: r.trials.map((t) => t.rttMs.p95) },
    { metric: 'echoes/s', unit: 'messages/s', higherIsBetter: true, samples: r.trials.map((t) => t.messagesPerS) },
  ],
  figureNames: Object.keys(FIGURES),
  figure(name, r) {
    const f = FIGURES[name as keyof typeof FIGURES];
    if (!f) return `no figure "${name}"`;
    if (!r.trials.length) return 'no trials';
    if (name === 'lateness-p95' && r.trials.some((t) => !t.latenessMs)) return 'no schedule lateness in these results (an older harness)';
    const bound = r.trials.filter((t) => t.loaderBound).length;
    const floorTrials = r.floor?.trials ?? [];
    return {
      samples: r.trials.map((t) => ({ value: f.pick(t), pairKey: `round ${t.round}`, at: t.startedAt })),
      unit: name === 'messages-per-s' ? 'messages/s' : 'ms',
      detail: `${fmtInt(r.clients)} clients, ${fmtInt(r.clients * r.ratePerClient)} messages/s in all${r.rate?.share ? ` (${Math.round(r.rate.share * 100)}% of the slowest target's probed capacity)` : ''}, ${r.trials.length} trials of ${r.durationS} s, ${r.protocol}, ${r.workers} worker(s)${bound ? `; loader saturated in ${bound} trial(s)` : ''}`,
      lowerBound: false,
      pairable: true,
      ...(f.floor && floorTrials.length && { floor: { value: median(floorTrials.map(f.floor)), detail: `the same load against ${r.floor!.server}` } }),
    };
  },
};

export const wsEchoScenario: Scenario<EchoResult, WsOptions> = {
  name: 'ws-echo',
  description: "WebSocket echo: many clients sending one rate for every target (a share of the slowest target's probed echo capacity); round trips from the actual send time, the loader's floor against a reference echo server beside them, trials interleaved across targets.",
  options: wsOptions,
  requires: ['/ws/echo'],
  schedule: 'interleaved',
  kind: echoKind,
  verify: verifyWsEndpoint('/ws/echo'),
  // Beside the rounds: a probe per target (its queue drains within the message timeout) and the floor's trials.
  plannedSeconds: (load, _profile, targets, claimTargets, ws) =>
    plannedRoundsSeconds(load, ws.trialS + 0.5, targets, claimTargets) + (ws.echoShare ? targets * (PROBE_S + 3) : 0) + load.trials * (ws.trialS + 1),

  async run(all, ctx) {
    const ws = ctx.options;
    const loader = ctx.loaders.ws;
    const targets = await speakable(all, ctx, '/ws/echo');
    if (!targets.length) return;
    const rate = await echoRate(targets, ctx);
    ctx.progress.info(`ws-echo: every target gets ${fmtInt(rate.total)} messages/s over ${fmtInt(ws.echoClients)} clients (${rate.source})`);
    const floor = await measureFloor(ctx, rate, ctx.load.trials).catch((error: unknown) => {
      // The floor is context for the claim, not a measurement of a target: without it the claim says less.
      ctx.progress.warn(`ws-echo: the loader's floor could not be measured (${error instanceof Error ? error.message : String(error)}); the report goes without it.`);
      return null;
    });
    const results = new Map(
      targets.map((t) => {
        const r: EchoResult = {
          protocol: wsProtocol(t.target, '/ws/echo').name,
          loader: describeWsLoader(loader),
          clients: ws.echoClients,
          ratePerClient: rate.perClient,
          rate,
          floor,
          messageBytes: ws.messageBytes,
          durationS: ws.trialS,
          rounds: ctx.load.trials,
          schedule: 'interleaved',
          memoryLabel: t.memoryLabel,
          workers: t.workers,
          trials: [],
        };
        return [t, r];
      }),
    );
    await runWsRounds(targets, ctx, {
      trialS: ws.trialS,
      label: `${fmtInt(ws.echoClients)} clients`,
      result: (t) => results.get(t)!,
      measure: (t) =>
        loader.echo({ url: wsUrl(t, '/ws/echo'), protocol: wsProtocol(t.target, '/ws/echo'), clients: ws.echoClients, ratePerClient: rate.perClient, durationS: ws.trialS, messageBytes: ws.messageBytes }, ctx.signal),
      record(t, e, frame) {
        results.get(t)!.trials.push({
          ...frame,
          clients: e.clients,
          durationS: e.durationS,
          sent: e.rtt.sent,
          received: e.rtt.received,
          lost: e.rtt.lost,
          outOfOrder: e.outOfOrder,
          misrouted: e.misrouted,
          unexpected: e.unexpected,
          dropped: e.dropped,
          messagesPerS: e.messagesPerS,
          requestedRate: e.requestedRate,
          achievedRate: e.achievedRate,
          rttMs: e.rtt.latencyMs,
          histogramUs: e.rtt.histogramUs,
          latenessMs: e.lateness.latencyMs,
          loaderCpuPct: e.loaderCpuPct,
          loaderBound: e.loaderCpuPct !== null && e.loaderCpuPct >= ctx.loaderBoundPct,
        });
        ctx.progress.info(`${t.target.decl.name}: ${fmtInt(e.messagesPerS)} echoes/s, ${fmtLatency(e.rtt.latencyMs)}, lateness p95 ${fmtMs(e.lateness.latencyMs.p95)} ms${e.rtt.lost ? `, ${e.rtt.lost} lost` : ''}, loader CPU ${e.loaderCpuPct?.toFixed(0) ?? '?'}%`);
      },
    });
  },
};
