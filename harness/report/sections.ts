// What both reports (Markdown and HTML) show, as data: the scenario sections from their result
// kinds, the status of measurements that did not measure, the contract checks, the claims table
// and the machine. The two reporters only render it.
import { evaluateClaims, type ClaimVerdict } from '../claims/evaluate.ts';
import { kindOf, scenarioOrder } from '../results/scenario-kinds.ts';
import { fmtInterval, fmtGiB, fmtRatio, sideFigure } from './format.ts';
import type { Measurement, RunResults, Section, Table } from '../types.ts';

export interface ScenarioReport {
  scenario: string;
  section: Section;
  notMeasured: Measurement[];
  checks: Table | null;
}

/** The measurements of a run, by scenario, in the registry's order. */
export function byScenario(results: RunResults): { scenario: string; measurements: Measurement[] }[] {
  return scenarioOrder(results.measurements.map((m) => m.scenario)).map((scenario) => ({ scenario, measurements: results.measurements.filter((m) => m.scenario === scenario) }));
}

export function scenarioReports(results: RunResults): ScenarioReport[] {
  return byScenario(results).map(({ scenario, measurements }) => {
    const kind = kindOf({ scenario });
    const ok = measurements.filter((m) => m.status === 'ok' && m.result !== undefined);
    const section = kind ? kind.section(ok, results) : { paragraphs: [`The \`${scenario}\` scenario is unknown to this version of the harness; its results are kept but not shown.`], tables: [], warnings: [] };
    const withChecks = measurements.filter((m) => m.checks.length);
    return {
      scenario,
      section,
      notMeasured: measurements.filter((m) => m.status !== 'ok' || !m.complete),
      checks: withChecks.length ? { header: ['target', 'check', 'result', 'detail'], rows: withChecks.flatMap((m) => m.checks.map((c) => [m.target, c.name, c.status, c.detail])) } : null,
    };
  });
}

export function statusText(m: Measurement): string {
  const failed = m.checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.detail}`);
  const why = m.error ?? (failed.length ? failed.join('; ') : '');
  return `${m.status}${m.complete ? '' : ' (incomplete)'}${why ? ` — ${why}` : ''}`;
}

export function ratioText(v: ClaimVerdict): string {
  if (!v.ratio) return 'n/a';
  const r = v.ratio;
  if (r.basis === 'exact') return `${fmtRatio(r.value)} (exact)`;
  if (r.ci.level === 0) return `${fmtRatio(r.value)} (${r.basis === 'paired' ? 'one pair' : 'one sample each'}: no interval)`;
  return `${fmtRatio(r.value)}, ${fmtInterval(r.ci, fmtRatio)}, ${r.basis === 'paired' ? `median of ${r.n} paired ratios` : 'unpaired samples'}`;
}

export function claimsTable(verdicts: ClaimVerdict[]): Table {
  return {
    header: ['claim', "the article's figures", 'measured here', 'ratio (interval, level)', 'verdict', 'why'],
    rows: verdicts.map((v) => [
      v.claim.prediction,
      v.claim.articleFigures,
      v.numerator && v.denominator ? `${sideFigure(v.numerator)}; ${sideFigure(v.denominator)}` : 'n/a',
      ratioText(v),
      v.verdict,
      v.reason,
    ]),
  };
}

/** Per claim, the samples the ratio rests on, so that a verdict traces to the trials. */
export function claimTraces(verdicts: ClaimVerdict[]): string[] {
  return verdicts.flatMap((v) => {
    if (!v.ratio || !v.source) return [];
    const r = v.ratio;
    const pairs = r.pairs.map((p) => `${p.key}: ${fmtRatio(p.ratio)}`).join(', ');
    const gap = r.maxGapS === null ? '' : `; the two samples of a pair were taken at most ${r.maxGapS.toFixed(0)} s apart`;
    const how = r.basis === 'exact' ? 'one exact reading each' : r.basis === 'paired' ? `pairs ${pairs}${gap}` : `no pairs (not measured side by side): ${v.numerator!.samples.length} and ${v.denominator!.samples.length} independent samples`;
    return [`${v.claim.id}: ${v.source}; ${how}.`];
  });
}

export function headerLine(results: RunResults): string {
  const state =
    results.state === 'done'
      ? 'completed'
      : results.state === 'killed'
        ? '**killed** (its harness process ended without finishing: partial results)'
        : `**${results.state}** (partial results)`;
  return `Run ${state}; profile \`${results.profile}\`, runtime \`${results.runtime}\`, started ${results.startedAt}${results.finishedAt ? `, finished ${results.finishedAt}` : ''}.`;
}

/** For a merged run: its parts, and which scenarios each gave; null for a run made in one go. */
export function partsNote(results: RunResults): string | null {
  if (!results.parts) return null;
  const parts = results.parts.map(
    (p, i) =>
      `part ${i + 1}, run ${p.runId} (${p.state}, ${p.startedAt} to ${p.finishedAt ?? 'unknown'}): ${p.scenarios.length ? p.scenarios.join(', ') : 'nothing taken'}${p.dropped.length ? `; left out, as it measured them only in part: ${p.dropped.join(', ')}` : ''}`,
  );
  return `Made in ${results.parts.length} parts, merged by \`bench merge\`: runs of the same clean commit, machine and settings, each scenario whole from one part (its trials interleaved across targets in one sitting; ratios are never taken across parts): ${parts.join('; ')}.`;
}

export function migrationNote(results: RunResults): string | null {
  return results.migratedFrom ? `These results were written by an older harness (schema ${results.migratedFrom}) and migrated on load: their trials were not interleaved, so drift of the machine is mixed into the ratios, and their memory figures are what that harness read (see each scenario).` : null;
}

export function environmentRows(results: RunResults): string[][] {
  const env = results.environment;
  const p = env.pinning;
  return [
    ['CPU', `${env.cpuModel} (${env.cores} cores)`],
    ['memory', fmtGiB(env.memoryBytes)],
    ['OS / kernel', `${env.os} / ${env.kernel} (${env.arch})`],
    [
      'pinning',
      `target on CPUs ${p.targetCpus.join(',')}, loader on CPUs ${p.loaderCpus.join(',')}${results.services.length ? `, services on CPUs ${p.serviceCpus.join(',')}` : ''}, harness ${p.harnessCpus ? `on CPUs ${p.harnessCpus.join(',')}` : 'not pinned'} (${p.method})`,
    ],
    ...(p.shared.length ? [['shared CPUs', p.shared.join('; ')]] : []),
    ['loader', `${env.loader.name} ${env.loader.version}${env.loader.runtime ? ` on ${env.loader.runtime}` : ''}`],
    ['harness', `Node.js ${env.harnessNode}, commit ${env.gitCommit ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}`],
    ['runtime', results.runtime === 'docker' && env.engine ? `docker: ${env.engine.name} ${env.engine.version} (API ${env.engine.apiVersion}) at ${env.engine.socket}` : results.runtime],
    ['host', env.hostname],
  ];
}

export function targetsTable(results: RunResults): Table {
  return {
    header: ['target', 'framework', 'server', 'kind', 'versions'],
    rows: Object.values(results.targets).map((t) => [t.name, t.framework, t.server, t.baseline ? 'baseline' : 'framework', Object.entries(t.versions).map(([k, v]) => `${k} ${v}`).join(', ') || 'versions not read']),
  };
}

export function servicesTable(results: RunResults): Table | null {
  if (!results.services.length) return null;
  return {
    header: ['service', 'version', 'how', 'CPUs', 'settings changed from the defaults'],
    rows: results.services.map((s) => [s.name, s.version, `${s.mode}: ${s.source}`, s.cpus.join(','), s.config.map((c) => `${c.setting}=${c.value} (${c.reason})`).join('; ') || 'none']),
  };
}

export { evaluateClaims };
