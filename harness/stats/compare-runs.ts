// Comparing two runs metric by metric, for CI: each change with its 95% interval (bootstrap of the
// ratio of medians), marked as a regression or an improvement only when the interval excludes "no
// change" and the change passes the threshold. Pure: two RunResults in, rows out.
import type { Measurement, RunResults } from '../types.ts';
import { ratioOfMedians } from './compare.ts';

export type ChangeStatus = 'regression' | 'improvement' | 'no significant change' | 'not judged';

export interface MetricChange {
  metric: string;
  target: string;
  unit: string;
  base: number;
  head: number;
  /** head / base */
  ratio: number;
  ci95: [number, number] | null;
  status: ChangeStatus;
  note?: string;
}

interface Series {
  key: string;
  target: string;
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  samples: number[];
}

function seriesOf(m: Measurement): Series[] {
  if (m.status !== 'ok') return [];
  const out: Series[] = [];
  const add = (metric: string, unit: string, higherIsBetter: boolean, samples: number[]) =>
    samples.length && out.push({ key: `${m.target}|${m.scenario}|${metric}`, target: m.target, metric, unit, higherIsBetter, samples });
  for (const level of [...new Set(m.trials.map((t) => t.connections))]) {
    const trials = m.trials.filter((t) => t.connections === level);
    add(`${m.scenario} req/s @${level}`, 'req/s', true, trials.map((t) => t.rps));
    add(`${m.scenario} p99 latency @${level}`, 'ms', false, trials.map((t) => t.latencyMs.p99));
  }
  if (m.startup) add('startup median', 'ms', false, m.startup.samplesMs);
  if (m.image) add('image size', 'bytes', false, [m.image.imageBytes]);
  if (m.memory?.peakRssBytes != null) add('memory peak', 'bytes', false, [m.memory.peakRssBytes]);
  return out;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  const i = Math.floor(s.length / 2);
  return s.length % 2 ? s[i]! : (s[i - 1]! + s[i]!) / 2;
};

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
    if (h.samples.length === 1 && b.samples.length === 1) {
      const ratio = row.head / row.base;
      // A size is exact and can be judged from one reading; a single memory reading has no spread.
      const exact = h.metric === 'image size';
      const status: ChangeStatus = !exact ? 'not judged' : worse(ratio) ? 'regression' : better(ratio) ? 'improvement' : 'no significant change';
      rows.push({ ...row, ratio, ci95: null, status, ...(!exact && { note: 'one reading per run' }) });
      continue;
    }
    if (h.samples.length < 2 || b.samples.length < 2) {
      rows.push({ ...row, ratio: row.head / row.base, ci95: null, status: 'not judged', note: 'fewer than 2 trials' });
      continue;
    }
    const r = ratioOfMedians(h.samples, b.samples);
    // The whole interval must be past the threshold: a change the spread could explain is not flagged.
    const status: ChangeStatus = worse(r.ci95[1]) && worse(r.ci95[0]) ? 'regression' : better(r.ci95[0]) && better(r.ci95[1]) ? 'improvement' : 'no significant change';
    rows.push({ ...row, ratio: r.ratio, ci95: r.ci95, status });
  }
  return rows;
}

const fmtValue = (v: number, unit: string) =>
  unit === 'bytes' ? `${(v / 1e6).toFixed(1)} MB` : unit === 'ms' ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : `${Math.round(v).toLocaleString('en-US')} ${unit}`;
const pct = (ratio: number) => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;

export function renderComparison(base: RunResults, head: RunResults, rows: MetricChange[], threshold: number): string {
  const regressions = rows.filter((r) => r.status === 'regression');
  const improvements = rows.filter((r) => r.status === 'improvement');
  const sameMachine = base.environment.cpuModel === head.environment.cpuModel && base.environment.cores === head.environment.cores;
  const lines = [
    `## Benchmark comparison: ${head.runId} against ${base.runId}`,
    '',
    `${regressions.length ? `**${regressions.length} significant regression(s)**` : 'No significant regression'} and ${improvements.length} improvement(s) beyond the ${(threshold * 100).toFixed(0)}% threshold (the whole 95% interval of the change must pass it).`,
    sameMachine ? '' : `\n> Warning: the runs come from different machines (${base.environment.cpuModel} vs ${head.environment.cpuModel}); absolute figures are not comparable.\n`,
    '| target | metric | base | head | change | 95% CI of the change | status |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map((r) => {
      const mark = r.status === 'regression' ? '**regression**' : r.status === 'improvement' ? 'improvement' : r.status;
      return `| ${r.target} | ${r.metric} | ${fmtValue(r.base, r.unit)} | ${fmtValue(r.head, r.unit)} | ${pct(r.ratio)} | ${r.ci95 ? `${pct(r.ci95[0])} … ${pct(r.ci95[1])}` : (r.note ?? 'exact')} | ${mark} |`;
    }),
    '',
  ];
  return lines.join('\n');
}
