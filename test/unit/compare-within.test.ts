// `compare <run> --base node@main --head node`: two targets of one run, their change taken pair by
// pair from the same rounds (drift cancels), with the claims' anytime-valid interval and compare's
// threshold rule; a deliberately slower head is flagged, an equal one is not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTargetPairs } from '../../harness/cli/commands/compare.ts';
import { compareWithin, renderWithin } from '../../harness/stats/compare-within.ts';
import type { RunResults } from '../../harness/types.ts';
import { fakeLifecycle } from '../fixtures/results.ts';
import { versionedInfo, versionedRun } from '../fixtures/versioned-results.ts';
import { bench } from '../helpers.ts';

/** node@main (a revision) and node (the pull request's, also node@24), json at `head` × main's rate every round, 12 rounds. */
function revisions(head: number, rounds = 12): RunResults {
  const run = versionedRun([versionedInfo('node@main', { revision: '3f2a9c1d5e6b7a8c' }), versionedInfo('node', { aliases: ['node@24'] })], { 'node@main': 30000, node: 30000 * head });
  if (rounds < 12) for (const m of run.measurements) (m.result as { trials: unknown[] }).trials.splice(rounds);
  return run;
}

const rps = (rows: ReturnType<typeof compareWithin>) => rows.find((r) => r.metric === 'json req/s @64')!;

describe('comparing two targets of one run', () => {
  it('flags a head 20% slower in every pair as a regression, though the machine drifted 2x across the rounds', () => {
    const rows = compareWithin(revisions(0.8), { base: 'node@main', head: 'node' }, 0.05);
    const row = rps(rows);
    expect(row).toMatchObject({ status: 'regression', pairs: 12, pairing: 'keys', baseTarget: 'node@main', headTarget: 'node', target: 'node vs node@main' });
    expect(row.ratio).toBeCloseTo(0.8, 1);
    expect(row.ci).toMatchObject({ method: 'confidence-sequence', level: 0.95 });
    expect(row.ci!.hi).toBeLessThan(0.95);
    // Between the two as independent samples the drift would swamp a 20% change: the paired interval is narrow.
    expect(row.ci!.hi - row.ci!.lo).toBeLessThan(0.05);
  });

  it('does not flag a head equal to its base', () => {
    const rows = compareWithin(revisions(1), { base: 'node@main', head: 'node' }, 0.05);
    expect(rows.length).toBeGreaterThan(1);
    expect(rows.filter((r) => r.status === 'regression' || r.status === 'improvement')).toEqual([]);
    expect(rps(rows)).toMatchObject({ status: 'no significant change', pairs: 12 });
  });

  it('flags a faster head as an improvement, and a change within the threshold as none', () => {
    expect(rps(compareWithin(revisions(1.2), { base: 'node@main', head: 'node' }, 0.05)).status).toBe('improvement');
    expect(rps(compareWithin(revisions(0.97), { base: 'node@main', head: 'node' }, 0.05)).status).toBe('no significant change');
  });

  it('judges nothing before the interval is bounded (10 pairs at 95%), however large the change', () => {
    const row = rps(compareWithin(revisions(0.5, 6), { base: 'node@main', head: 'node' }, 0.05));
    expect(row).toMatchObject({ status: 'not judged', pairs: 6, note: '6 pairs: a 95.0% anytime-valid interval is bounded from 10 pairs on' });
  });

  it('finds a target by its alias, names the versions, and refuses a target the run does not have', () => {
    const run = revisions(0.8);
    expect(rps(compareWithin(run, { base: 'node@main', head: 'node@24' }, 0.05)).headTarget).toBe('node');
    expect(() => compareWithin(run, { base: 'node@main', head: 'node@25' }, 0.05)).toThrow(/node@25 is not a target of run versions \(its targets: node@main, node\)/);
    const pairs = [{ base: 'node@main', head: 'node' }];
    const md = renderWithin(run, pairs, compareWithin(run, pairs[0]!, 0.05), 0.05);
    expect(md).toContain('## Benchmark comparison within run versions: node against node@main');
    expect(md).toContain('**1 significant regression(s)**');
    expect(md).toContain('95.0% anytime-valid confidence sequence for the median ratio');
    expect(md).toContain('- head node; base node@main: revision main (3f2a9c1d5e6b)');
    expect(md).toMatch(/\| node vs node@main \| json req\/s @64 \| 3\d,\d{3} req\/s \| 2\d,\d{3} req\/s \| -(19|2\d)\.\d% \| -2\d\.\d% … -\d+\.\d% \(95\.0%, anytime\) \| 12 \| \*\*regression\*\* \|/);
  });

  it('compares an exact figure exactly', () => {
    const run = revisions(1);
    run.measurements.push(...fakeLifecycle('node@main', [70, 71, 72], 40, 80e6, 75e6).filter((m) => m.scenario === 'image-size'));
    run.measurements.push(...fakeLifecycle('node', [70, 71, 72], 40, 100e6, 75e6).filter((m) => m.scenario === 'image-size'));
    const row = compareWithin(run, { base: 'node@main', head: 'node' }, 0.05).find((r) => r.metric.startsWith('image-size'))!;
    expect(row).toMatchObject({ status: 'regression', pairing: 'exact', ratio: 1.25 });
  });

  it('reads --base and --head as lists paired in order, revisions with a slash included', () => {
    expect(parseTargetPairs('node@origin/main,django@origin/main', 'node,django')).toEqual([
      { base: 'node@origin/main', head: 'node' },
      { base: 'django@origin/main', head: 'django' },
    ]);
    expect(() => parseTargetPairs('node@origin/main,django@origin/main', 'node')).toThrow(/--base names 2 target\(s\) and --head 1/);
  });
});

describe('bench compare <run> --base --head (CLI)', () => {
  const write = (r: RunResults) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cmp-within-'));
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(r));
    return dir;
  };

  it('exits 1 on a head 20% slower, 0 on an equal one, 2 on a target the run lacks', async () => {
    const slow = await bench(['compare', write(revisions(0.8)), '--base', 'node@main', '--head', 'node']);
    expect(slow.exitCode, String(slow.stderr)).toBe(1);
    expect(String(slow.stdout)).toContain('**regression**');
    const same = await bench(['compare', write(revisions(1)), '--base', 'node@main', '--head', 'node']);
    expect(same.exitCode, String(same.stderr)).toBe(0);
    expect(String(same.stdout)).toContain('No significant regression');
    const missing = await bench(['compare', write(revisions(1)), '--base', 'node@origin/main', '--head', 'node']);
    expect(missing.exitCode).toBe(2);
    expect(String(missing.stderr)).toMatch(/node@origin\/main is not a target of run versions/);
  }, 60_000);
});
