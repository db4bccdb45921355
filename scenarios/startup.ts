// Scenario `startup`: time from start (process spawn, or container create+start) to the first 200
// from GET /json. The executor's start of each target is the warmup (it brings the files into the
// page cache); then the starts are interleaved across targets, rotating the order every round.
// Readiness is polled every 5 ms so that the poll interval does not dominate the figure.
import { z } from 'zod';
import { quantile } from 'simple-statistics';
import { guarded } from '../harness/run/guard.ts';
import { rotation } from '../harness/run/rotation.ts';
import { fmtInterval, fmtMs, fmtPct } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import type { Measurement, ProfileName, ResultKind, RunningTarget, Scenario } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

export const STARTUP_POLL_MS = 5;
/** Starts per target: 5 gives [min, max] at 93.75%; 15 gives an interval at >= 95%. */
export const STARTUP_RUNS: Record<ProfileName, number> = { quick: 5, full: 15 };

const startupResultSchema = z.object({
  mode: z.enum(['process', 'container']),
  pollIntervalMs: z.number().positive(),
  warmupRuns: z.number().int().nonnegative(),
  schedule: z.enum(['interleaved', 'sequential']),
  starts: z.array(z.object({ round: z.number().int().positive(), startedAt: z.string().optional(), readyMs: z.number().nonnegative() })),
});
export type StartupResult = z.infer<typeof startupResultSchema>;

const resultOf = (m: Measurement) => m.result as StartupResult | undefined;

const startupKind: ResultKind<StartupResult> = {
  schema: startupResultSchema,
  summaryLine(r) {
    if (!r.starts.length) return 'no starts';
    const e = estimate(r.starts.map((s) => s.readyMs));
    return `median ${fmtMs(e.median)} ms [${fmtInterval(e.ci, fmtMs)}] to the first 200 (${r.mode}, ${r.starts.length} starts)`;
  },
  section(measurements) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.starts.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    return {
      paragraphs: [
        `Time from ${first.mode === 'container' ? 'container create+start' : 'process spawn'} to the first 200 from \`/json\`, after ${first.warmupRuns} warmup start per target; readiness polled every ${first.pollIntervalMs} ms. ` +
          (first.schedule === 'interleaved' ? 'Starts are interleaved across targets, the order rotated every round.' : '**Starts were not interleaved** (schema 1 results).') +
          ' The interval is the median\'s, from order statistics, with its real confidence level.',
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
      ],
      warnings: [],
    };
  },
  charts(measurements) {
    const values = measurements.flatMap((m) => (resultOf(m)?.starts ?? []).map((s) => ({ target: m.target, ms: s.readyMs, round: s.round })));
    return [
      {
        name: 'startup',
        title: 'Startup: time to the first 200 from /json',
        missing: 'no valid measurement of the `startup` scenario in this run',
        spec: values.length
          ? vegaLite('Startup time to the first 200 (ms), every start', {
              data: { values },
              layer: [
                { mark: { type: 'tick', thickness: 2 }, encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { field: 'ms', type: 'quantitative', title: 'ms' }, color: { field: 'target', type: 'nominal', legend: null } } },
                { mark: { type: 'tick', color: 'black', thickness: 3, size: 22 }, encoding: { y: { field: 'target', type: 'nominal' }, x: { aggregate: 'median', field: 'ms', type: 'quantitative' } } },
              ],
            })
          : null,
      },
    ];
  },
  series: (r) => [{ metric: 'time to first 200', unit: 'ms', higherIsBetter: false, samples: r.starts.map((s) => s.readyMs) }],
  figureNames: ['ready-ms'],
  figure(name, r) {
    if (name !== 'ready-ms') return `no figure "${name}"`;
    if (!r.starts.length) return 'no starts';
    return {
      samples: r.starts.map((s) => ({ value: s.readyMs, pairKey: `round ${s.round}`, ...(s.startedAt && { at: s.startedAt }) })),
      unit: 'ms',
      detail: `${r.starts.length} starts, ${r.mode}${r.schedule === 'interleaved' ? '' : ', not interleaved'}`,
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
  description: 'Time from start to the first 200 from /json (median, p95, min, max over repeated starts, interleaved across targets).',
  requires: ['/json'],
  schedule: 'interleaved',
  kind: startupKind,
  verify: verifyJson,

  plannedSeconds: (_load, profile, targets) => STARTUP_RUNS[profile] * targets * 2,

  async run(targets: RunningTarget[], ctx) {
    const runs = STARTUP_RUNS[ctx.profile];
    const mode = ctx.runtime.name === 'docker' ? 'container' : 'process';
    const results = new Map(targets.map((t) => [t, { mode, pollIntervalMs: STARTUP_POLL_MS, warmupRuns: 1, schedule: 'interleaved', starts: [] } as StartupResult]));
    // The executor's start (verified) was each target's warmup start.
    for (const t of targets) await t.stop();
    let active = [...targets];
    for (let round = 1; round <= runs; round++) {
      const order = rotation(active, round);
      ctx.progress.step(`round ${round}/${runs}: start ${order.map((t) => t.target.decl.name).join(' → ')}`, 2 * order.length);
      for (const t of order) {
        const name = t.target.decl.name;
        const ok = await guarded(ctx, name, async () => {
          const startedAt = new Date().toISOString();
          const instance = await ctx.startTarget(t.target, { readyPath: '/json', pollIntervalMs: STARTUP_POLL_MS });
          await instance.stop();
          const r = results.get(t)!;
          r.starts.push({ round, startedAt, readyMs: instance.readyMs });
          ctx.save(name, r);
          ctx.progress.info(`${name}: ${instance.readyMs.toFixed(0)} ms to the first 200 from /json`);
        });
        if (!ok) active = active.filter((x) => x !== t);
      }
    }
  },
};
