// Replicated verdicts (`bench claims <run> <run>`): a verdict stands when every run gives it, and a
// claim on which the runs disagree is unstable, with each run's figure; runs of different machines
// are refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineMismatch, replicateClaims } from '../../harness/claims/replicate.ts';
import type { RunResults } from '../../harness/types.ts';
import { fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';
import { bench, writeRunDir } from '../helpers.ts';

/** A run whose node and django json trials give node/django = ratio in every round. */
function run(id: string, ratio: number): RunResults {
  const r = fakeResults();
  r.runId = id;
  r.measurements = [measurement('node', 'json', httpResult(rounds(16, [1000, 1010, 990, 1005].map((x) => x * ratio)))), measurement('django', 'json', httpResult(rounds(16, [1000, 1010, 990, 1005])))];
  return r;
}

describe('replicated verdicts', () => {
  it('a verdict stands when every run gives it', () => {
    const rows = replicateClaims([run('a', 1.4), run('b', 1.45)]);
    const json = rows.find((r) => r.id === 'json-throughput')!;
    expect(json.verdict).toBe('supported');
    expect(json.runs.map((x) => x.verdict)).toEqual(['supported', 'supported']);
    // Claims that no run measured are inconclusive in every run: that agreement is shown as such.
    expect(rows.find((r) => r.id === 'startup')!.verdict).toBe('inconclusive');
  });

  it('a claim on which the runs disagree is unstable, with each run\'s ratio', () => {
    const rows = replicateClaims([run('a', 1.4), run('b', 3)]);
    const json = rows.find((r) => r.id === 'json-throughput')!;
    expect(json.verdict).toBe('unstable');
    expect(json.runs.map((x) => x.verdict)).toEqual(['supported', 'refuted']);
    expect(json.runs[0]!.ratio).toMatch(/^1\.40, /);
    expect(json.runs[1]!.ratio).toMatch(/^3\.00, /);
  });

  it('refuses runs of different machines', () => {
    const b = run('b', 1.4);
    b.environment.hostname = 'other';
    expect(machineMismatch([run('a', 1.4), b])).toMatch(/different machines: box .*; other/);
    expect(machineMismatch([run('a', 1.4), run('b', 1)])).toBeNull();
  });

  it('through the CLI: a table of the verdicts over the runs, and a clear error for one run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-claims-'));
    const write = (r: RunResults) => writeRunDir(dir, r);
    const a = write(run('a', 1.4));
    const b = write(run('b', 3));
    const out = await bench(['claims', a, b]);
    expect(out.exitCode, String(out.stderr)).toBe(0);
    expect(String(out.stdout)).toMatch(/# The article's claims over 2 runs/);
    expect(String(out.stdout)).toMatch(/\| Node\.js serves ~1\.4x the JSON requests\/s .* \| unstable \| supported: 1\.40, .* \| refuted: 3\.00, /);
    const one = await bench(['claims', a]);
    expect(one.exitCode).toBe(2);
    expect(String(one.stderr)).toMatch(/claims takes two runs or more/);
  });
});
