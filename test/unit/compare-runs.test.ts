import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseThreshold } from '../../harness/cli/commands/compare.ts';
import { compareRuns, renderComparison } from '../../harness/stats/compare-runs.ts';
import { summarizeTrials } from '../../harness/stats/summarize.ts';
import type { RunResults } from '../../harness/types.ts';
import { fakeLifecycle, fakeResults, fakeTrial } from '../fixtures/results.ts';
import { bench } from '../helpers.ts';

/** The fixture with node's json trials replaced: `factor` scales its throughput. */
function run(factor: number, seed: number): RunResults {
  const r = fakeResults();
  r.runId = `run-${factor}-${seed}`;
  const noise = [0.99, 1.01, 1.0, 0.98, 1.02];
  const trials = noise.map((n, i) => fakeTrial(16, 30000 * factor * noise[(i + seed) % noise.length]! * n, { trial: i + 1 }));
  const node = r.measurements.find((m) => m.target === 'node')!;
  Object.assign(node, { trials, summary: summarizeTrials(trials) });
  r.measurements.push(...fakeLifecycle('node', [70, 72, 75, 71, 74], 40, 80e6 * (factor < 1 ? 1.2 : 1), 75e6));
  return r;
}

describe('comparing runs', () => {
  it('finds no significant change between a run and itself', () => {
    const rows = compareRuns(run(1, 0), run(1, 0), 0.05);
    expect(rows.length).toBeGreaterThan(3);
    expect(rows.filter((r) => r.status === 'regression' || r.status === 'improvement')).toEqual([]);
  });

  it('flags a 30% throughput drop and a 20% larger image as regressions', () => {
    const rows = compareRuns(run(1, 0), run(0.7, 1), 0.05);
    const rps = rows.find((r) => r.target === 'node' && r.metric === 'json req/s @16')!;
    expect(rps.status).toBe('regression');
    expect(rps.ratio).toBeCloseTo(0.7, 1);
    expect(rps.ci95![1]).toBeLessThan(0.95);
    expect(rows.find((r) => r.target === 'node' && r.metric === 'image size')!.status).toBe('regression');
    expect(rows.find((r) => r.target === 'node' && r.metric === 'memory peak')!.status).toBe('not judged');
  });

  it('does not flag a change smaller than the threshold', () => {
    const rows = compareRuns(run(1, 0), run(0.97, 1), 0.05);
    expect(rows.find((r) => r.metric === 'json req/s @16' && r.target === 'node')!.status).toBe('no significant change');
  });

  it('renders Markdown with the change and its interval', () => {
    const base = run(1, 0);
    const head = run(0.7, 1);
    const md = renderComparison(base, head, compareRuns(base, head, 0.05), 0.05);
    expect(md).toMatch(/\*\*\d+ significant regression\(s\)\*\*/);
    expect(md).toMatch(/\| node \| json req\/s @16 \| 30,000 req\/s \| 2\d,\d{3} req\/s \| -3\d\.\d% \| -\d+\.\d% … -\d+\.\d% \| \*\*regression\*\* \|/);
  });

  it('reads thresholds', () => {
    expect(parseThreshold('5%')).toBeCloseTo(0.05);
    expect(parseThreshold('0.1')).toBeCloseTo(0.1);
    expect(() => parseThreshold('lots')).toThrow(/--threshold/);
  });
});

describe('bench compare (CLI exit codes)', () => {
  const write = (r: RunResults) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cmp-'));
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(r));
    return dir;
  };

  it('exits 0 for a run against itself and 1 for a synthetic regression', async () => {
    const base = write(run(1, 0));
    const same = await bench(['compare', base, base]);
    expect(same.exitCode, String(same.stderr)).toBe(0);
    expect(String(same.stdout)).toContain('No significant regression');
    const slow = await bench(['compare', base, write(run(0.7, 1)), '--threshold', '5%']);
    expect(slow.exitCode).toBe(1);
    expect(String(slow.stdout)).toContain('**regression**');
  }, 30_000);

  it('exits 2 on a missing run', async () => {
    const r = await bench(['compare', '/nonexistent', '/nonexistent']);
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/No results found at "\/nonexistent"/);
  });
});
