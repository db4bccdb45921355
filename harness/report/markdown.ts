// report.md: what was measured, how it compares, and everything needed to judge the figures.
import { evaluateClaims, type ClaimVerdict } from '../claims/evaluate.ts';
import type { Measurement, ReportFile, RunResults } from '../types.ts';
import { cell, fmtGiB, fmtInt, fmtMiB, fmtMs, fmtPct, sideFigure } from './format.ts';

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function statusLine(m: Measurement): string {
  const failed = m.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);
  const why = m.error ?? (failed.length ? failed.join('; ') : '');
  const line = `- **${m.target}**: ${m.status}${m.complete ? '' : ' (incomplete)'}${why ? ` — ${why}` : ''}`;
  if (!m.logTail?.length) return line;
  return [line, '', `  <details><summary>last ${m.logTail.length} log lines</summary>`, '', '  ```', ...m.logTail.map((l) => `  ${l.replace(/```/g, "'''")}`), '  ```', '', '  </details>'].join('\n');
}

function scenarioSection(results: RunResults, scenario: string): string {
  const measurements = results.measurements.filter((m) => m.scenario === scenario);
  const out: string[] = [`## Scenario \`${scenario}\``, ''];
  const load = measurements.find((m) => m.load && m.trials.length)?.load;
  if (load) {
    out.push(
      `Load: ${load.trials} trials of ${load.durationS} s per connection level (${load.connections.join(', ')}), after a ${load.warmupS} s warmup per level; pipelining ${load.pipelining}. ` +
        `req/s is the median over trials with its 95% bootstrap confidence interval; latency percentiles are medians over trials.`,
      '',
    );
  }
  const rows: string[][] = [];
  for (const m of measurements) {
    for (const s of m.summary) {
      rows.push([
        m.target,
        String(s.connections),
        fmtInt(s.rps.median),
        `${fmtInt(s.rps.ci95[0])}–${fmtInt(s.rps.ci95[1])}`,
        fmtPct(s.rps.cv),
        fmtMs(s.latencyMs.p50),
        fmtMs(s.latencyMs.p90),
        fmtMs(s.latencyMs.p99),
        fmtMs(s.latencyMs.p999),
        fmtMiB(s.rssBytesPeak),
        s.targetCpuPct === null ? 'n/a' : `${s.targetCpuPct.toFixed(0)}%`,
        s.loaderBoundTrials ? `yes (${s.loaderBoundTrials}/${s.rps.n})` : 'no',
        String(s.errors),
      ]);
    }
  }
  if (rows.length) {
    out.push(
      table(
        ['target', 'connections', 'req/s (median)', '95% CI', 'CV', 'p50 ms', 'p90 ms', 'p99 ms', 'p99.9 ms', 'peak RSS', 'target CPU', 'loader-bound', 'errors'],
        rows,
      ),
      '',
    );
  }
  const best = measurements
    .filter((m) => m.summary.length)
    .map((m) => ({ target: m.target, top: m.summary.reduce((a, b) => (b.rps.median > a.rps.median ? b : a)) }))
    .sort((a, b) => b.top.rps.median - a.top.rps.median);
  if (best.length > 1) {
    const leader = best[0]!;
    out.push(
      `Best level per target, relative to the fastest (${leader.target}). A loader-bound figure is a lower bound of the server's capacity.`,
      '',
      table(
        ['target', 'best req/s', 'at connections', 'relative', 'loader-bound'],
        best.map((b) => [
          b.target,
          fmtInt(b.top.rps.median),
          String(b.top.connections),
          `${((b.top.rps.median / leader.top.rps.median) * 100).toFixed(1)}%`,
          b.top.loaderBoundTrials ? 'yes' : 'no',
        ]),
      ),
      '',
    );
  }
  out.push(...startupTable(measurements), ...memoryTable(measurements), ...imageTable(measurements));
  const notOk = measurements.filter((m) => m.status !== 'ok' || !m.complete);
  if (notOk.length) out.push('Not measured or not valid:', '', ...notOk.map(statusLine), '');
  const warnings = measurements.flatMap((m) => m.summary.flatMap((s) => s.warnings.map((w) => `- ${m.target} @ ${s.connections}: ${w}`)));
  if (warnings.length) out.push('Warnings:', '', ...warnings, '');
  const checks = measurements.filter((m) => m.checks.length);
  if (checks.length) {
    out.push(
      '<details><summary>Contract checks</summary>',
      '',
      table(
        ['target', 'check', 'result', 'detail'],
        checks.flatMap((m) => m.checks.map((c) => [m.target, c.name, c.status, c.detail])),
      ),
      '',
      '</details>',
      '',
    );
  }
  return out.join('\n');
}

function startupTable(measurements: Measurement[]): string[] {
  const rows = measurements.filter((m) => m.startup);
  if (!rows.length) return [];
  const first = rows[0]!.startup!;
  return [
    `Time from ${first.mode === 'container' ? 'container create+start' : 'process spawn'} to the first 200 from \`/json\`, over ${first.samplesMs.length} starts after ${first.warmupRuns} warmup start; readiness polled every ${first.pollIntervalMs} ms.`,
    '',
    table(
      ['target', 'median ms', '95% CI', 'p95 ms', 'min ms', 'max ms', 'CV', 'starts'],
      rows.map((m) => {
        const s = m.startup!.summary;
        return [m.target, fmtMs(s.median), `${fmtMs(s.ci95[0])}–${fmtMs(s.ci95[1])}`, fmtMs(s.p95), fmtMs(s.min), fmtMs(s.max), fmtPct(s.cv), String(s.n)];
      }),
    ),
    '',
  ];
}

function memoryTable(measurements: Measurement[]): string[] {
  const rows = measurements.filter((m) => m.memory);
  if (!rows.length) return [];
  const first = rows[0]!.memory!;
  const source =
    first.source === 'container'
      ? "the container's memory usage without reclaimable page cache (as `docker stats`)"
      : "RSS summed over the target's whole process tree";
  return [
    `Resident memory: ${source}; idle is the median of 5 readings 3 s after start, peak the highest reading under the json load at ${first.loadConnections} connections for ${first.loadDurationS} s. Every target runs ${first.workers} worker(s).`,
    '',
    table(
      ['target', 'idle', 'peak under load', 'workers'],
      rows.map((m) => [m.target, fmtMiB(m.memory!.idleRssBytes), fmtMiB(m.memory!.peakRssBytes), String(m.memory!.workers)]),
    ),
    '',
  ];
}

const fmtMB = (bytes: number): string => (bytes < 1e6 ? `${(bytes / 1e3).toFixed(1)} kB` : `${(bytes / 1e6).toFixed(1)} MB`);

function imageTable(measurements: Measurement[]): string[] {
  const rows = measurements.filter((m) => m.image);
  if (!rows.length) return [];
  return [
    "Uncompressed image sizes, as the engine's `image inspect` reports them (MB = 10^6 bytes), split into the base image and the layers the target's Dockerfile adds. Compare like with like: a local base is a Debian-built stand-in for the official image.",
    '',
    table(
      ['target', 'image', 'base', 'app layers', 'base image', 'base origin'],
      rows.map((m) => {
        const i = m.image!;
        return [m.target, fmtMB(i.imageBytes), fmtMB(i.baseBytes), fmtMB(i.appBytes), i.base.ref, i.base.origin];
      }),
    ),
    '',
  ];
}

function claimsSection(verdicts: ClaimVerdict[]): string[] {
  return [
    "## The article's claims",
    '',
    `Judged on ratios measured in this run; the absolute figures are this machine's (${verdicts[0]?.machine ?? 'unknown'}) and are not compared with the article's.`,
    '',
    table(
      ['claim', "the article's figures", 'measured here', 'ratio (95% CI)', 'verdict', 'why'],
      verdicts.map((v) => [
        v.claim.prediction,
        v.claim.articleFigures,
        v.numerator && v.denominator ? `${sideFigure(v.numerator)}; ${sideFigure(v.denominator)}` : 'n/a',
        v.ratio ? `${v.ratio.value.toFixed(2)} (${v.ratio.ci95[0].toFixed(2)}–${v.ratio.ci95[1].toFixed(2)})` : 'n/a',
        `**${v.verdict}**`,
        v.reason,
      ]),
    ),
    '',
  ];
}

export function renderMarkdown(results: RunResults): string {
  const env = results.environment;
  const scenarios = [...new Set(results.measurements.map((m) => m.scenario))];
  const out: string[] = [
    `# Benchmark report ${results.runId}`,
    '',
    `Run ${results.state === 'done' ? 'completed' : `**${results.state}** (partial results)`}; profile \`${results.profile}\`, runtime \`${results.runtime}\`, started ${results.startedAt}${results.finishedAt ? `, finished ${results.finishedAt}` : ''}.`,
    `Command: \`${results.command}\``,
    '',
    `Absolute figures belong to this machine (${env.cpuModel}, ${env.cores} cores); compare targets within this report, not with figures from other machines.`,
    '',
  ];
  out.push(...claimsSection(evaluateClaims(results)));
  for (const scenario of scenarios) out.push(scenarioSection(results, scenario));
  out.push(
    '## Targets',
    '',
    table(
      ['target', 'framework', 'server', 'kind', 'versions'],
      Object.values(results.targets).map((t) => [
        t.name,
        t.framework,
        t.server,
        t.baseline ? 'baseline' : 'framework',
        Object.entries(t.versions).map(([k, v]) => `${k} ${v}`).join(', '),
      ]),
    ),
    '',
    '## Environment',
    '',
    table(
      ['what', 'value'],
      [
        ['CPU', `${env.cpuModel} (${env.cores} cores)`],
        ['memory', fmtGiB(env.memoryBytes)],
        ['OS / kernel', `${env.os} / ${env.kernel} (${env.arch})`],
        ['pinning', `target on CPUs ${env.pinning.targetCpus.join(',')}, loader on CPUs ${env.pinning.loaderCpus.join(',')} (${env.pinning.method})`],
        ['loader', `${env.loader.name} ${env.loader.version}`],
        ['harness', `Node.js ${env.harnessNode}, commit ${env.gitCommit ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}`],
        ['runtime', results.runtime === 'docker' && env.engine ? `docker: ${env.engine.name} ${env.engine.version} (API ${env.engine.apiVersion}) at ${env.engine.socket}` : results.runtime],
        ['host', env.hostname],
      ],
    ),
    '',
  );
  return out.join('\n');
}

export const markdownReporter = (results: RunResults): ReportFile[] => [{ path: 'report.md', content: renderMarkdown(results) }];
