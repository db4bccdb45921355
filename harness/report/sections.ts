// What both reports (Markdown and HTML) show, as data: the scenario sections from their result
// kinds, the status of measurements that did not measure, the contract checks, the claims at a
// glance and in detail, and the machine. The two reporters only render it.
import { claimTargetsText, isBound } from '../claims/against-bound.ts';
import { confidenceOf, evaluateClaims, type ClaimVerdict } from '../claims/evaluate.ts';
import type { Claim } from '../../scenarios/claims.ts';
import { kindOf, scenarioOrder } from '../results/scenario-kinds.ts';
import { formatLevel } from '../stats/intervals.ts';
import { fmtFigure, fmtFigureRange, fmtInt, fmtInterval, fmtGiB, fmtRatio, sideFigure } from './format.ts';
import { byTargetOrder, hasVersions } from './target-order.ts';
import type { Measurement, RunResults, Section, Table, TargetInfo } from '../types.ts';

export interface ScenarioReport {
  scenario: string;
  section: Section;
  notMeasured: Measurement[];
  checks: Table | null;
}

/** The measurements of a run, by scenario, in the registry's order; within one, the versions of a target together (target-order.ts). */
export function byScenario(results: RunResults): { scenario: string; measurements: Measurement[] }[] {
  const ordered = byTargetOrder(results.measurements, (m) => m.target, results);
  return scenarioOrder(results.measurements.map((m) => m.scenario)).map((scenario) => ({ scenario, measurements: ordered.filter((m) => m.scenario === scenario) }));
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
  if (r.basis === 'absolute') {
    // One target's own figure against a bound: in its unit, not a ratio.
    const fmt = (x: number) => fmtFigure(x, r.unit ?? '');
    return r.ci.method === 'exact' ? `${fmt(r.value)} (exact)` : `${fmt(r.value)}, ${fmtInterval(r.ci, fmt)}, median of ${r.n} sample${r.n === 1 ? '' : 's'}`;
  }
  if (r.basis === 'exact') return `${fmtRatio(r.value)} (exact)`;
  if (r.ci.level === 0) return `${fmtRatio(r.value)} (${r.basis === 'paired' ? 'one pair' : 'one sample each'}: no interval)`;
  return `${fmtRatio(r.value)}, ${fmtInterval(r.ci, fmtRatio)}, ${r.basis === 'paired' ? `median of ${r.n} paired ratio${r.n === 1 ? '' : 's'}` : 'unpaired samples'}`;
}

/** A claim in a few words: the article's in short, or for a row shown beside a claim, its two targets (its one target against a bound). */
export const glanceLabel = (claim: Claim): string => (claim.besideOf ? `beside: ${claimTargetsText(claim)}${claim.besideKey ? ` (${claim.besideKey.replaceAll('-', ' ')})` : ''}` : claim.short);

/** The article's band, with an open side said as such (a band from 0 is "at most"). */
export function bandText(band: [number, number] | undefined): string {
  if (!band) return 'none: shown, not judged';
  const [lo, hi] = band;
  if (!(lo > 0)) return `≤ ${fmtRatio(hi)}`;
  if (!Number.isFinite(hi)) return `≥ ${fmtRatio(lo)}`;
  return `${fmtRatio(lo)}–${fmtRatio(hi)}`;
}

/**
 * The band of a claim against a bound, in the figure's unit ("≤ 10 s", "2–5 s"); where no figure was
 * read (not measured) the unit is unknown, and the figure's name says it ("≤ 10,000 (ready-ms)").
 */
export function boundBandText(claim: Claim, unit: string | undefined): string {
  if (!claim.band) return bandText(undefined);
  const [lo, hi] = claim.band;
  unit ??= claim.unit;
  if (unit === undefined) return `${!(lo > 0) ? `≤ ${fmtInt(hi)}` : !Number.isFinite(hi) ? `≥ ${fmtInt(lo)}` : `${fmtInt(lo)}–${fmtInt(hi)}`} (${claim.figure})`;
  if (!(lo > 0)) return `≤ ${fmtFigure(hi, unit)}`;
  if (!Number.isFinite(hi)) return `≥ ${fmtFigure(lo, unit)}`;
  return fmtFigureRange(lo, hi, unit, '–');
}

/** Above the glance: what its intervals are, at the run's confidence. */
export function glanceIntro(results: RunResults): string {
  return `From one run, at ${formatLevel(confidenceOf(results))} confidence. Each interval is an anytime-valid confidence sequence: it stays valid however often the rounds looked at it, so the rounds may stop as soon as a claim is decided.`;
}

/** Below the glance: what its "how it was reached" means. */
export const GLANCE_KEY =
  '"Decided after n pairs": after n pairs of samples taken side by side the interval lay wholly inside the article\'s band (supported) or wholly outside it (refuted). ' +
  '"Stopped at the budget": the scenario\'s time budget (or its most rounds) ran out with the interval still across the band\'s edge, so the claim stays inconclusive and more rounds may decide it.';

/** The detail table's opening: one run, and how its ratios and intervals are made. */
export function claimsIntro(results: RunResults): string {
  return (
    'Judged on ratios measured in this run: these verdicts come from **one run**; repeat it and run `npm run bench -- claims <run> <run>` to see which verdicts replicate before leaning on one. ' +
    `Each ratio is the median of ratios taken pair by pair from samples of the two targets measured next to each other (same round), with a ${formatLevel(confidenceOf(results))} anytime-valid confidence sequence (results without pairs get a distribution-free interval with its real confidence level); an exact figure (an image size) has an exact ratio.`
  );
}

/** The verdict column of the glance and of the detail table (the HTML colours that cell). */
export const VERDICT_COLUMN = 4;

/**
 * The verdicts at a glance: one short row per claim (no reasons: those are in the detail below), so
 * that every claim fits on one screen.
 */
export function glanceTable(verdicts: ClaimVerdict[]): Table {
  return {
    header: ['claim', verdicts.some((v) => isBound(v.claim)) ? 'ratio or figure' : 'ratio', 'interval', "article's band", 'verdict', 'how it was reached'],
    rows: verdicts.map((v) => {
      const r = v.ratio;
      // A claim against a bound shows its one target's figure in its unit, not a ratio.
      const unit = r?.basis === 'absolute' ? (r.unit ?? '') : undefined;
      const fmt = unit === undefined ? fmtRatio : (x: number) => fmtFigure(x, unit);
      return [
        glanceLabel(v.claim),
        r ? `${claimTargetsText(v.claim)} ${fmt(r.value)}` : 'n/a',
        r ? fmtInterval(r.ci, fmt) : 'n/a',
        isBound(v.claim) ? boundBandText(v.claim, unit) : bandText(v.claim.band),
        v.verdict,
        v.decision.text + (v.autocorrelation?.flagged ? ' · autocorrelated' : ''),
      ];
    }),
  };
}

export function claimsTable(verdicts: ClaimVerdict[]): Table {
  return {
    header: ['claim', "the article's figures", 'measured here', verdicts.some((v) => isBound(v.claim)) ? 'ratio or figure (interval, level)' : 'ratio (interval, level)', 'verdict', 'why'],
    rows: verdicts.map((v) => [
      v.claim.prediction,
      v.claim.articleFigures,
      // Against a bound, one side: its band is in the claim.
      isBound(v.claim) && v.numerator ? sideFigure(v.numerator, fmtFigure) : v.numerator && v.denominator ? `${sideFigure(v.numerator)}; ${sideFigure(v.denominator)}` : 'n/a',
      ratioText(v),
      v.verdict,
      v.reason,
    ]),
  };
}

/** Per claim, the samples the ratio (or the figure against a bound) rests on, so that a verdict traces to the trials. */
export function claimTraces(verdicts: ClaimVerdict[]): string[] {
  return verdicts.flatMap((v) => {
    if (!v.ratio || !v.source) return [];
    const r = v.ratio;
    if (r.basis === 'absolute') return [`${v.claim.id}: ${v.source}; samples ${(r.samples ?? []).map((s) => `${s.key}: ${fmtFigure(s.value, r.unit ?? '')}`).join(', ')}.`];
    const pairs = r.pairs.map((p) => `${p.key}: ${fmtRatio(p.ratio)}`).join(', ');
    const gap = r.maxGapS === null ? '' : `; the two samples of a pair were taken at most ${r.maxGapS.toFixed(0)} s apart`;
    // Reported for every paired claim: the confidence sequence assumes independent pairs.
    const auto = v.autocorrelation
      ? `; lag-1 autocorrelation of the log-ratios ${v.autocorrelation.lag1.toFixed(2)}${v.autocorrelation.flagged ? ' (flagged: the pairs are not independent)' : ''}`
      : `; lag-1 autocorrelation not computed${r.pairs.length < 4 ? ' (fewer than 4 pairs)' : ''}`;
    const how =
      r.basis === 'exact'
        ? 'one exact reading each'
        : r.basis === 'paired'
          ? `pairs ${pairs}${gap}${auto}`
          : `no pairs (not measured side by side): ${v.numerator!.samples.length} and ${v.denominator!.samples.length} independent samples`;
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
    ['memory', `${fmtGiB(env.memoryBytes)}${env.memoryAvailableBytes === undefined ? '' : `, ${fmtGiB(env.memoryAvailableBytes)} available at the start`}`],
    ['OS / kernel', `${env.os} / ${env.kernel} (${env.arch})`],
    [
      'pinning',
      `target on CPUs ${p.targetCpus.join(',')}, loader on CPUs ${p.loaderCpus.join(',')}${results.services.length ? `, services on CPUs ${p.serviceCpus.join(',')}` : ''}, harness ${p.harnessCpus ? `on CPUs ${p.harnessCpus.join(',')}` : 'not pinned'} (${p.method})`,
    ],
    ...(p.shared.length ? [['shared CPUs', p.shared.join('; ')]] : []),
    ['loader', `${env.loader.name} ${env.loader.version}${env.loader.runtime ? ` on ${env.loader.runtime}` : ''}`],
    ['harness', `Node.js ${env.harnessNode}, commit ${env.gitCommit ?? 'unknown'}${env.gitDirty ? ' (with uncommitted changes)' : ''}`],
    ['runtime', env.engine ? `${results.runtime}: ${env.engine.name} ${env.engine.version} (API ${env.engine.apiVersion}) at ${env.engine.socket}` : results.runtime],
    ['host', env.hostname],
  ];
}

/** Which version a target is, in words: "25 (Node.js 25, Current)", "24, the default (also named node)", "revision origin/main (3f2a9c1: subject)". */
export function versionText(t: TargetInfo): string {
  const v = t.version;
  const also = t.aliases?.length ? `also named ${t.aliases.join(', ')}` : '';
  if (!v) return also || '—';
  const what =
    v.kind === 'revision'
      ? `revision ${v.key}${v.commit || v.about ? ` (${[v.commit?.slice(0, 12), v.about].filter(Boolean).join(': ')})` : ''}`
      : `${v.key}${v.isDefault ? ', the default' : ''}${v.about ? ` (${v.about})` : ''}`;
  return also ? `${what}; ${also}` : what;
}

export function targetsTable(results: RunResults): Table {
  const versions = (t: TargetInfo) => Object.entries(t.versions).map(([k, v]) => `${k} ${v}`).join(', ') || 'versions not read';
  const targets = byTargetOrder(Object.values(results.targets), (t) => t.name, results);
  // Runs with versions: which version each target is, beside what its running server reported.
  if (hasVersions(results)) {
    return {
      header: ['target', 'version', 'framework', 'server', 'kind', 'versions (as the running server reported them)'],
      rows: targets.map((t) => [t.name, versionText(t), t.framework, t.server, t.baseline ? 'baseline' : 'framework', versions(t)]),
    };
  }
  return {
    header: ['target', 'framework', 'server', 'kind', 'versions'],
    rows: targets.map((t) => [t.name, t.framework, t.server, t.baseline ? 'baseline' : 'framework', versions(t)]),
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
