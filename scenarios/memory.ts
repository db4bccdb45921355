// Scenario `memory`: memory of the target at idle after a fresh start, and its peak under the json
// load at the run's highest connection level, over several independent cycles (each a fresh
// process or container), interleaved across targets. Readings of one process are one sample, so
// only cycles count as samples. The figure is the runtime's: PSS of the process tree (local), or the
// container's working set from its cgroup (docker); the report says which.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { median } from 'simple-statistics';
import { assertAlive } from '../harness/run/alive.ts';
import { guarded } from '../harness/run/guard.ts';
import { rotation } from '../harness/run/rotation.ts';
import { monitorResources } from '../harness/runtime/resource-monitor.ts';
import { fmtInt, fmtInterval, fmtMiB } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import type { LoadShape, Measurement, ResultKind, RunningTarget, Scenario } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

/** Idle memory is read this long after the target is ready. */
export const SETTLE_MS = 1000;
const IDLE_READINGS = 3;

/** The load level for the peak: the highest of the run's connection levels. */
export function memoryLoadConnections(load: LoadShape): number {
  return Math.max(...load.connections);
}

const cycleSchema = z.object({
  round: z.number().int().positive(),
  startedAt: z.string().optional(),
  idleBytes: z.number().nonnegative().nullable(),
  peakBytes: z.number().nonnegative().nullable(),
  /** RSS beside the figure (tree sum, or container usage with cache). */
  idleRssBytes: z.number().nonnegative().nullable(),
  peakRssBytes: z.number().nonnegative().nullable(),
  /** req/s the target served during the load: targets do different work at the same connections. */
  rps: z.number().nonnegative().nullable(),
});

const memoryResultSchema = z.object({
  memoryLabel: z.string(),
  workers: z.number().int().positive(),
  loadConnections: z.number().int().positive(),
  loadDurationS: z.number().positive(),
  settleS: z.number().nonnegative(),
  schedule: z.enum(['interleaved', 'sequential']),
  cycles: z.array(cycleSchema),
});
export type MemoryResult = z.infer<typeof memoryResultSchema>;

const resultOf = (m: Measurement) => m.result as MemoryResult | undefined;
const present = (values: (number | null)[]) => values.filter((v): v is number => v !== null);

const memoryKind: ResultKind<MemoryResult> = {
  schema: memoryResultSchema,
  summaryLine(r) {
    const figure = (values: (number | null)[]) => {
      const v = present(values);
      if (!v.length) return 'n/a';
      const e = estimate(v);
      return `${fmtMiB(e.median)} [${fmtInterval(e.ci, fmtMiB)}]`;
    };
    return `idle ${figure(r.cycles.map((c) => c.idleBytes))}, peak ${figure(r.cycles.map((c) => c.peakBytes))} (medians of ${r.cycles.length} cycles)`;
  },
  section(measurements) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.cycles.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    const cell = (values: (number | null)[]) => {
      const v = present(values);
      if (!v.length) return ['n/a', 'n/a'];
      const e = estimate(v);
      return [fmtMiB(e.median), fmtInterval(e.ci, (x) => fmtMiB(x))];
    };
    return {
      paragraphs: [
        `Memory: ${first.memoryLabel}. Each cycle starts the target afresh, reads idle memory ${first.settleS} s after it is ready, then its peak under the json load at ${first.loadConnections} connections for ${first.loadDurationS} s (closed loop: each target serves as many requests as it can, shown as req/s). ` +
          (first.schedule === 'interleaved'
            ? `${first.cycles.length} cycles per target, interleaved across targets; each cycle is one independent sample.`
            : '**One reading of one process per target** (schema 1 results): no interval can be given.') +
          ` Every target runs ${first.workers} worker(s).`,
      ],
      tables: [
        {
          header: ['target', 'idle (median)', 'interval (level)', 'peak under load (median)', 'interval (level)', 'req/s during the load', 'cycles'],
          rows: rows.map(({ target, r }) => {
            const rps = present(r.cycles.map((c) => c.rps));
            return [target, ...cell(r.cycles.map((c) => c.idleBytes)), ...cell(r.cycles.map((c) => c.peakBytes)), rps.length ? fmtInt(median(rps)) : 'n/a', String(r.cycles.length)];
          }),
        },
      ],
      warnings: [],
    };
  },
  charts(measurements) {
    const values = measurements.flatMap((m) =>
      (resultOf(m)?.cycles ?? []).flatMap((c) => [
        ...(c.idleBytes === null ? [] : [{ target: m.target, phase: 'idle', mib: c.idleBytes / 2 ** 20 }]),
        ...(c.peakBytes === null ? [] : [{ target: m.target, phase: 'peak under load', mib: c.peakBytes / 2 ** 20 }]),
      ]),
    );
    return [
      {
        name: 'memory',
        title: 'Memory: idle and peak under the json load (MiB), every cycle',
        missing: 'no valid measurement of the `memory` scenario in this run',
        spec: values.length
          ? vegaLite('Memory (MiB): points are cycles, bars their median', {
              data: { values },
              layer: [
                { mark: 'bar', encoding: { y: { field: 'target', type: 'nominal', title: null }, x: { aggregate: 'median', field: 'mib', type: 'quantitative', title: 'MiB' }, yOffset: { field: 'phase' }, color: { field: 'phase', type: 'nominal', title: null } } },
                { mark: { type: 'point', color: 'black', size: 20 }, encoding: { y: { field: 'target', type: 'nominal' }, x: { field: 'mib', type: 'quantitative' }, yOffset: { field: 'phase' } } },
              ],
            })
          : null,
      },
    ];
  },
  series: (r) => [
    { metric: 'idle memory', unit: 'bytes', higherIsBetter: false, samples: present(r.cycles.map((c) => c.idleBytes)) },
    { metric: 'peak memory', unit: 'bytes', higherIsBetter: false, samples: present(r.cycles.map((c) => c.peakBytes)) },
  ],
  figureNames: ['peak-memory', 'idle-memory'],
  figure(name, r) {
    const pick = name === 'peak-memory' ? (c: MemoryResult['cycles'][number]) => c.peakBytes : name === 'idle-memory' ? (c: MemoryResult['cycles'][number]) => c.idleBytes : null;
    if (!pick) return `no figure "${name}"`;
    const samples = r.cycles.flatMap((c) => {
      const value = pick(c);
      return value === null ? [] : [{ value, pairKey: `round ${c.round}`, ...(c.startedAt && { at: c.startedAt }) }];
    });
    if (!samples.length) return 'no memory readings';
    const what = name === 'peak-memory' ? `peak under the json load at ${r.loadConnections} connections` : `idle, ${r.settleS} s after start`;
    // The label's first clause names the figure; the scenario's section gives it whole.
    return { samples, unit: 'bytes', detail: `${what}, ${samples.length} cycle(s) of a fresh target, ${r.memoryLabel.split(' (')[0]}, ${r.workers} worker(s)`, lowerBound: false, pairable: r.schedule === 'interleaved' };
  },
  fromV1(old) {
    const m = old.memory as { source: string; workers: number; idleRssBytes: number | null; peakRssBytes: number | null; loadConnections: number; loadDurationS: number } | undefined;
    if (!m) return undefined;
    return {
      memoryLabel:
        m.source === 'container'
          ? "container memory usage as the engine's stats API gave it (schema 1; on Podman 4 with cgroup v1 page cache was not subtracted)"
          : 'RSS summed over the process tree (schema 1; shared pages counted once per process)',
      workers: m.workers,
      loadConnections: m.loadConnections,
      loadDurationS: m.loadDurationS,
      settleS: 3,
      schedule: 'sequential',
      cycles: [{ round: 1, idleBytes: m.idleRssBytes, peakBytes: m.peakRssBytes, idleRssBytes: m.idleRssBytes, peakRssBytes: m.peakRssBytes, rps: null }],
    };
  },
};

async function idleReading(running: RunningTarget, gapMs: number): Promise<{ bytes: number | null; rss: number | null }> {
  const readings = [];
  for (let i = 0; i < IDLE_READINGS; i++) {
    const s = await running.stats();
    if (s) readings.push(s);
    await sleep(gapMs);
  }
  const rss = present(readings.map((s) => s.rssBytes));
  return { bytes: readings.length ? median(readings.map((s) => s.memoryBytes)) : null, rss: rss.length ? median(rss) : null };
}

/** The scenario; `settleMs` is shortened by the unit tests only. */
export const createMemoryScenario = (settleMs = SETTLE_MS): Scenario<MemoryResult> => ({
  name: 'memory',
  description: 'Memory at idle after a fresh start and at its peak under the json load, over independent cycles interleaved across targets.',
  requires: ['/json'],
  schedule: 'interleaved',
  kind: memoryKind,
  verify: verifyJson,

  plannedSeconds: (load, _profile, targets) => load.trials * targets * (settleMs / 1000 + 2 + load.durationS),

  async run(targets, ctx) {
    const connections = memoryLoadConnections(ctx.load);
    const results = new Map(
      targets.map((t) => [
        t,
        { memoryLabel: t.memoryLabel, workers: t.workers, loadConnections: connections, loadDurationS: ctx.load.durationS, settleS: settleMs / 1000, schedule: 'interleaved', cycles: [] } as MemoryResult,
      ]),
    );
    for (const t of targets) await t.stop(); // every cycle starts afresh
    let active = [...targets];
    for (let round = 1; round <= ctx.load.trials; round++) {
      const order = rotation(active, round);
      ctx.progress.step(`cycle ${round}/${ctx.load.trials}: ${order.map((t) => t.target.decl.name).join(' → ')}`, order.length * (settleMs / 1000 + 2 + ctx.load.durationS));
      for (const t of order) {
        const name = t.target.decl.name;
        const ok = await guarded(ctx, name, async () => {
          const startedAt = new Date().toISOString();
          const instance = await ctx.startTarget(t.target);
          try {
            await sleep(settleMs);
            const idle = await idleReading(instance, Math.min(200, settleMs / 10));
            const monitor = monitorResources(instance, Math.min(100, instance.statsIntervalMs));
            const load = await ctx.loader.run({ url: `${instance.url}/json`, connections, durationS: ctx.load.durationS, pipelining: 1 }, ctx.signal, () => monitor.start());
            const use = await monitor.stop();
            await assertAlive(instance);
            const r = results.get(t)!;
            r.cycles.push({ round, startedAt, idleBytes: idle.bytes, peakBytes: use.memoryBytesPeak, idleRssBytes: idle.rss, peakRssBytes: use.rssBytesPeak, rps: load.rps });
            ctx.save(name, r);
            ctx.progress.info(`${name}: idle ${fmtMiB(idle.bytes)}, peak ${fmtMiB(use.memoryBytesPeak)} at ${fmtInt(load.rps)} req/s`);
          } finally {
            await instance.stop();
          }
        });
        if (!ok) active = active.filter((x) => x !== t);
      }
    }
  },
});

export const memoryScenario = createMemoryScenario();
