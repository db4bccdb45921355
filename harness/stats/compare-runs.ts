// Comparing two runs metric by metric, for CI. The series come from each scenario's result kind.
// Two runs are independent samples, so each change is the Hodges-Lehmann ratio between them with a
// distribution-free interval (Mann-Whitney) at its real confidence level; a change is a regression
// or an improvement only when the whole interval passes the threshold. Pure: two RunResults in, rows out.
import { median } from 'simple-statistics';
import { kindOf } from '../results/scenario-kinds.ts';
import type { IntervalData, Measurement, RunResults, Series } from '../types.ts';
import { formatLevel, ratioBetweenSamples } from './intervals.ts';

export type ChangeStatus = 'regression' | 'improvement' | 'no significant change' | 'not judged';

export interface MetricChange {
  metric: string;
  target: string;
  unit: string;
  base: number;
  head: number;
  /** head / base */
  ratio: number;
  ci: IntervalData | null;
  status: ChangeStatus;
  note?: string;
}

interface KeyedSeries extends Series {
  key: string;
  target: string;
}

function seriesOf(m: Measurement): KeyedSeries[] {
  if (m.status !== 'ok' || m.result === undefined) return [];
  const kind = kindOf(m);
  if (!kind) return [];
  return kind
    .series(m.result)
    .filter((s) => s.samples.length)
    .map((s) => ({ ...s, metric: `${m.scenario} ${s.metric}`, key: `${m.target}|${m.scenario}|${s.metric}`, target: m.target }));
}

/** Intervals below this level are too weak to call a change. */
export const MIN_COMPARE_LEVEL = 0.9;

export function compareRuns(base: RunResults, head: RunResults, threshold: number): MetricChange[] {
  const baseSeries = new Map(base.measurements.flatMap(seriesOf).map((s) => [s.key, s]));
  const rows: MetricChange[] = [];
  for (const h of head.measurements.flatMap(seriesOf)) {
    const b = baseSeries.get(h.key);
    if (!b) continue;
    const row = { metric: h.metric, target: h.target, unit: h.unit, base: median(b.samples), head: median(h.samples) };
    // "Worse" means lower for throughput and higher for time and size.
    const worse = (ratio: number) => (h.higherIsBetter ? ratio < 1 - threshold : ratio > 1 + threshold);
    const better = (ratio: number) => (h.higherIsBetter ? ratio > 1 + threshold : ratio < 1 - threshold);
    if (h.exact && b.exact) {
      const ratio = row.head / row.base;
      rows.push({ ...row, ratio, ci: { lo: ratio, hi: ratio, level: 1, method: 'exact' }, status: worse(ratio) ? 'regression' : better(ratio) ? 'improvement' : 'no significant change' });
      continue;
    }
    const r = ratioBetweenSamples(h.samples, b.samples);
    if (r.interval.level < MIN_COMPARE_LEVEL) {
      const note = h.samples.length === 1 && b.samples.length === 1 ? 'one sample per run' : `too few samples (${b.samples.length} and ${h.samples.length}) for a ${formatLevel(MIN_COMPARE_LEVEL)} interval`;
      rows.push({ ...row, ratio: r.ratio, ci: r.interval.level > 0 ? r.interval : null, status: 'not judged', note });
      continue;
    }
    // The whole interval must be past the threshold: a change the spread could explain is not flagged.
    const { lo, hi } = r.interval;
    const status: ChangeStatus = worse(hi) && worse(lo) ? 'regression' : better(lo) && better(hi) ? 'improvement' : 'no significant change';
    rows.push({ ...row, ratio: r.ratio, ci: r.interval, status });
  }
  return rows;
}

const fmtValue = (v: number, unit: string) =>
  unit === 'bytes' ? `${(v / 1e6).toFixed(1)} MB` : unit === 'ms' ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : `${Math.round(v).toLocaleString('en-US')} ${unit}`;
const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

function intervalCell(r: MetricChange): string {
  if (!r.ci) return r.note ?? 'n/a';
  if (r.ci.method === 'exact') return 'exact';
  return `${pct(r.ci.lo)} … ${pct(r.ci.hi)} (${formatLevel(r.ci.level)})${r.note ? `; ${r.note}` : ''}`;
}

export function renderComparison(base: RunResults, head: RunResults, rows: MetricChange[], threshold: number): string {
  const regressions = rows.filter((r) => r.status === 'regression');
  const improvements = rows.filter((r) => r.status === 'improvement');
  const sameMachine = base.environment.cpuModel === head.environment.cpuModel && base.environment.cores === head.environment.cores;
  const states = [base, head].filter((r) => r.state !== 'done').map((r) => `${r.runId} is ${r.state} (partial results)`);
  const lines = [
    `## Benchmark comparison: ${head.runId} against ${base.runId}`,
    '',
    `${regressions.length ? `**${regressions.length} significant regression(s)**` : 'No significant regression'} and ${improvements.length} improvement(s) beyond the ${(threshold * 100).toFixed(0)}% threshold (the whole interval of the change must pass it; each interval is distribution-free, between the two runs' samples, at the level shown).`,
    sameMachine ? '' : `\n> Warning: the runs come from different machines (${base.environment.cpuModel} vs ${head.environment.cpuModel}); absolute figures are not comparable.\n`,
    ...(states.length ? [`> Note: ${states.join('; ')}.`, ''] : []),
    ...(base.runtime !== head.runtime ? [`> Warning: the runs used different runtimes (${base.runtime} vs ${head.runtime}); memory and startup are measured differently in each.`, ''] : []),
    '| target | metric | base | head | change | interval of the change (level) | status |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const mark = r.status === 'regression' ? '**regression**' : r.status === 'improvement' ? 'improvement' : r.status;
      return `| ${r.target} | ${r.metric} | ${fmtValue(r.base, r.unit)} | ${fmtValue(r.head, r.unit)} | ${pct(r.ratio)} | ${intervalCell(r)} | ${mark} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
