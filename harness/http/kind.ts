// The result kind of HTTP load scenarios: report section, charts, compare series and claim
// figures, all computed from the stored trials. One factory serves json and the database endpoints.
import { fmtInt, fmtInterval, fmtMiB, fmtMs, fmtPct } from '../report/format.ts';
import { vegaLite } from '../report/vega.ts';
import type { ChartSpec, Figure, Measurement, ResultKind, RunResults, Section, Series } from '../types.ts';
import { httpResultSchema, levelLabel, type HttpResult, type HttpTrial } from './schema.ts';
import { bestLevel, byLevel, summarizeHttp, summarizeLevel } from './summary.ts';

export interface HttpKindOptions {
  /** The scenario's name, used in chart names. */
  scenario: string;
  /** What is measured, e.g. "JSON throughput". */
  title: string;
  endpoint: string;
  /** Other HTTP scenarios whose throughput the section shows beside this one's, per target (the
   * database scenarios beside json). */
  beside?: string[];
}

/** A target's throughput in an HTTP scenario for the "beside" table: at the parameters of the last
 * level (queries=20), the best connection level. */
function headline(r: HttpResult): { rps: number; label: string; limited: boolean } | undefined {
  const last = r.levels.at(-1);
  const groups = byLevel(r.trials).filter((g) => JSON.stringify(g.level.params ?? {}) === JSON.stringify(last?.params ?? {}));
  const best = bestLevel(groups.map((g) => summarizeLevel(g.level, g.trials)));
  return best && { rps: best.rps.median, label: best.label, limited: best.loaderBoundTrials + best.sharedSaturatedTrials > 0 };
}

const resultOf = (m: Measurement): HttpResult | undefined => m.result as HttpResult | undefined;

/** The schema-1 json measurement (load, workers, trials with connections/trial) as an HttpResult. */
function fromV1(endpoint: string, old: Record<string, unknown>): HttpResult | undefined {
  const load = old.load as { connections: number[]; durationS: number; warmupS: number; trials: number; pipelining?: number } | undefined;
  const trials = (old.trials ?? []) as Array<Record<string, unknown> & { connections: number; trial: number; errors: number; timeouts: number; target: Record<string, number | null> }>;
  if (!load) return undefined;
  const docker = old.runtime === 'docker';
  return {
    endpoint,
    levels: load.connections.map((connections) => ({ connections })),
    durationS: load.durationS,
    warmupS: load.warmupS,
    rounds: load.trials,
    pipelining: load.pipelining ?? 1,
    schedule: 'sequential',
    mode: 'closed',
    loader: 'autocannon (schema 1)',
    memoryLabel: docker
      ? "container memory usage as the engine's stats API gave it (schema 1; on Podman 4 with cgroup v1 page cache was not subtracted)"
      : 'RSS summed over the process tree (schema 1; shared pages counted once per process)',
    workers: typeof old.workers === 'number' ? old.workers : 1,
    trials: trials.map(
      (t): HttpTrial => ({
        level: { connections: t.connections },
        round: t.trial,
        order: 0,
        durationS: t.durationS as number,
        requests: t.requests as number,
        rps: t.rps as number,
        latencyMs: t.latencyMs as HttpTrial['latencyMs'],
        // Schema 1 took autocannon's errors, which already include its timeouts.
        errors: Math.max(0, t.errors - t.timeouts),
        timeouts: t.timeouts,
        non2xx: t.non2xx as number,
        loaderCpuPct: t.loaderCpuPct as number | null,
        loaderBound: t.loaderBound as boolean,
        target: { memoryBytesPeak: t.target.rssBytesPeak ?? null, memoryBytesMean: t.target.rssBytesMean ?? null, rssBytesPeak: t.target.rssBytesPeak ?? null, cpuPct: t.target.cpuPct ?? null },
      }),
    ),
  };
}

/** How the trials were made: the sweep's rounds per level, then the claim rounds and why they stopped. */
function roundsText(r: HttpResult, run: RunResults, scenario: string): string {
  const sweep = r.trials.some((t) => t.phase === 'sweep');
  const claim = r.trials.some((t) => t.phase === 'claim');
  if (!sweep && !claim) return `${r.rounds} trials of ${r.durationS} s per target and level (${r.levels.map(levelLabel).join('; ')} connections)`;
  const record = run.rounds?.[scenario];
  const parts = [];
  if (sweep) parts.push(`a sweep over ${r.levels.map(levelLabel).join('; ')} connections, ${r.rounds} rounds of ${r.durationS} s trials per level`);
  if (claim && record) {
    const why = { decided: 'every claim resting on it was decided', budget: `its ${record.budgetS} s budget was spent`, 'max-rounds': `it reached the most rounds, ${record.maxRounds}`, 'no-claims': 'no claim rests on it, so the least rounds ran', interrupted: 'it was interrupted' }[record.stoppedBy];
    parts.push(
      `${sweep ? 'then ' : ''}${record.rounds} claim rounds of ${r.durationS} s trials at each target's claim level (${record.levelsFrom === 'sweep' ? 'its best median in the sweep, chosen before the claim rounds' : "the profile's one level"}${record.levels ? `: ${Object.entries(record.levels).map(([t, l]) => `${t} ${l}`).join(', ')}` : ''}), at least ${record.minRounds}, stopped because ${why}; a target whose claims were decided left the rotation`,
    );
  } else if (claim) parts.push(`${sweep ? 'then ' : ''}claim rounds of ${r.durationS} s trials at each target's claim level`);
  return parts.join(', ');
}

export function httpResultKind(o: HttpKindOptions): ResultKind<HttpResult> {
  return {
    schema: httpResultSchema,

    summaryLine(r) {
      const best = bestLevel(summarizeHttp(r.trials));
      return best ? `${fmtInt(best.rps.median)} req/s [${fmtInterval(best.rps.ci, fmtInt)}] at ${best.label} connections${best.loaderBoundTrials ? ' (loader-bound)' : best.sharedSaturatedTrials ? ' (shared loader/service CPU saturated)' : ''}` : 'no trials';
    },

    section(measurements: Measurement[], run: RunResults): Section {
      const measured = measurements.flatMap((m) => (resultOf(m)?.trials.length ? [{ m, r: resultOf(m)! }] : []));
      const section: Section = { paragraphs: [], tables: [], warnings: [] };
      const first = measured[0]?.r;
      if (!first) return section;
      section.paragraphs.push(
        `Load on \`${o.endpoint}\` by ${first.loader ?? 'an unnamed loader'}: ${roundsText(first, run, o.scenario)}, after a ${first.warmupS} s warmup of each target per level; pipelining ${first.pipelining}; ` +
          (first.mode === 'open'
            ? `open loop at ${fmtInt(first.rate ?? 0)} requests/s in total (latency measured from each request's intended send time, so queueing shows; the rate actually sent is in the table). `
            : 'closed loop (each connection sends its next request when the previous response arrives). ') +
          (first.schedule === 'interleaved'
            ? 'Trials are interleaved: in every round each target gets one trial, in an order rotated every round, so drift of the machine falls on all targets alike.'
            : '**Trials were not interleaved** (schema 1 results: one target after another), so drift of the machine between targets is mixed into the ratios.'),
        `req/s is the median over trials, with a distribution-free interval of the median (order statistics) and its real confidence level in brackets; latency percentiles are medians over trials. Memory: ${first.memoryLabel}.`,
      );
      const rows: string[][] = [];
      const open = first.mode === 'open';
      const serviceNames = [...new Set(measured.flatMap(({ r }) => r.trials.flatMap((t) => (t.services ?? []).map((x) => x.name))))];
      if (serviceNames.length) {
        const { loaderCpus, serviceCpus } = run.environment.pinning;
        const shared = loaderCpus.filter((c) => serviceCpus.includes(c));
        section.paragraphs.push(
          `${serviceNames.join(' and ')} ran on CPU${serviceCpus.length > 1 ? 's' : ''} ${serviceCpus.join(',')}` +
            (shared.length
              ? `, **shared with the loader** (this machine has too few CPUs to give it its own): its CPU use is in the table beside the target's, "loader CPUs busy" is how busy the loader's CPUs were with everything on them (from /proc/stat), and a trial in which that shared CPU was saturated is flagged: its figure may be limited by that core, not by the target, and counts as a lower bound.`
              : `, apart from the target's and the loader's: its CPU use is in the table beside the target's.`),
        );
      }
      const best: { target: string; s: ReturnType<typeof summarizeLevel> }[] = [];
      for (const { m, r } of measured) {
        const summaries = summarizeHttp(r.trials);
        for (const s of summaries) {
          rows.push([
            m.target,
            s.label,
            fmtInt(s.rps.median),
            fmtInterval(s.rps.ci, fmtInt),
            ...(open ? [s.achievedRate === null ? 'n/a' : fmtInt(s.achievedRate)] : []),
            fmtPct(s.rps.cv),
            fmtMs(s.latencyMs.p50),
            fmtMs(s.latencyMs.p90),
            fmtMs(s.latencyMs.p99),
            fmtMs(s.latencyMs.p999),
            fmtMiB(s.memoryBytesPeak),
            s.targetCpuPct === null ? 'n/a' : `${s.targetCpuPct.toFixed(0)}%`,
            ...serviceNames.map((name) => {
              const cpu = s.serviceCpuPct.find((x) => x.name === name)?.cpuPct;
              return cpu === undefined || cpu === null ? 'n/a' : `${cpu.toFixed(0)}%`;
            }),
            ...(serviceNames.length ? [s.loaderCpusBusyPct === null ? 'n/a' : `${s.loaderCpusBusyPct.toFixed(0)}%`, s.sharedSaturatedTrials ? `yes (${s.sharedSaturatedTrials}/${s.rps.n})` : 'no'] : []),
            s.loaderBoundTrials ? `yes (${s.loaderBoundTrials}/${s.rps.n})` : 'no',
            String(s.errors),
          ]);
          section.warnings.push(...s.warnings.map((w) => `${m.target} @ ${s.label}: ${w}`));
        }
        const top = bestLevel(summaries);
        if (top) best.push({ target: m.target, s: top });
      }
      section.tables.push({
        header: ['target', 'connections', 'req/s (median)', 'interval (level)', ...(open ? ['sent/s (median)'] : []), 'CV', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'peak memory', 'target CPU', ...serviceNames.map((n) => `${n} CPU`), ...(serviceNames.length ? ['loader CPUs busy', 'shared CPU saturated'] : []), 'loader-bound', 'errors'],
        rows,
      });
      if (best.length > 1) {
        best.sort((a, b) => b.s.rps.median - a.s.rps.median);
        const leader = best[0]!;
        section.tables.push({
          caption: `Best level per target, relative to the fastest (${leader.target}). A loader-bound figure is a lower bound of the server's capacity. The claims table gives ratios taken pair by pair from trials of the same round.`,
          header: ['target', 'best req/s', 'at connections', 'relative', 'loader-bound'],
          rows: best.map((b) => [b.target, fmtInt(b.s.rps.median), b.s.label, `${((b.s.rps.median / leader.s.rps.median) * 100).toFixed(1)}%`, b.s.loaderBoundTrials ? 'yes' : b.s.sharedSaturatedTrials ? 'shared CPU saturated' : 'no']),
        });
      }
      const beside = [o.scenario, ...(o.beside ?? [])];
      if (o.beside?.length) {
        const of = (scenario: string, target: string) => {
          const m = run.measurements.find((x) => x.scenario === scenario && x.target === target && x.status === 'ok');
          const r = m && (m.result as HttpResult | undefined);
          return r?.trials.length ? headline(r) : undefined;
        };
        const cell = (h: ReturnType<typeof headline>) => (h ? `${fmtInt(h.rps)} (${h.label})${h.limited ? ' ≥' : ''}` : 'n/a');
        const rowsBeside = measured.map(({ m }) => {
          const own = of(o.scenario, m.target);
          const json = of(o.beside![0]!, m.target);
          return [m.target, ...beside.map((sc) => cell(of(sc, m.target))), own && json ? `${((own.rps / json.rps) * 100).toFixed(1)}%` : 'n/a'];
        });
        section.tables.push({
          caption: `Throughput per target across scenarios: median req/s at each scenario's best connection level (for queries and updates, at the most queries per request), "≥" where the loader or the shared CPU limited it. The last column is ${o.scenario} as a share of ${o.beside[0]}. Each scenario's own section has the intervals.`,
          header: ['target', ...beside.map((sc) => `${sc} req/s`), `${o.scenario} / ${o.beside[0]}`],
          rows: rowsBeside,
        });
      }
      return section;
    },

    charts(measurements: Measurement[]): ChartSpec[] {
      const measured = measurements.flatMap((m) => (resultOf(m)?.trials.length ? [{ target: m.target, summaries: summarizeHttp(resultOf(m)!.trials) }] : []));
      const throughput = measured.flatMap(({ target, summaries }) =>
        summaries.map((s) => ({ target, level: s.label, rps: s.rps.median, lo: s.rps.ci.lo, hi: s.rps.ci.hi })),
      );
      const latency = measured.flatMap(({ target, summaries }) => {
        const best = bestLevel(summaries)!;
        return (['p50', 'p90', 'p99', 'p999'] as const).map((p) => ({ target: `${target} (${best.label} conn.)`, percentile: p === 'p999' ? 'p99.9' : p, ms: best.latencyMs[p] }));
      });
      const none = `no valid measurement of the \`${o.scenario}\` scenario in this run`;
      return [
        {
          name: `${o.scenario}-throughput`,
          title: `${o.title} vs connections (median req/s and its interval)`,
          missing: none,
          spec: throughput.length
            ? vegaLite(`${o.title} vs connections`, {
                data: { values: throughput },
                layer: [
                  { mark: { type: 'line', point: true }, encoding: { x: { field: 'level', type: 'ordinal', title: 'connections', sort: null }, y: { field: 'rps', type: 'quantitative', title: 'req/s (median)', scale: { type: 'log' } }, color: { field: 'target', type: 'nominal' } } },
                  { mark: 'rule', encoding: { x: { field: 'level', type: 'ordinal', sort: null }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'target', type: 'nominal' } } },
                ],
              })
            : null,
        },
        {
          name: `${o.scenario}-latency`,
          title: `${o.title}: latency percentiles at each target's best connection level`,
          missing: none,
          spec: latency.length
            ? vegaLite('Latency percentiles (ms, log scale)', {
                data: { values: latency },
                // Points, not bars: a bar on a log scale has no zero to start from.
                mark: { type: 'point', filled: true, size: 90 },
                encoding: {
                  y: { field: 'target', type: 'nominal', title: null },
                  x: { field: 'ms', type: 'quantitative', title: 'ms', scale: { type: 'log' } },
                  color: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99', 'p99.9'] },
                  shape: { field: 'percentile', type: 'nominal', sort: ['p50', 'p90', 'p99', 'p99.9'] },
                },
              })
            : null,
        },
      ];
    },

    series(r): Series[] {
      return byLevel(r.trials).flatMap((g) => {
        const pairKeys = r.schedule === 'interleaved' ? g.trials.map((t) => `${t.phase ?? 'sweep'} round ${t.round}`) : undefined;
        return [
          { metric: `req/s @${g.label}`, unit: 'req/s', higherIsBetter: true, samples: g.trials.map((t) => t.rps), ...(pairKeys && { pairKeys }) },
          { metric: `p99 latency @${g.label}`, unit: 'ms', higherIsBetter: false, samples: g.trials.map((t) => t.latencyMs.p99), ...(pairKeys && { pairKeys }) },
        ];
      });
    },

    figureNames: ['best-rps'],

    figure(name, r): Figure | string {
      if (name !== 'best-rps') return `no figure "${name}"`;
      const claimTrials = r.trials.filter((t) => t.phase === 'claim');
      if (claimTrials.length) {
        // Claim rounds: each target at the level chosen before them; a pair is one claim round.
        const labels = [...new Set(claimTrials.map((t) => levelLabel(t.level)))];
        const limited = claimTrials.filter((t) => t.loaderBound || t.sharedCpuSaturated === true);
        return {
          samples: claimTrials.map((t) => ({ value: t.rps, pairKey: `claim round ${t.round}`, ...(t.startedAt && { at: t.startedAt }) })),
          unit: 'req/s',
          detail: `claim level ${labels.join(', ')} connections (${r.levels.length > 1 ? 'its best in the sweep, chosen before the claim rounds' : "the profile's one level"}), ${claimTrials.length} claim rounds`,
          lowerBound: limited.length > 0,
          ...(limited.length && { limit: limited.some((t) => t.loaderBound) ? "the loader's CPU (loader-bound trials)" : 'a CPU shared by the loader and a service (saturated)' }),
          pairable: r.schedule === 'interleaved',
        };
      }
      // Older results: each target's best level; pairs only within one level and round, never across levels.
      const groups = byLevel(r.trials);
      if (!groups.length) return 'no trials';
      const best = bestLevel(groups.map((g) => summarizeLevel(g.level, g.trials)))!;
      const trials = groups.find((g) => g.label === best.label)!.trials;
      return {
        samples: trials.map((t) => ({ value: t.rps, pairKey: `${best.label} round ${t.round}`, ...(t.startedAt && { at: t.startedAt }) })),
        unit: 'req/s',
        detail: `best level, ${best.label} connections, ${trials.length} trials${r.schedule === 'interleaved' ? '' : ', not interleaved'} (older results: no claim rounds)`,
        lowerBound: trials.some((t) => t.loaderBound || t.sharedCpuSaturated === true),
        pairable: r.schedule === 'interleaved',
      };
    },

    fromV1: (old) => fromV1(o.endpoint, old),
  };
}
