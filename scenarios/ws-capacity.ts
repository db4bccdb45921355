// Scenario `ws-capacity`: how many WebSocket clients a target holds. After hashrocket's
// websocket-shootout: add clients in steps, each held open; after each step send a sample of echo
// messages over distinct held clients and measure their round trip; stop when the p95 round trip
// passes a limit, when more than 1% of a step's connects fail, or at the ceiling (or when the
// loader's machine runs out of ports, descriptors or memory: then the figure is a lower bound).
// After each step the target's memory and CPU are read while the clients stay connected; the slope
// of memory over held clients gives the memory per connection and, labelled as an extrapolation,
// what 1,000,000 connections would need. Each ramp runs on a freshly started target (one process's
// readings are one sample), ramps alternating across targets in a rotating order.
import { setTimeout as sleep } from 'node:timers/promises';
import { linearRegression } from 'simple-statistics';
import { z } from 'zod';
import { assertAlive } from '../harness/run/alive.ts';
import { plannedRoundsSeconds, runClaimRounds } from '../harness/run/rounds.ts';
import { fmtGiB, fmtInt, fmtInterval, fmtMs } from '../harness/report/format.ts';
import { vegaLite } from '../harness/report/vega.ts';
import { estimate } from '../harness/stats/estimate.ts';
import { openFilesPlan, type WsCapacityStep } from '../harness/load/ws/index.ts';
import type { Measurement, ResultKind, RunningTarget, Scenario, ScenarioContext } from '../harness/types.ts';
import { describeWsLoader, LOADER_LIMITS, scenarioWsLoader, verifyWsEndpoint, wsLatencySchema, wsLoadOf, wsProtocol, wsUrl } from './ws-common.ts';

/** Idle memory is read this long after the target is ready. */
const SETTLE_MS = 1000;
/** The 1M+ claims are set against this many connections. */
export const MILLION = 1_000_000;
const STOP_REASONS = ['rtt-limit', 'failures', 'ceiling', 'ports', 'file-descriptors', 'loader-memory', 'caller'] as const;
const STOP_WORDS: Record<(typeof STOP_REASONS)[number], string> = {
  'rtt-limit': 'round trip over the limit',
  failures: 'connects failing',
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
  handshakeMs: wsLatencySchema,
  dropped: z.number().int().nonnegative(),
  rttMs: wsLatencySchema,
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
});

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
  handshakes: z.object({ ok: z.number().int(), failed: z.number().int(), perS: z.number(), latencyMs: wsLatencySchema, errorKinds: z.record(z.string(), z.number()) }),
  sourceAddresses: z.number().int().nonnegative(),
  openFilesLimit: z.number().int().nonnegative(),
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
  /** Descriptors one target process may open here (local runtime: the hard limit the targets inherit; null where not known). */
  targetOpenFilesLimit: z.number().int().positive().nullable().default(null),
  schedule: z.literal('alternating'),
  ramps: z.array(rampSchema),
});
export type CapacityResult = z.infer<typeof capacityResultSchema>;
type Ramp = CapacityResult['ramps'][number];

/** Memory per held client and the 1M extrapolation, from (clients, bytes) points; null with fewer than two distinct client counts or no growth. */
export function memorySlope(points: { clients: number; bytes: number }[]): { perClient: number; projected1M: number } | null {
  if (new Set(points.map((p) => p.clients)).size < 2) return null;
  const { m, b } = linearRegression(points.map((p) => [p.clients, p.bytes]));
  if (!(m > 0)) return null;
  return { perClient: m, projected1M: b + m * MILLION };
}

const resultOf = (m: Measurement) => m.result as CapacityResult | undefined;
const held = (r: CapacityResult) => r.ramps.map((x) => x.maxClientsWithinLimits);
const fmtKiB = (bytes: number | null) => (bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(1)} KiB`);
/** What stopped a target's lower-bound ramps, in words: the ceiling with its count, or a limit of the machine. */
function rampLimit(r: CapacityResult): string {
  const reasons = [...new Set(r.ramps.filter((x) => x.lowerBound).map((x) => x.stopReason))];
  return reasons
    .map((reason) =>
      reason === 'ceiling'
        ? `the run's ceiling of ${fmtInt(r.ceiling)} clients`
        : reason === 'failures'
          ? `the open-files limit of the target's processes${r.targetOpenFilesLimit !== null ? ` (${fmtInt(r.targetOpenFilesLimit)})` : ''}`
          : reason === 'rtt-limit'
            ? "the loader's CPU (saturated at the last step)"
            : STOP_WORDS[reason],
    )
    .join(' and ');
}

const stopText = (ramp: Ramp) => STOP_WORDS[ramp.stopReason] + (ramp.lowerBound ? ' (lower bound)' : '');

const capacityKind: ResultKind<CapacityResult> = {
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
      if (r.ramps.some((x) => x.lowerBound)) warnings.push(`${target}: a ramp ended at a limit of the loader's machine or at the ceiling (${[...new Set(r.ramps.filter((x) => x.lowerBound).map((x) => x.stopReason))].join(', ')}), so its capacity is at least the figure shown, not its limit; raise --ws-ceiling or give the loader more CPUs.`);
      if (r.ramps.some((x) => x.steps.some((s) => s.loaderBound))) warnings.push(`${target}: the loader's CPU was saturated during some steps, so their round trips include the loader's queueing.`);
    }
    const machine = run.environment.memoryBytes;
    return {
      paragraphs: [
        `Clients are added ${fmtInt(first.stepClients)} at a time up to ${fmtInt(first.ceiling)}, each held open; after each step ${first.sampleMessages} echo messages of ${first.messageBytes} bytes go over distinct held clients and their round trip is measured. A ramp stops when the p95 round trip passes ${first.rttLimitMs} ms, when more than ${(first.maxFailureRatio * 100).toFixed(0)}% of a step's connects fail, at the ceiling, or at a limit of the loader's machine (ports, descriptors, memory: a lower bound). ` +
          `**Held** is the most clients connected after a step within both limits. Each ramp starts a fresh target; ${first.ramps.length} ramp(s) per target, alternating across targets. The loader: ${first.loader}. Every target runs ${first.workers} worker(s); memory is ${first.memoryLabel}.` +
          (first.targetOpenFilesLimit !== null ? ` A target process may open at most ${fmtInt(first.targetOpenFilesLimit)} descriptors here (the hard limit it inherits), so one worker cannot hold more connections than that; a ramp stopped by failing connects near it is marked a lower bound.` : ''),
        `Memory per connection is the slope of the target's memory over the clients it held (least squares over the steps, so that one-off costs of the first connections stay out; from idle with a single step). **The 1M figure is an extrapolation** of that slope to ${fmtInt(MILLION)} connections, not a measurement; this machine has ${fmtGiB(machine)}.`,
      ],
      tables: [
        {
          caption: 'Capacity',
          header: ['target', 'protocol', 'held clients (median)', 'interval (level)', 'stopped by', 'most connected', 'handshakes/s', 'handshake p95 ms', 'memory per connection', '1M connections would need (extrapolated)'],
          rows: rows.map(({ target, r }) => {
            const e = estimate(held(r));
            const perClient = r.ramps.flatMap((x) => (x.memoryPerClientBytes === null ? [] : [x.memoryPerClientBytes]));
            const projected = r.ramps.flatMap((x) => (x.projected1MBytes === null ? [] : [x.projected1MBytes]));
            const hs = estimate(r.ramps.map((x) => x.handshakes.perS));
            return [
              target,
              r.protocol,
              `${r.ramps.some((x) => x.lowerBound) ? '≥ ' : ''}${fmtInt(e.median)}`,
              fmtInterval(e.ci, fmtInt),
              r.ramps.map(stopText).join('; '),
              fmtInt(Math.max(...r.ramps.map((x) => x.maxConnected))),
              fmtInt(hs.median),
              fmtMs(estimate(r.ramps.map((x) => x.handshakes.latencyMs.p95)).median),
              perClient.length ? fmtKiB(estimate(perClient).median) : 'n/a',
              projected.length ? `${fmtGiB(estimate(projected).median)} (${(estimate(projected).median / machine).toFixed(1)}x this machine's memory)` : 'n/a',
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
  figureNames: ['held-clients', 'projected-1m-bytes'],
  figure(name, r) {
    if (!r.ramps.length) return 'no ramps';
    if (name === 'held-clients') {
      return {
        samples: r.ramps.map((x) => ({ value: x.maxClientsWithinLimits, pairKey: `ramp ${x.ramp}`, at: x.startedAt })),
        unit: 'clients',
        detail: `most clients held with p95 round trip <= ${r.rttLimitMs} ms and <= ${(r.maxFailureRatio * 100).toFixed(0)}% failed connects, steps of ${fmtInt(r.stepClients)} to ${fmtInt(r.ceiling)}, ${r.ramps.length} ramp(s) of a fresh target, ${r.protocol}, ${r.workers} worker(s); stopped by ${r.ramps.map((x) => x.stopReason).join(', ')}`,
        lowerBound: r.ramps.some((x) => x.lowerBound),
        ...(r.ramps.some((x) => x.lowerBound) && { limit: rampLimit(r) }),
        pairable: true,
      };
    }
    if (name === 'projected-1m-bytes') {
      const samples = r.ramps.flatMap((x) => (x.projected1MBytes === null ? [] : [{ value: x.projected1MBytes, pairKey: `ramp ${x.ramp}`, at: x.startedAt }]));
      if (!samples.length) return 'memory did not grow measurably over the held clients';
      const most = Math.max(...r.ramps.map((x) => x.maxConnected));
      return { samples, unit: 'bytes', detail: `extrapolated from memory over up to ${fmtInt(most)} held clients (${r.memoryLabel.split(' (')[0]}), ${r.workers} worker(s)`, lowerBound: false, pairable: true };
    }
    return `no figure "${name}"`;
  },
};

/** Seconds of all ramps of one target: per step the connects (~2,000/s) and the sample (200 messages/s); per ramp a start and settle. */
/** Seconds one ramp of one target takes at most, for the plan. */
function plannedRampSeconds(ws: ReturnType<typeof wsLoadOf>): number {
  return Math.ceil(ws.ceiling / ws.step) * (ws.step / 2000 + ws.sampleMessages / 200) + 3;
}

export const wsCapacityScenario: Scenario<CapacityResult> = {
  name: 'ws-capacity',
  description: 'WebSocket clients held: clients added in steps, each held open, until the p95 echo round trip passes a limit, connects fail, or the ceiling; memory per connection from the held steps.',
  requires: ['/ws/echo'],
  schedule: 'alternating',
  kind: capacityKind,
  verify: verifyWsEndpoint('/ws/echo'),

  plannedSeconds: (load, _profile, targets, claimTargets) => plannedRoundsSeconds({ ...load, trials: wsLoadOf(load).ramps }, plannedRampSeconds(wsLoadOf(load)), targets, claimTargets),

  async run(targets, ctx) {
    const ws = wsLoadOf(ctx.load);
    const loader = await scenarioWsLoader(ctx);
    const results = new Map(
      targets.map((t) => {
        const protocol = wsProtocol(t.target, '/ws/echo');
        const r: CapacityResult = {
          protocol: protocol.name,
          loader: describeWsLoader(loader),
          stepClients: ws.step,
          ceiling: ws.ceiling,
          rttLimitMs: ws.rttLimitMs,
          maxFailureRatio: 0.01,
          sampleMessages: ws.sampleMessages,
          messageBytes: ws.messageBytes,
          memoryLabel: t.memoryLabel,
          workers: t.workers,
          targetOpenFilesLimit: ctx.runtime.name === 'local' ? openFilesPlan(1_048_576).limit : null,
          schedule: 'alternating',
          ramps: [],
        };
        return [t, r];
      }),
    );
    for (const t of targets) await t.stop(); // every ramp starts afresh
    // Ramps are the rounds: the profile's ramps for every target, then more while the users claim is
    // open (a ramp stopped by a limit of the machine is a lower bound, which more ramps do not lift).
    await runClaimRounds(
      targets,
      ctx as ScenarioContext<unknown>,
      {
        label: 'ramps',
        trialS: plannedRampSeconds(ws),
        trial: async (t, round) => {
          const name = t.target.decl.name;
          const instance = await ctx.startTarget(t.target);
          try {
            const r = results.get(t)!;
            // Each step is saved as it ends (a provisional ramp), so that Ctrl-C or a crash keeps what the ramp reached.
            const index = r.ramps.length;
            const keep = (x: Ramp) => {
              r.ramps[index] = x;
              ctx.save(name, r);
            };
            keep(await ramp(instance, round, r, loader, ctx, keep));
            const last = r.ramps.at(-1)!;
            ctx.progress.info(`${name}: held ${last.lowerBound ? 'at least ' : ''}${fmtInt(last.maxClientsWithinLimits)} clients (${last.stopDetail})`);
          } finally {
            await instance.stop();
          }
        },
      },
      {},
      ws.ramps,
    );
  },
};

/** The ramp so far, while it is under way: marked 'caller' and a lower bound until the ramp's own result replaces it. */
function provisionalRamp(round: number, startedAt: string, idleBytes: number | null, steps: Ramp['steps'], r: CapacityResult): Ramp {
  const within = steps.filter((s) => s.rttMs.p95 <= r.rttLimitMs && s.failedConnects <= r.maxFailureRatio * r.stepClients);
  const last = steps.at(-1)!;
  return {
    ramp: round,
    startedAt,
    endedAt: new Date().toISOString(),
    idleBytes,
    steps: [...steps],
    stopReason: 'caller',
    stopDetail: 'The ramp was still under way when the run stopped: these steps are all it reached.',
    maxClientsWithinLimits: Math.max(0, ...within.map((s) => s.connected)),
    maxConnected: Math.max(...steps.map((s) => s.connected)),
    lowerBound: true,
    handshakes: { ok: last.connected, failed: steps.reduce((n, s) => n + s.failedConnects, 0), perS: last.handshakesPerS, latencyMs: last.handshakeMs, errorKinds: {} },
    sourceAddresses: 0,
    openFilesLimit: 0,
    loaderWorkers: 1,
    memoryPerClientBytes: null,
    projected1MBytes: null,
  };
}

async function ramp(instance: RunningTarget, round: number, r: CapacityResult, loader: Awaited<ReturnType<typeof scenarioWsLoader>>, ctx: Parameters<Scenario<CapacityResult>['run']>[1], keep: (partial: Ramp) => void): Promise<Ramp> {
  const startedAt = new Date().toISOString();
  await sleep(SETTLE_MS);
  const idle = await instance.stats();
  const steps: z.infer<typeof stepSchema>[] = [];
  let last = idle;
  const result = await loader.capacity(
    { url: wsUrl(instance, '/ws/echo'), protocol: wsProtocol(instance.target, '/ws/echo'), stepClients: r.stepClients, maxClients: r.ceiling, rttLimitMs: r.rttLimitMs, maxFailureRatio: r.maxFailureRatio, sampleMessages: r.sampleMessages, messageBytes: r.messageBytes },
    {
      signal: ctx.signal,
      onStep: async (s: WsCapacityStep) => {
        // Read while the step's clients are held; a target that died ends the ramp (and fails below).
        const exited = await Promise.race([instance.exited, Promise.resolve(null)]);
        const now = await instance.stats();
        const cpuPct = now && last && now.atMs > last.atMs ? ((now.cpuSeconds - last.cpuSeconds) / ((now.atMs - last.atMs) / 1000)) * 100 : null;
        if (now) last = now;
        steps.push({
          step: s.step,
          requested: s.requested,
          connected: s.connected,
          failedConnects: s.handshakes.failed,
          handshakesPerS: s.handshakes.perS,
          handshakeMs: s.handshakes.latencyMs,
          dropped: s.dropped,
          rttMs: s.rtt.latencyMs,
          rttSent: s.rtt.sent,
          rttLost: s.rtt.lost,
          rttUnexpected: s.unexpected,
          loaderCpuPct: s.loaderCpuPct,
          loaderBound: s.loaderCpuPct !== null && s.loaderCpuPct >= ctx.loaderBoundPct,
          memoryBytes: now?.memoryBytes ?? null,
          rssBytes: now?.rssBytes ?? null,
          targetCpuPct: cpuPct,
          atMs: s.atMs,
          stop: s.stop,
        });
        keep(provisionalRamp(round, startedAt, idle?.memoryBytes ?? null, steps, r));
        ctx.progress.info(`${instance.target.decl.name}: ${fmtInt(s.connected)} clients, RTT p95 ${fmtMs(s.rtt.latencyMs.p95)} ms, ${s.handshakes.failed} failed connects${now ? `, ${(now.memoryBytes / 2 ** 20).toFixed(0)} MiB` : ''}`);
        return exited ? 'stop' : undefined;
      },
    },
  );
  await assertAlive(instance);
  const lastStep = steps.at(-1);
  // Connects failing once the target's processes hold about as many sockets as they may open: the
  // machine's limit, not the framework's.
  const fdBound = result.stopReason === 'failures' && r.targetOpenFilesLimit !== null && result.maxConnected >= 0.9 * r.targetOpenFilesLimit * r.workers;
  // The marginal cost of a connection: the slope over the steps; the idle reading only when there are
  // fewer than two steps (the first connections also pay one-off costs: buffers, lazily loaded code).
  const held = steps.flatMap((s) => (s.memoryBytes === null || s.connected === 0 ? [] : [{ clients: s.connected, bytes: s.memoryBytes }]));
  const slope = memorySlope(held.length >= 2 || !idle ? held : [{ clients: 0, bytes: idle.memoryBytes }, ...held]);
  return {
    ramp: round,
    startedAt,
    endedAt: new Date().toISOString(),
    idleBytes: idle?.memoryBytes ?? null,
    steps,
    stopReason: result.stopReason,
    stopDetail: fdBound ? `${result.stopDetail} This is near the open-files limit of the target's processes here (${fmtInt(r.targetOpenFilesLimit!)} each, ${r.workers} worker(s)): the machine's limit, not the target's.` : result.stopDetail,
    maxClientsWithinLimits: result.maxClientsWithinLimits,
    maxConnected: result.maxConnected,
    lowerBound: (LOADER_LIMITS as readonly string[]).includes(result.stopReason) || fdBound || (result.stopReason === 'rtt-limit' && lastStep?.loaderBound === true),
    handshakes: { ok: result.handshakes.ok, failed: result.handshakes.failed, perS: result.handshakes.perS, latencyMs: result.handshakes.latencyMs, errorKinds: result.handshakes.errorKinds },
    sourceAddresses: result.sourceAddresses.length,
    openFilesLimit: result.openFilesLimit,
    loaderWorkers: result.workers,
    memoryPerClientBytes: slope?.perClient ?? null,
    projected1MBytes: slope?.projected1M ?? null,
  };
}
