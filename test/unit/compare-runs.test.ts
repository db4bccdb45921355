import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseThreshold } from '../../harness/cli/commands/compare.ts';
import { compareRuns, renderComparison } from '../../harness/stats/compare-runs.ts';
import { seededRandom } from '../../harness/stats/estimate.ts';
import type { RunResults } from '../../harness/types.ts';
import { fakeLifecycle, fakeResults, httpResult, rounds } from '../fixtures/results.ts';
import { bench } from '../helpers.ts';

/** The fixture with node's json trials replaced by 6 noisy trials (±2%, seeded): `factor` scales its throughput. */
function run(factor: number, seed: number): RunResults {
  const r = fakeResults();
  r.runId = `run-${factor}-${seed}`;
  const random = seededRandom(seed + 1);
  const node = r.measurements.find((m) => m.target === 'node')!;
  node.result = httpResult(rounds(16, Array.from({ length: 6 }, () => 30000 * factor * (0.98 + 0.04 * random()))));
  r.measurements.push(...fakeLifecycle('node', [70, 72, 75, 71, 74, 73], 40, 80e6 * (factor < 1 ? 1.2 : 1), 75e6));
  return r;
}

describe('comparing runs', () => {
  it('finds no significant change between two runs of the same system (independent noise)', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const rows = compareRuns(run(1, 0), run(1, seed), 0.05);
      expect(rows.length).toBeGreaterThan(3);
      expect(rows.filter((r) => r.status === 'regression' || r.status === 'improvement')).toEqual([]);
    }
  });

  it('flags a 30% throughput drop and a 20% larger image as regressions', () => {
    const rows = compareRuns(run(1, 0), run(0.7, 1), 0.05);
    const rps = rows.find((r) => r.target === 'node' && r.metric === 'json req/s @16')!;
    expect(rps.status).toBe('regression');
    expect(rps.ratio).toBeCloseTo(0.7, 1);
    expect(rps.ci!.hi).toBeLessThan(0.95);
    expect(rps.ci!.level).toBeGreaterThanOrEqual(0.95); // 6 against 6 trials
    expect(rows.find((r) => r.target === 'node' && r.metric === 'image-size size')!.status).toBe('regression');
    // 12 memory cycles against 12 (unchanged): no change, with an interval of at least 95%.
    const memory = rows.find((r) => r.target === 'node' && r.metric === 'memory peak memory')!;
    expect(memory.status).toBe('no significant change');
    expect(memory.ci!.level).toBeGreaterThanOrEqual(0.95);
  });

  it('does not flag a change smaller than the threshold', () => {
    const rows = compareRuns(run(1, 0), run(0.97, 1), 0.05);
    expect(rows.find((r) => r.metric === 'json req/s @16' && r.target === 'node')!.status).toBe('no significant change');
  });

  it('does not judge a change when the runs have too few samples for a 90% interval, however large the change', () => {
    const two = (factor: number) => {
      const r = fakeResults();
      r.measurements.find((m) => m.target === 'node')!.result = httpResult(rounds(16, [30000 * factor, 30100 * factor]));
      return r;
    };
    // 2 trials against 2: [min, max] of the 4 ratios covers the change with probability 1 - 2/6.
    const row = compareRuns(two(1), two(0.5), 0.05).find((r) => r.target === 'node' && r.metric === 'json req/s @16')!;
    expect(row).toMatchObject({ status: 'not judged', note: 'too few samples (2 and 2) for a 90.0% interval' });
    expect(row.ci!.level).toBeCloseTo(2 / 3, 10);
  });

  it('renders Markdown with the change and its interval', () => {
    const base = run(1, 0);
    const head = run(0.7, 1);
    const md = renderComparison(base, head, compareRuns(base, head, 0.05), 0.05);
    expect(md).toMatch(/\*\*\d+ significant regression\(s\)\*\*/);
    expect(md).toMatch(/\| node \| json req\/s @16 \| 30,\d{3} req\/s \| 2\d,\d{3} req\/s \| -3\d\.\d% \| -\d+\.\d% … -\d+\.\d% \(9\d\.\d%\) \| \*\*regression\*\* \|/);
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

  it('exits 0 for two runs of the same system and 1 for a synthetic regression', async () => {
    const base = write(run(1, 0));
    const same = await bench(['compare', base, write(run(1, 3))]);
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
