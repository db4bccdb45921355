// Scenario `startup`: time from start (process spawn, or container create+start) to the first 200
// from GET /json. The executor's start of each target is the warmup (it brings the files into the
// page cache); then the starts are interleaved across targets, rotating the order every round.
// Readiness is polled every 5 ms so that the poll interval does not dominate the figure.
// In containers each start is also split at the container's StartedAt into the engine's share and
// the application's own start: the engine's fixed cost is the same for every target, so left in, it
// pulls every Django/Node ratio towards 1. The claim is judged on the application's start.
import { z } from 'zod';
import { quantile } from 'simple-statistics';
import { plannedRoundsSeconds, runClaimRounds } from '../harness/run/rounds.ts';
import { fmtInterval, fmtMs, fmtPct } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import type { Measurement, ResultKind, RunningTarget, Scenario } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

export const STARTUP_POLL_MS = 5;
/** Seconds one start and stop of a target takes at most, for the plan (a container's, with the engine's share). */
const START_S = 1.5;

const startupResultSchema = z.object({
  mode: z.enum(['process', 'container']),
  pollIntervalMs: z.number().positive(),
  warmupRuns: z.number().int().nonnegative(),
  schedule: z.enum(['interleaved', 'sequential']),
  starts: z.array(
    z.object({
      round: z.number().int().positive(),
      startedAt: z.string().optional(),
      /** Create call (container) or spawn (process) to the first 200. */
      readyMs: z.number().nonnegative(),
      /** The engine's share (create call to the container's StartedAt); null for a process. Absent in older results. */
      engineMs: z.number().nonnegative().nullable().optional(),
      /** The application's own start: StartedAt (container) or spawn (process) to the first 200. Absent in older results. */
      appMs: z.number().nonnegative().optional(),
    }),
  ),
});
export type StartupResult = z.infer<typeof startupResultSchema>;

const resultOf = (m: Measurement) => m.result as StartupResult | undefined;
type Start = StartupResult['starts'][number];

/** Every start has its application time: then the claim and the decomposition use it. */
export const isDecomposed = (r: StartupResult): boolean => r.starts.length > 0 && r.starts.every((s) => s.appMs !== undefined);
/** The application's own start when known, else the whole start. */
const ownMs = (r: StartupResult) => (isDecomposed(r) ? (s: Start) => s.appMs! : (s: Start) => s.readyMs);

/** What the claim's figure is, in words. */
export function startupFigureDetail(r: StartupResult): string {
  const what = isDecomposed(r)
    ? r.mode === 'container'
      ? "application's own start: container StartedAt to the first 200, the engine's share left out"
      : "application's own start: process spawn to the first 200 (no engine)"
    : r.mode === 'container'
      ? 'whole start: container create to the first 200, engine time included (no StartedAt split in these results)'
      : 'process spawn to the first 200';
  return `${what}; ${r.starts.length} starts, ${r.mode}${r.schedule === 'interleaved' ? '' : ', not interleaved'}`;
}

const DECOMPOSED_HEADER = ['target', 'engine ms', 'interval (level)', 'engine share', 'interval (level)', 'app ms', 'interval (level)', 'total ms', 'interval (level)', 'starts'];

/** One row of the decomposition: engine, engine share, application and total, each with its interval. */
export function decompositionRow(target: string, r: StartupResult): string[] {
  const starts = r.starts.filter((s) => s.appMs !== undefined);
  const app = estimate(starts.map((s) => s.appMs!));
  const total = estimate(starts.map((s) => s.readyMs));
  const engine = starts.every((s) => typeof s.engineMs === 'number') ? starts.map((s) => s.engineMs!) : null;
  const e = engine && estimate(engine);
  const share = engine && estimate(starts.map((s, i) => (s.readyMs > 0 ? engine[i]! / s.readyMs : 0)));
  const none = r.mode === 'process' ? 'n/a (process)' : 'n/a';
  return [
    target,
    e ? fmtMs(e.median) : none,
    e ? fmtInterval(e.ci, fmtMs) : '',
    share ? fmtPct(share.median) : none,
    share ? fmtInterval(share.ci, fmtPct) : '',
    fmtMs(app.median),
    fmtInterval(app.ci, fmtMs),
    fmtMs(total.median),
    fmtInterval(total.ci, fmtMs),
    String(app.n),
  ];
}

const startupKind: ResultKind<StartupResult> = {
  schema: startupResultSchema,
  summaryLine(r) {
    if (!r.starts.length) return 'no starts';
    const e = estimate(r.starts.map((s) => s.readyMs));
    const line = `median ${fmtMs(e.median)} ms [${fmtInterval(e.ci, fmtMs)}] to the first 200 (${r.mode}, ${r.starts.length} starts)`;
    if (!isDecomposed(r) || r.mode !== 'container') return line;
    const engine = r.starts.map((s) => s.engineMs ?? 0);
    return `${line}; application ${fmtMs(estimate(r.starts.map((s) => s.appMs!)).median)} ms after the engine's ${fmtMs(estimate(engine).median)} ms`;
  },
  section(measurements) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.starts.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    const decomposed = rows.filter(({ r }) => r.starts.some((s) => s.appMs !== undefined));
    const decomposition = decomposed.length
      ? {
          paragraph:
            first.mode === 'container'
              ? "Each start decomposed: **engine** = the create call to the container's `StartedAt` as the engine reports it (its wall clock on this host, read to at least the millisecond, set against the harness's at the create call), **app** = `StartedAt` to the first 200, **total** = both; the engine share is engine / total per start. The startup claim is judged on the application's own start (app), since the engine's cost is the same for every target and would pull every ratio towards 1."
              : 'Locally the application\'s own start is the whole start, process spawn to the first 200: no engine share. The startup claim is judged on it.',
          table: { header: DECOMPOSED_HEADER, rows: decomposed.map(({ target, r }) => decompositionRow(target, r)) },
        }
      : null;
    return {
      paragraphs: [
        `Time from ${first.mode === 'container' ? 'container create+start' : 'process spawn'} to the first 200 from \`/json\`, after ${first.warmupRuns} warmup start per target; readiness polled every ${first.pollIntervalMs} ms. ` +
          (first.schedule === 'interleaved' ? 'Starts are interleaved across targets, the order rotated every round.' : '**Starts were not interleaved** (schema 1 results).') +
          ' The interval is the median\'s, from order statistics, with its real confidence level.',
        ...(decomposition ? [decomposition.paragraph] : []),
      ],
      tables: [
        {
          header: ['target', 'median ms', 'interval (level)', 'p95 ms', 'min ms', 'max ms', 'CV', 'starts'],
          rows: rows.map(({ target, r }) => {
            const ms = r.starts.map((s) => s.readyMs);
            const e = estimate(ms);
            return [target, fmtMs(e.median), fmtInterval(e.ci, fmtMs), fmtMs(quantile(ms, 0.95)), fmtMs(e.min), fmtMs(e.max), fmtPct(e.cv), String(e.n)];
          }),
        },
        ...(decomposition ? [decomposition.table] : []),
      ],
      warnings: [],
    };
  },
  charts(measurements) {
    // The application's own start, what the claim judges; in containers the total (engine included) beside it.
    const values = measurements.flatMap((m) => {
      const r = resultOf(m);
      if (!r) return [];
      const own = ownMs(r);
      const split = isDecomposed(r) && r.mode === 'container';
      return r.starts.flatMap((s) => [
        { target: m.target, ms: own(s), round: s.round, figure: split ? 'application (judged)' : 'start (judged)' },
        ...(split ? [{ target: m.target, ms: s.readyMs, round: s.round, figure: 'total, engine included' }] : []),
      ]);
    });
    return [
      {
        name: 'startup',
        title: "Startup: the application's own start to the first 200 from /json",
        missing: 'no valid measurement of the `startup` scenario in this run',
        spec: values.length
          ? vegaLite("Startup (ms), every start: the application's own start, with the median; in containers the total beside it", {
              data: { values },
              layer: [
                { mark: { type: 'tick', thickness: 2 }, encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { field: 'ms', type: 'quantitative', title: 'ms' }, color: { field: 'figure', type: 'nominal', title: null } } },
                {
                  transform: [{ filter: { field: 'figure', oneOf: ['application (judged)', 'start (judged)'] } }],
                  mark: { type: 'tick', color: 'black', thickness: 3, size: 22 },
                  encoding: { y: { field: 'target', type: 'nominal' }, x: { aggregate: 'median', field: 'ms', type: 'quantitative' } },
                },
              ],
            })
          : null,
      },
    ];
  },
  series: (r) => [
    { metric: 'time to first 200', unit: 'ms', higherIsBetter: false, samples: r.starts.map((s) => s.readyMs), pairKeys: r.starts.map((s) => `round ${s.round}`) },
    ...(isDecomposed(r) && r.mode === 'container' ? [{ metric: 'application start', unit: 'ms', higherIsBetter: false, samples: r.starts.map((s) => s.appMs!), pairKeys: r.starts.map((s) => `round ${s.round}`) }] : []),
  ],
  figureNames: ['ready-ms'],
  figure(name, r) {
    if (name !== 'ready-ms') return `no figure "${name}"`;
    if (!r.starts.length) return 'no starts';
    const value = ownMs(r);
    return {
      samples: r.starts.map((s) => ({ value: value(s), pairKey: `round ${s.round}`, ...(s.startedAt && { at: s.startedAt }) })),
      unit: 'ms',
      detail: startupFigureDetail(r),
      lowerBound: false,
      pairable: r.schedule === 'interleaved',
    };
  },
  fromV1(old) {
    const s = old.startup as { mode: 'process' | 'container'; pollIntervalMs: number; warmupRuns: number; samplesMs: number[] } | undefined;
    return s && { mode: s.mode, pollIntervalMs: s.pollIntervalMs, warmupRuns: s.warmupRuns, schedule: 'sequential', starts: s.samplesMs.map((readyMs, i) => ({ round: i + 1, readyMs })) };
  },
};

export const startupScenario: Scenario<StartupResult> = {
  name: 'startup',
  description: "Time from start to the first 200 from /json (median, p95, min, max over repeated starts, interleaved across targets); in containers split into the engine's share and the application's own start.",
  requires: ['/json'],
  schedule: 'interleaved',
  kind: startupKind,
  verify: verifyJson,

  plannedSeconds: (load, _profile, targets, claimTargets) => plannedRoundsSeconds(load, START_S, targets, claimTargets),

  async run(targets: RunningTarget[], ctx) {
    const mode = ctx.runtime.can.unit;
    const results = new Map(targets.map((t) => [t, { mode, pollIntervalMs: STARTUP_POLL_MS, warmupRuns: 1, schedule: 'interleaved', starts: [] } as StartupResult]));
    // The executor's start (verified) was each target's warmup start; each round starts every target
    // afresh, and the start is the measurement.
    await runClaimRounds(targets, ctx, {
      label: 'starts',
      trialS: START_S,
      fresh: { readyPath: '/json', pollIntervalMs: STARTUP_POLL_MS },
      result: (t) => results.get(t)!,
      trial: async (t, round, _position, instance) => {
        const split = instance.startup;
        results.get(t)!.starts.push({ round, startedAt: new Date(Date.now() - instance.readyMs).toISOString(), readyMs: instance.readyMs, ...(split && { engineMs: split.engineMs, appMs: split.appMs }) });
        const parts = ctx.runtime.can.startupSplit && split?.engineMs != null ? ` (engine ${split.engineMs.toFixed(0)} ms + application ${split.appMs.toFixed(0)} ms)` : '';
        ctx.progress.info(`${t.target.decl.name}: ${instance.readyMs.toFixed(0)} ms to the first 200 from /json${parts}`);
      },
    });
  },
};
