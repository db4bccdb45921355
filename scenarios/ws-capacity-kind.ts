// The result kind of `ws-capacity`: what a ramp records, the report's section and charts, and the
// figures claims read: clients held (with what stopped each ramp, a limit of the machine making it a
// lower bound), memory while holding many clients (read at each step, so a claim compares two
// targets at the most clients both held, not extrapolated), and the 1M extrapolation with the
// interval of its fit.
import { z } from 'zod';
import { fmtGiB, fmtInt, fmtInterval, fmtMs } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import { fitLine } from '../harness/stats/line-fit.ts';
import type { Figure, Measurement, ResultKind } from '../harness/types.ts';
import { latencyMsWithP95Schema } from '../harness/schema.ts';

/** The 1M+ claims are set against this many connections. */
export const MILLION = 1_000_000;
/** Why a ramp ended: the loader's reasons, and 'target-open-files' where connects failed once the target's processes held about as many sockets as they may open. */
export const STOP_REASONS = ['rtt-limit', 'failures', 'ceiling', 'ports', 'file-descriptors', 'loader-memory', 'caller', 'target-open-files'] as const;
export type StopReason = (typeof STOP_REASONS)[number];
export const STOP_WORDS: Record<StopReason, string> = {
  'rtt-limit': 'round trip over the limit',
  failures: 'connects failing',
  'target-open-files': "the open-files limit of the target's processes",
  ceiling: 'the ceiling (the target held every step)',
  ports: "the loader's ephemeral ports",
  'file-descriptors': "the loader's open-files limit",
  'loader-memory': "the loader machine's memory",
  caller: 'stopped by the harness',
};

const stepSchema = z.object({
  step: z.number().int().positive(),
  requested: z.number().int().nonnegative(),
  connected: z.number().int().nonnegative(),
  failedConnects: z.number().int().nonnegative(),
  handshakesPerS: z.number().nonnegative(),
  handshakeMs: latencyMsWithP95Schema,
  dropped: z.number().int().nonnegative(),
  rttMs: latencyMsWithP95Schema,
  rttSent: z.number().int().nonnegative(),
  rttLost: z.number().int().nonnegative(),
  /** Frames during the sample that were no load message. */
  rttUnexpected: z.number().int().nonnegative().default(0),
  loaderCpuPct: z.number().nullable(),
  loaderBound: z.boolean(),
  /** The target's memory (the runtime's figure) and RSS with the step's clients held, and its CPU use over the step. */
  memoryBytes: z.number().nullable(),
  rssBytes: z.number().nullable(),
  targetCpuPct: z.number().nullable(),
  atMs: z.number().nonnegative(),
  stop: z.enum(STOP_REASONS).nullable(),
  /** The schedule's lateness during the sample (absent in older results: their round trips included it). */
  rttLatenessMs: latencyMsWithP95Schema.optional(),
});
export type CapacityStep = z.infer<typeof stepSchema>;

const rampSchema = z.object({
  ramp: z.number().int().positive(),
  startedAt: z.string(),
  endedAt: z.string(),
  idleBytes: z.number().nullable(),
  steps: z.array(stepSchema),
  stopReason: z.enum(STOP_REASONS),
  stopDetail: z.string(),
  maxClientsWithinLimits: z.number().int().nonnegative(),
  maxConnected: z.number().int().nonnegative(),
  /** The ramp ended at a limit of the loader's machine (or the ceiling), or the loader was saturated when it stopped: the target holds at least this many. */
  lowerBound: z.boolean(),
  handshakes: z.object({ ok: z.number().int(), failed: z.number().int(), perS: z.number(), latencyMs: latencyMsWithP95Schema, errorKinds: z.record(z.string(), z.number()) }),
  sourceAddresses: z.number().int().nonnegative(),
  openFilesLimit: z.number().int().nonnegative(),
  /** Descriptors each of the target's own processes may open, read from them (in a container, inside it); null where the runtime cannot tell. */
  targetOpenFiles: z.object({ limit: z.number().int().positive(), processes: z.number().int().nonnegative(), source: z.string() }).nullable().default(null),
  loaderWorkers: z.number().int().positive(),
  /** Slope of memory over held clients (least squares over the steps; with one step, from idle to it), and what it extrapolates to for 1,000,000. */
  memoryPerClientBytes: z.number().nullable(),
  projected1MBytes: z.number().nullable(),
});

const capacityResultSchema = z.object({
  protocol: z.enum(['websocket', 'socket.io']),
  loader: z.string(),
  stepClients: z.number().int().positive(),
  ceiling: z.number().int().positive(),
  rttLimitMs: z.number().positive(),
  maxFailureRatio: z.number(),
  sampleMessages: z.number().int().positive(),
  messageBytes: z.number().int().positive(),
  memoryLabel: z.string(),
  workers: z.number().int().positive(),
  /** Descriptors one target process may open here (the first ramp's reading; older results: the local runtime's inherited hard limit; null where not known). */
  targetOpenFilesLimit: z.number().int().positive().nullable().default(null),
  schedule: z.literal('alternating'),
  ramps: z.array(rampSchema),
});
export type CapacityResult = z.infer<typeof capacityResultSchema>;
type Ramp = CapacityResult['ramps'][number];

/** Memory per held client and the 1M extrapolation, from (clients, bytes) points; null with fewer than two distinct client counts or no growth. */
export function memorySlope(points: { clients: number; bytes: number }[]): { perClient: number; projected1M: number } | null {
  const fit = fitLine(points.map((p) => ({ x: p.clients, y: p.bytes })));
  if (!fit || !(fit.slope > 0)) return null;
  return { perClient: fit.slope, projected1M: fit.intercept + fit.slope * MILLION };
}

const resultOf = (m: Measurement) => m.result as CapacityResult | undefined;
const held = (r: CapacityResult) => r.ramps.map((x) => x.maxClientsWithinLimits);
const fmtKiB = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(1)} KiB`);
/** What ended one ramp, in words with its figure, and whether it is the framework's limit or the machine's. */
export function rampStopWords(r: CapacityResult, ramp: Ramp): string {
  const limit = ramp.targetOpenFiles?.limit ?? r.targetOpenFilesLimit;
  switch (ramp.stopReason) {
    case 'ceiling':
      return `the run's ceiling of ${fmtInt(r.ceiling)} clients (a safety bound)`;
    case 'target-open-files':
      return `the open-files limit of the target's processes${limit !== null ? ` (${fmtInt(limit)} each, ${r.workers} worker(s))` : ''}`;
    case 'rtt-limit':
      return ramp.lowerBound ? "the loader's CPU (saturated at the last step)" : `its p95 round trip passing ${r.rttLimitMs} ms (the framework's limit)`;
    case 'failures':
      // Older results marked a ramp near the target's open-files limit a lower bound without its own reason.
      if (ramp.lowerBound) return `the open-files limit of the target's processes${limit !== null ? ` (${fmtInt(limit)})` : ''}`;
      return limit !== null ? "failing connects (the framework's limit)" : "failing connects (the target's open-files limit was not read in this run: the framework's limit or the machine's)";
    default:
      return STOP_WORDS[ramp.stopReason];
  }
}

/** Each distinct stop of a target's ramps in words, with how many ramps it ended. */
function stopsText(r: CapacityResult, pick: (x: Ramp) => boolean = () => true): string {
  const ramps = r.ramps.filter(pick);
  const words = ramps.map((x) => rampStopWords(r, x));
  return [...new Set(words)].map((w) => (ramps.length > 1 ? `${w} in ${words.filter((x) => x === w).length} of ${ramps.length} ramps` : w)).join('; ');
}

/** A step whose clients all connected within both limits: the target held that many, and its memory there counts as memory at that scale. */
export const heldStep = (r: CapacityResult, s: CapacityStep): boolean => s.connected >= s.requested && s.memoryBytes !== null && s.rttMs.p95 <= r.rttLimitMs && s.failedConnects <= r.maxFailureRatio * r.stepClients;

/** Memory while holding each step's clients, by step (level), one sample per ramp. */
function memoryAtScale(r: CapacityResult): Figure | string {
  const byLevel = new Map<number, Figure['samples']>();
  for (const ramp of r.ramps) {
    for (const s of ramp.steps) {
      if (!heldStep(r, s)) continue;
      byLevel.set(s.requested, [...(byLevel.get(s.requested) ?? []), { value: s.memoryBytes!, pairKey: `ramp ${ramp.ramp}`, at: ramp.startedAt }]);
    }
  }
  if (!byLevel.size) return 'no step held all its clients within the limits with a memory reading';
  const levels = [...byLevel.entries()].sort(([a], [b]) => a - b).map(([level, samples]) => ({ level, label: `memory while holding ${fmtInt(level)} clients`, samples }));
  const top = levels.at(-1)!;
  return {
    samples: top.samples,
    levels,
    unit: 'bytes',
    detail: `${r.memoryLabel.split(' (')[0]} read with the clients held, one reading per ramp of a fresh target (${r.ramps.length} ramp(s)), ${r.protocol}, ${r.workers} worker(s)`,
    lowerBound: false,
    pairable: true,
  };
}

/** Every step's (clients, memory) of every ramp: the points the 1M fit runs through; the idle readings only where the steps give one client count (as memorySlope). */
function memoryPoints(r: CapacityResult): { x: number; y: number }[] {
  const steps = r.ramps.flatMap((x) => x.steps.flatMap((s) => (s.memoryBytes === null || s.connected === 0 ? [] : [{ x: s.connected, y: s.memoryBytes }])));
  if (new Set(steps.map((p) => p.x)).size >= 2) return steps;
  return [...r.ramps.flatMap((x) => (x.idleBytes === null ? [] : [{ x: 0, y: x.idleBytes }])), ...steps];
}

/** The 1M extrapolation from one line through every ramp's steps, with the interval of the fit's mean at 1M. */
export function projected1M(r: CapacityResult, confidence: number): { value: number; interval: NonNullable<Figure['interval']> | null; points: number } | null {
  const fit = fitLine(memoryPoints(r));
  if (!fit || !(fit.slope > 0)) return null;
  const at = fit.meanAt(MILLION, confidence);
  return {
    value: fit.intercept + fit.slope * MILLION,
    interval: at && { lo: at.lo, hi: at.hi, level: confidence, method: `least squares through ${fit.n} steps of ${r.ramps.length} ramp(s), Student's t; a straight line that far out is itself an assumption` },
    points: fit.n,
  };
}


export const capacityKind: ResultKind<CapacityResult> = {
  schema: capacityResultSchema,
  summaryLine(r) {
    if (!r.ramps.length) return 'no ramps';
    const e = estimate(held(r));
    const lower = r.ramps.some((x) => x.lowerBound) ? 'at least ' : '';
    return `held ${lower}${fmtInt(e.median)} clients [${fmtInterval(e.ci, fmtInt)}] with p95 round trip <= ${r.rttLimitMs} ms (${r.ramps.length} ramp(s); stopped by ${[...new Set(r.ramps.map((x) => x.stopReason))].join(', ')})`;
  },
  section(measurements, run) {
    const rows = measurements.flatMap((m) => (resultOf(m)?.ramps.length ? [{ target: m.target, r: resultOf(m)! }] : []));
    if (!rows.length) return { paragraphs: [], tables: [], warnings: [] };
    const first = rows[0]!.r;
    const warnings: string[] = [];
    for (const { target, r } of rows) {
      if (r.ramps.some((x) => x.lowerBound)) warnings.push(`${target}: stopped by ${stopsText(r, (x) => x.lowerBound)}, a limit of this run or machine, so its capacity is at least the figure shown, not the framework's limit.`);
      if (r.ramps.some((x) => x.steps.some((s) => s.loaderBound))) warnings.push(`${target}: the loader's CPU was saturated during some steps, so their round trips include the loader's queueing.`);
    }
    const machine = run.environment.memoryBytes;
    const available = run.environment.memoryAvailableBytes;
    const confidence = run.confidence ?? 0.95;
    return {
      paragraphs: [
        `Clients are added ${fmtInt(first.stepClients)} at a time up to ${fmtInt(first.ceiling)}, each held open; after each step ${first.sampleMessages} echo messages of ${first.messageBytes} bytes go over distinct held clients and their round trip is measured. A ramp stops at the framework's limit (the p95 round trip passes ${first.rttLimitMs} ms, or more than ${(first.maxFailureRatio * 100).toFixed(0)}% of a step's connects fail) or at a limit of the machine, which makes the figure a lower bound: the target's processes out of descriptors (connects failing in a step that asks for about as many sockets as they may open), the loader's ports, descriptors or memory, or the ceiling, a safety bound. ` +
          `**Held** is the most clients connected after a step within both limits. Each ramp starts a fresh target, alternating across targets (ramps per target: ${rows.map(({ target, r }) => `${target} ${r.ramps.length}`).join(', ')}). The loader: ${first.loader}. ` +
          `Each target's workers and open-files limit per process (read from its own processes, in a container inside it) are in the table; memory is ${[...new Set(rows.map(({ r }) => r.memoryLabel))].join('; ')}.`,
        `Memory per connection is the slope of the target's memory over the clients it held (least squares over the steps, so that one-off costs of the first connections stay out; from idle with a single step), its interval over ramps. **The 1M figure is an extrapolation**: one line through every ramp's steps, carried to ${fmtInt(MILLION)} connections, with the interval of the fit; it is not a measurement. ${available === undefined ? `This machine has ${fmtGiB(machine)}.` : `The run started with ${fmtGiB(available)} available of this machine's ${fmtGiB(machine)}.`}`,
      ],
      tables: [
        {
          caption: 'Capacity',
          header: ['target', 'protocol', 'workers', 'open files per process', 'held clients (median)', 'interval (level)', 'stopped by', 'most connected', 'handshakes/s', 'handshake p95 ms', 'memory per connection (interval)', '1M connections would need (extrapolated, interval)'],
          rows: rows.map(({ target, r }) => {
            const e = estimate(held(r));
            const perClient = r.ramps.flatMap((x) => (x.memoryPerClientBytes === null ? [] : [x.memoryPerClientBytes]));
            const projected = projected1M(r, confidence);
            const hs = estimate(r.ramps.map((x) => x.handshakes.perS));
            const files = [...new Set(r.ramps.map((x) => x.targetOpenFiles?.limit ?? r.targetOpenFilesLimit))];
            const against = available ?? machine;
            return [
              target,
              r.protocol,
              String(r.workers),
              files.map((f) => (f === null ? 'unknown' : fmtInt(f))).join(', '),
              `${r.ramps.some((x) => x.lowerBound) ? '≥ ' : ''}${fmtInt(e.median)}`,
              fmtInterval(e.ci, fmtInt),
              stopsText(r),
              fmtInt(Math.max(...r.ramps.map((x) => x.maxConnected))),
              fmtInt(hs.median),
              fmtMs(estimate(r.ramps.map((x) => x.handshakes.latencyMs.p95)).median),
              perClient.length ? `${fmtKiB(estimate(perClient).median)} (${fmtInterval(estimate(perClient).ci, fmtKiB)})` : 'n/a',
              projected
                ? `${fmtGiB(projected.value)} (${projected.interval ? `${fmtGiB(Math.max(0, projected.interval.lo))}-${fmtGiB(projected.interval.hi)}` : 'no interval: fewer than 3 steps'}; ${(projected.value / against).toFixed(1)}x the memory ${available === undefined ? 'of this machine' : 'available'})`
                : 'n/a',
            ];
          }),
        },
        {
          caption: 'The capacity curve (first ramp of each target): held clients, round trip of the sample, and the target\'s memory and CPU',
          header: ['target', 'step', 'connected', 'failed connects', 'RTT p50 ms', 'RTT p95 ms', 'RTT p99 ms', 'lost', 'memory', 'target CPU', 'loader CPU', 'ended the ramp'],
          rows: rows.flatMap(({ target, r }) =>
            r.ramps[0]!.steps.map((s) => [
              target,
              String(s.step),
              fmtInt(s.connected),
              fmtInt(s.failedConnects),
              fmtMs(s.rttMs.p50),
              fmtMs(s.rttMs.p95),
              fmtMs(s.rttMs.p99),
              fmtInt(s.rttLost),
              s.memoryBytes === null ? 'n/a' : `${(s.memoryBytes / 2 ** 20).toFixed(1)} MiB`,
              s.targetCpuPct === null ? 'n/a' : `${s.targetCpuPct.toFixed(0)}%`,
              s.loaderCpuPct === null ? 'n/a' : `${s.loaderCpuPct.toFixed(0)}%${s.loaderBound ? ' (saturated)' : ''}`,
              s.stop ? STOP_WORDS[s.stop] : '',
            ]),
          ),
        },
      ],
      warnings,
    };
  },
  charts(measurements) {
    const points = measurements.flatMap((m) =>
      (resultOf(m)?.ramps ?? []).flatMap((ramp) =>
        ramp.steps.map((s) => ({ target: m.target, ramp: `${m.target} ramp ${ramp.ramp}`, clients: s.connected, p95: s.rttMs.p95, mib: s.memoryBytes === null ? null : s.memoryBytes / 2 ** 20 })),
      ),
    );
    const limit = resultOf(measurements[0] ?? ({} as Measurement))?.rttLimitMs;
    const missing = 'no valid measurement of the `ws-capacity` scenario in this run';
    return [
      {
        name: 'ws-capacity',
        title: 'WebSocket capacity: p95 round trip vs held clients',
        missing,
        spec: points.length
          ? vegaLite(`p95 echo round trip (ms) vs clients held; the ramp stops above ${limit ?? '?'} ms`, {
              data: { values: points },
              mark: { type: 'line', point: true },
              encoding: {
                x: { field: 'clients', type: 'quantitative', title: 'clients held' },
                y: { field: 'p95', type: 'quantitative', title: 'p95 round trip (ms)', scale: { type: 'symlog' } },
                color: { field: 'target', type: 'nominal', title: null },
                detail: { field: 'ramp', type: 'nominal' },
              },
            })
          : null,
      },
      {
        name: 'ws-memory',
        title: 'WebSocket memory vs held clients',
        missing,
        spec: points.some((p) => p.mib !== null)
          ? vegaLite('Target memory (MiB) vs clients held: the slope is the memory per connection', {
              data: { values: points.filter((p) => p.mib !== null) },
              mark: { type: 'line', point: true },
              encoding: {
                x: { field: 'clients', type: 'quantitative', title: 'clients held' },
                y: { field: 'mib', type: 'quantitative', title: 'MiB' },
                color: { field: 'target', type: 'nominal', title: null },
                detail: { field: 'ramp', type: 'nominal' },
              },
            })
          : null,
      },
    ];
  },
  series: (r) => [
    { metric: 'held clients', unit: 'clients', higherIsBetter: true, samples: held(r) },
    { metric: 'memory per connection', unit: 'bytes', higherIsBetter: false, samples: r.ramps.flatMap((x) => (x.memoryPerClientBytes === null ? [] : [x.memoryPerClientBytes])) },
  ],
  figureNames: ['held-clients', 'memory-at-scale', 'projected-1m-bytes'],
  figure(name, r, run) {
    if (!r.ramps.length) return 'no ramps';
    if (name === 'held-clients') {
      const lower = r.ramps.some((x) => x.lowerBound);
      return {
        samples: r.ramps.map((x) => ({ value: x.maxClientsWithinLimits, pairKey: `ramp ${x.ramp}`, at: x.startedAt })),
        unit: 'clients',
        detail: `most clients held with p95 round trip <= ${r.rttLimitMs} ms and <= ${(r.maxFailureRatio * 100).toFixed(0)}% failed connects, steps of ${fmtInt(r.stepClients)} up to a safety ceiling of ${fmtInt(r.ceiling)}, ${r.ramps.length} ramp(s) of a fresh target, ${r.protocol}, ${r.workers} worker(s)`,
        lowerBound: lower,
        stoppedBy: stopsText(r),
        ...(lower && { limit: stopsText(r, (x) => x.lowerBound) }),
        pairable: true,
      };
    }
    if (name === 'memory-at-scale') return memoryAtScale(r);
    if (name === 'projected-1m-bytes') {
      const p = projected1M(r, run.confidence ?? 0.95);
      if (!p) return 'memory did not grow measurably over the held clients';
      const most = Math.max(...r.ramps.map((x) => x.maxConnected));
      return {
        samples: [{ value: p.value, pairKey: 'fit' }],
        unit: 'bytes',
        detail: `extrapolated from memory over up to ${fmtInt(most)} held clients (${r.memoryLabel.split(' (')[0]}), ${p.points} steps of ${r.ramps.length} ramp(s), ${r.workers} worker(s)`,
        lowerBound: false,
        pairable: false,
        ...(p.interval && { interval: p.interval }),
      };
    }
    return `no figure "${name}"`;
  },
};
