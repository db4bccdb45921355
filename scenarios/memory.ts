// Scenario `memory`: memory of the target at idle after a fresh start, then under the same request
// rate for every target (open loop: by default half of what the slowest target sustained in this
// run's json scenario, so that every target can serve it), at steady state (the median reading of
// the load's second half) and at peak, over several independent cycles (each a fresh process or
// container), interleaved across targets. Comparing at equal work matters: at equal connections a
// target serving 75k req/s and one serving 900 hold very different amounts of data in flight.
// Readings of one process are one sample, so only cycles count as samples. The figure is PSS of
// the process tree in both runtimes (a container's tree read from the host's /proc); the report
// says which figure it used.
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { median } from 'simple-statistics';
import { assertAlive } from '../harness/run/alive.ts';
import { plannedRoundsSeconds, runClaimRounds } from '../harness/run/rounds.ts';
import { monitorResources } from '../harness/runtime/resource-monitor.ts';
import { fmtInt, fmtInterval, fmtMiB } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import { bestLevel, summarizeHttp } from '../harness/http/summary.ts';
import type { HttpResult } from '../harness/http/schema.ts';
import { parsePositiveInt } from '../harness/config.ts';
import type { LoadShape, Measurement, ResultKind, RunningTarget, Scenario, ScenarioContext, ScenarioOptions } from '../harness/types.ts';
import { verifyJson } from '../harness/verify/json-contract.ts';

/** Length of the throughput probe when the json scenario did not run first. */
const PROBE_S = 2;
/** Idle memory is read this long after the target is ready. */
export const SETTLE_MS = 1000;
const IDLE_READINGS = 3;
/** Seconds a cycle's start, idle readings and stop add to its settle and load, for the plan. */
const CYCLE_START_STOP_S = 1.5;

/** Each cycle's load lasts the profile's trial, at least 1 s: its second half gives the steady state (readings every 100 ms). */
export function memoryLoadS(load: LoadShape): number {
  return Math.max(1, load.durationS);
}

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
  /** Median memory reading over the second half of the load (absent in results of older harnesses). */
  steadyBytes: z.number().nonnegative().nullable().optional(),
  /** Open loop: the rate actually sent. */
  achievedRate: z.number().nonnegative().nullable().optional(),
});

const memoryResultSchema = z.object({
  memoryLabel: z.string(),
  workers: z.number().int().positive(),
  loadConnections: z.number().int().positive(),
  loadDurationS: z.number().positive(),
  settleS: z.number().nonnegative(),
  schedule: z.enum(['interleaved', 'sequential']),
  /** open: every target got `rate` req/s (equal work); closed: as many as each could serve (older results, or a loader without open loop). */
  mode: z.enum(['open', 'closed']).default('closed'),
  rate: z.number().positive().nullable().default(null),
  /** Where the rate comes from, in words. */
  rateSource: z.string().optional(),
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
    const steady = r.mode === 'open' ? `, steady ${figure(r.cycles.map((c) => c.steadyBytes ?? null))} at ${fmtInt(r.rate ?? 0)} req/s` : '';
    return `idle ${figure(r.cycles.map((c) => c.idleBytes))}${steady}, peak ${figure(r.cycles.map((c) => c.peakBytes))} (medians of ${r.cycles.length} cycles)`;
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
        `Memory: ${first.memoryLabel}. Each cycle starts the target afresh, reads idle memory ${first.settleS} s after it is ready, then loads \`/json\` over ${first.loadConnections} connections for ${first.loadDurationS} s ` +
          (first.mode === 'open'
            ? `at the same rate for every target, **${fmtInt(first.rate ?? 0)} req/s** (open loop; ${first.rateSource ?? 'set for the run'}), and reads memory at steady state (the median reading over the load's second half) and at its peak. `
            : '(closed loop: each target serves as many requests as it can, shown as req/s, so targets are compared at very different amounts of work), and reads its peak. ') +
          (first.schedule === 'interleaved'
            ? `Cycles per target: ${rows.map(({ target, r }) => `${target} ${r.cycles.length}`).join(', ')}, interleaved across targets; each cycle is one independent sample.`
            : '**One reading of one process per target** (schema 1 results): no interval can be given.') +
          ` Workers per target: ${rows.map(({ target, r }) => `${target} ${r.workers}`).join(', ')}.`,
      ],
      tables: [
        {
          header: ['target', 'idle (median)', 'interval (level)', 'steady state at equal rate (median)', 'interval (level)', 'peak under load (median)', 'interval (level)', 'req/s during the load', 'cycles'],
          rows: rows.map(({ target, r }) => {
            const rps = present(r.cycles.map((c) => c.rps));
            const steady = r.mode === 'open' ? cell(r.cycles.map((c) => c.steadyBytes ?? null)) : ['n/a (closed loop)', ''];
            return [target, ...cell(r.cycles.map((c) => c.idleBytes)), ...steady, ...cell(r.cycles.map((c) => c.peakBytes)), rps.length ? fmtInt(median(rps)) : 'n/a', String(r.cycles.length)];
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
        ...(c.steadyBytes === null || c.steadyBytes === undefined ? [] : [{ target: m.target, phase: 'steady at equal rate', mib: c.steadyBytes / 2 ** 20 }]),
        ...(c.peakBytes === null ? [] : [{ target: m.target, phase: 'peak under load', mib: c.peakBytes / 2 ** 20 }]),
      ]),
    );
    return [
      {
        name: 'memory',
        title: 'Memory: idle, steady at equal rate and peak under the json load (MiB), every cycle',
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
    ...(r.mode === 'open' ? [{ metric: 'steady memory at equal rate', unit: 'bytes', higherIsBetter: false, samples: present(r.cycles.map((c) => c.steadyBytes ?? null)) }] : []),
  ],
  figureNames: ['steady-memory', 'peak-memory', 'idle-memory'],
  figure(name, r) {
    type Cycle = MemoryResult['cycles'][number];
    const picks: Record<string, (c: Cycle) => number | null> = { 'peak-memory': (c) => c.peakBytes, 'idle-memory': (c) => c.idleBytes, 'steady-memory': (c) => c.steadyBytes ?? null };
    const pick = picks[name];
    if (!pick) return `no figure "${name}"`;
    if (name === 'steady-memory' && r.mode !== 'open') return 'no steady state at an equal rate (closed-loop cycles: each target served as many requests as it could)';
    const samples = r.cycles.flatMap((c) => {
      const value = pick(c);
      return value === null ? [] : [{ value, pairKey: `round ${c.round}`, ...(c.startedAt && { at: c.startedAt }) }];
    });
    if (!samples.length) return 'no memory readings';
    const what =
      name === 'steady-memory'
        ? `steady state (median over the load's second half) at ${fmtInt(r.rate ?? 0)} req/s for every target`
        : name === 'peak-memory'
          ? `peak under the json load at ${r.loadConnections} connections${r.mode === 'open' ? `, ${fmtInt(r.rate ?? 0)} req/s` : ''}`
          : `idle, ${r.settleS} s after start`;
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
      mode: 'closed',
      rate: null,
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

/**
 * The memory scenario's own option, `memoryRate` (in bench.config.ts and results.json `load.memoryRate`):
 * the request rate every target gets; absent, the scenario sets it from the json throughput.
 */
export const memoryRateOption: ScenarioOptions<number | undefined> = {
  key: 'memoryRate',
  schema: z.number().positive().optional(),
  defaults: { quick: undefined, full: undefined },
  flags: [
    {
      name: 'memory-rate',
      value: 'R',
      help: "memory: the request rate every target gets in each cycle (open loop; default half of what the slowest target sustained in this run's json scenario)",
      apply: (_o, v) => parsePositiveInt(v, '--memory-rate'),
    },
  ],
};

/** The scenario; `settleMs` is shortened by the unit tests only. */
export const createMemoryScenario = (settleMs = SETTLE_MS): Scenario<MemoryResult, number | undefined> => ({
  name: 'memory',
  description: 'Memory at idle after a fresh start, then at steady state and at peak under the same json request rate for every target, over independent cycles interleaved across targets.',
  options: memoryRateOption,
  requires: ['/json'],
  schedule: 'interleaved',
  kind: memoryKind,
  verify: verifyJson,

  plannedSeconds: (load, _profile, targets, claimTargets) => plannedRoundsSeconds(load, settleMs / 1000 + CYCLE_START_STOP_S + memoryLoadS(load), targets, claimTargets),

  async run(targets, ctx) {
    const connections = memoryLoadConnections(ctx.load);
    const loader = ctx.loaders.http;
    // Equal work needs a fixed rate, which only an open-loop loader holds.
    const open = loader.can.openLoop;
    const rate = open ? await equalRate(targets, ctx, connections) : null;
    if (!open) ctx.progress.warn(`memory: the ${loader.name} loader cannot hold a fixed rate, so every target is loaded closed loop (as much as it serves): its memory figures compare different amounts of work.`);
    else ctx.progress.info(`memory: every target gets ${fmtInt(rate!.rate)} req/s (${rate!.source})`);
    const results = new Map(
      targets.map((t) => {
        const r: MemoryResult = {
          memoryLabel: t.memoryLabel,
          workers: t.workers,
          loadConnections: connections,
          loadDurationS: memoryLoadS(ctx.load),
          settleS: settleMs / 1000,
          schedule: 'interleaved',
          mode: open ? 'open' : 'closed',
          rate: rate?.rate ?? null,
          ...(rate && { rateSource: rate.source }),
          cycles: [],
        };
        return [t, r];
      }),
    );
    // Every cycle starts afresh (the rounds stop the executor's instances first).
    await runClaimRounds(targets, ctx, {
      label: 'cycles',
      trialS: settleMs / 1000 + CYCLE_START_STOP_S + memoryLoadS(ctx.load),
      fresh: {},
      result: (t) => results.get(t)!,
      trial: async (t, round, _position, instance) => {
        const startedAt = new Date().toISOString();
        await sleep(settleMs);
        const idle = await idleReading(instance, Math.min(200, settleMs / 10));
        const interval = Math.min(100, instance.statsIntervalMs);
        const whole = monitorResources(instance, interval);
        // Steady state: the readings of the load's second half, once the target has settled into the rate.
        const readings: number[] = [];
        let second: NodeJS.Timeout | undefined;
        let sampler: NodeJS.Timeout | undefined;
        const onStart = () => {
          whole.start();
          second = setTimeout(() => {
            sampler = setInterval(() => void instance.stats().then((x) => x && readings.push(x.memoryBytes)), interval);
          }, (memoryLoadS(ctx.load) * 1000) / 2);
        };
        const load = await loader
          .run({ url: `${instance.url}/json`, connections, durationS: memoryLoadS(ctx.load), pipelining: 1, ...(rate && { rate: rate.rate }) }, ctx.signal, onStart)
          .finally(() => {
            clearTimeout(second);
            clearInterval(sampler);
          });
        const use = await whole.stop();
        await assertAlive(instance);
        const cycle = {
          round,
          startedAt,
          idleBytes: idle.bytes,
          peakBytes: use.memoryBytesPeak,
          idleRssBytes: idle.rss,
          peakRssBytes: use.rssBytesPeak,
          rps: load.rps,
          steadyBytes: open && readings.length ? median(readings) : null,
          achievedRate: load.achievedRate ?? null,
        };
        results.get(t)!.cycles.push(cycle);
        ctx.progress.info(`${t.target.decl.name}: idle ${fmtMiB(idle.bytes)}${cycle.steadyBytes !== null ? `, steady ${fmtMiB(cycle.steadyBytes)}` : ''}, peak ${fmtMiB(use.memoryBytesPeak)} at ${fmtInt(load.rps)} req/s`);
      },
    });
  },
});

/** The json scenario's best median req/s of a target in this run, or null. */
export function jsonThroughput(earlier: Measurement[], target: string): number | null {
  const m = earlier.find((x) => x.scenario === 'json' && x.target === target && x.status === 'ok');
  const trials = (m?.result as HttpResult | undefined)?.trials;
  if (!trials?.length) return null;
  return bestLevel(summarizeHttp(trials))?.rps.median ?? null;
}

/**
 * The rate every target gets: --memory-rate, else half of the slowest target's json throughput in
 * this run (half, so that every target serves it with room to spare), else half of the slowest
 * target's throughput in a short closed-loop probe made here.
 */
async function equalRate(targets: RunningTarget[], ctx: ScenarioContext<MemoryResult, number | undefined>, connections: number): Promise<{ rate: number; source: string }> {
  if (ctx.options) return { rate: ctx.options, source: 'set with --memory-rate' };
  const fromJson = targets.map((t) => ({ name: t.target.decl.name, rps: jsonThroughput(ctx.earlier, t.target.decl.name) }));
  if (fromJson.every((x) => x.rps !== null && x.rps > 0)) {
    const slowest = fromJson.reduce((a, b) => (b.rps! < a.rps! ? b : a));
    return { rate: Math.max(1, Math.round(slowest.rps! / 2)), source: `half of the slowest target's json throughput in this run, ${slowest.name}'s ${fmtInt(slowest.rps!)} req/s` };
  }
  const probed: { name: string; rps: number }[] = [];
  for (const t of targets) {
    ctx.progress.step(`probing ${t.target.decl.name}'s throughput for the equal rate`, PROBE_S);
    const r = await ctx.loaders.http.run({ url: `${t.url}/json`, connections, durationS: PROBE_S, pipelining: 1 }, ctx.signal);
    probed.push({ name: t.target.decl.name, rps: r.rps });
  }
  const slowest = probed.reduce((a, b) => (b.rps < a.rps ? b : a));
  return { rate: Math.max(1, Math.round(slowest.rps / 2)), source: `half of the slowest target's throughput in a ${PROBE_S} s closed-loop probe (the json scenario did not run first), ${slowest.name}'s ${fmtInt(slowest.rps)} req/s` };
}

export const memoryScenario = createMemoryScenario();
