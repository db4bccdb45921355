// Scenario `ws-echo`: a fixed number of WebSocket clients, each sending at a fixed rate (open loop:
// round trips from each message's scheduled send time, so a stall shows), for a fixed time; round
// trip percentiles and echoes per second. Trials interleave across targets round by round, so the
// claim "lower latency" is judged pair by pair at one client count for every target.
import { z } from 'zod';
import { fmtInt, fmtInterval, fmtMs } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import { plannedRoundsSeconds } from '../harness/run/rounds.ts';
import type { Measurement, ResultKind, Scenario } from '../harness/types.ts';
import type { CapacityResult } from './ws-capacity.ts';
import { describeWsLoader, fmtLatency, runWsRounds, scenarioWsLoader, verifyWsEndpoint, wsLatencySchema, wsLoadOf, wsProtocol, wsTrialBaseSchema, wsUrl } from './ws-common.ts';

const echoTrialSchema = wsTrialBaseSchema.extend({
  sent: z.number().int().nonnegative(),
  received: z.number().int().nonnegative(),
  lost: z.number().int().nonnegative(),
  outOfOrder: z.number().int().nonnegative(),
  misrouted: z.number().int().nonnegative(),
  messagesPerS: z.number().nonnegative(),
  requestedRate: z.number().nonnegative(),
  achievedRate: z.number().nonnegative(),
  rttMs: wsLatencySchema,
  histogramUs: z.string(),
});

const echoResultSchema = z.object({
  protocol: z.enum(['websocket', 'socket.io']),
  loader: z.string(),
  clients: z.number().int().positive(),
  ratePerClient: z.number().positive(),
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
const FIGURES = { 'rtt-p50': (t: EchoResult['trials'][number]) => t.rttMs.p50, 'rtt-p95': (t: EchoResult['trials'][number]) => t.rttMs.p95, 'messages-per-s': (t: EchoResult['trials'][number]) => t.messagesPerS } as const;

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
        `${fmtInt(first.clients)} clients each send a ${first.messageBytes}-byte text message ${first.ratePerClient} time(s) a second (open loop, staggered: ${fmtInt(first.clients * first.ratePerClient)} messages/s in all) for ${first.durationS} s; round trips from each message's scheduled send time, so a stall shows instead of slowing the schedule; they include the loader's own timer lateness (its timers have millisecond resolution: about half a millisecond on average), a floor that narrows ratios between targets whose round trips are a millisecond or two. ` +
          `${first.rounds} trial(s) per target, interleaved across targets round by round. The loader: ${first.loader}. Every target runs ${first.workers} worker(s).`,
      ],
      tables: [
        {
          header: ['target', 'protocol', 'RTT p95 ms (median)', 'interval (level)', 'RTT p50 ms', 'RTT p99 ms', 'RTT p99.9 ms', 'echoes/s', 'lost', 'target CPU', 'peak memory', 'trials'],
          rows: rows.map(({ target, r }) => {
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
    const pick = FIGURES[name as keyof typeof FIGURES];
    if (!pick) return `no figure "${name}"`;
    if (!r.trials.length) return 'no trials';
    const bound = r.trials.filter((t) => t.loaderBound).length;
    return {
      samples: r.trials.map((t) => ({ value: pick(t), pairKey: `round ${t.round}`, at: t.startedAt })),
      unit: name === 'messages-per-s' ? 'messages/s' : 'ms',
      detail: `${fmtInt(r.clients)} clients at ${r.ratePerClient} message(s)/s each, ${r.trials.length} trials of ${r.durationS} s, ${r.protocol}, ${r.workers} worker(s)${bound ? `; loader saturated in ${bound} trial(s)` : ''}`,
      lowerBound: false,
      pairable: true,
    };
  },
};

export const wsEchoScenario: Scenario<EchoResult> = {
  name: 'ws-echo',
  description: 'WebSocket echo: a fixed number of clients each sending at a fixed rate; round-trip percentiles and echoes/s, trials interleaved across targets.',
  requires: ['/ws/echo'],
  schedule: 'interleaved',
  kind: echoKind,
  verify: verifyWsEndpoint('/ws/echo'),
  plannedSeconds: (load, _profile, targets, claimTargets) => plannedRoundsSeconds(load, wsLoadOf(load).trialS + 0.5, targets, claimTargets),

  async run(targets, ctx) {
    const ws = wsLoadOf(ctx.load);
    const loader = await scenarioWsLoader(ctx);
    const results = new Map(
      targets.map((t) => {
        const r: EchoResult = {
          protocol: wsProtocol(t.target, '/ws/echo').name,
          loader: describeWsLoader(loader),
          clients: ws.echoClients,
          ratePerClient: ws.echoRatePerClient,
          messageBytes: ws.messageBytes,
          durationS: ws.trialS,
          rounds: ctx.load.trials,
          schedule: 'interleaved',
          memoryLabel: t.memoryLabel,
          workers: t.workers,
          trials: [],
        };
        ctx.save(t.target.decl.name, r);
        return [t, r];
      }),
    );
    await runWsRounds(targets, ctx as Parameters<typeof runWsRounds>[1], {
      trialS: ws.trialS,
      label: `${fmtInt(ws.echoClients)} clients`,
      measure: (t) =>
        loader.echo({ url: wsUrl(t, '/ws/echo'), protocol: wsProtocol(t.target, '/ws/echo'), clients: ws.echoClients, ratePerClient: ws.echoRatePerClient, durationS: ws.trialS, messageBytes: ws.messageBytes }, ctx.signal),
      record(t, e, frame) {
        const r = results.get(t)!;
        r.trials.push({
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
          loaderCpuPct: e.loaderCpuPct,
          loaderBound: e.loaderCpuPct !== null && e.loaderCpuPct >= ctx.loaderBoundPct,
        });
        ctx.save(t.target.decl.name, r);
        ctx.progress.info(`${t.target.decl.name}: ${fmtInt(e.messagesPerS)} echoes/s, ${fmtLatency(e.rtt.latencyMs)}${e.rtt.lost ? `, ${e.rtt.lost} lost` : ''}, loader CPU ${e.loaderCpuPct?.toFixed(0) ?? '?'}%`);
      },
    });
  },
};
