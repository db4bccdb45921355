// Replicated verdicts (`bench claims <run> <run>`): each claim judged on the pairs of all the runs
// together, each run's own verdict beside it, contradicting runs flagged; runs of different machines
// or commits are refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { machineMismatch, replicateClaims } from '../../harness/claims/replicate.ts';
import type { RunResults } from '../../harness/types.ts';
import { fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';
import { bench, writeRunDir } from '../helpers.ts';

/** A run whose node and django json trials give node/django = ratio in every round, over `n` rounds. */
function run(id: string, ratio: number, n = 12): RunResults {
  const r = fakeResults();
  r.runId = id;
  const django = Array.from({ length: n }, (_, i) => 1000 + ((i * 7) % 5) * 5);
  r.measurements = [measurement('node', 'json', httpResult(rounds(16, django.map((x) => x * ratio)))), measurement('django', 'json', httpResult(rounds(16, django)))];
  return r;
}

describe('replicated verdicts', () => {
  it('judges each claim on the pairs of all the runs together, each run\'s own verdict beside it', () => {
    const rows = replicateClaims([run('a', 1.4), run('b', 1.45)]);
    const json = rows.find((r) => r.id === 'json-throughput')!;
    expect(json).toMatchObject({ verdict: 'supported', contradicts: false, decision: 'decided after 24 pairs pooled over 2 runs' });
    expect(json.runs.map((x) => x.verdict)).toEqual(['supported', 'supported']);
    expect(rows.find((r) => r.id === 'startup')!.verdict).toBe('inconclusive');
  });

  it('pooling decides what no single run could: 6 pairs each are too few, 12 together are enough', () => {
    const rows = replicateClaims([run('a', 1.4, 6), run('b', 1.4, 6)]);
    const json = rows.find((r) => r.id === 'json-throughput')!;
    expect(json.runs.map((x) => x.verdict)).toEqual(['inconclusive', 'inconclusive']);
    expect(json.verdict).toBe('supported');
  });

  it('flags runs that contradict each other', () => {
    const rows = replicateClaims([run('a', 1.4), run('b', 3)]);
    const json = rows.find((r) => r.id === 'json-throughput')!;
    expect(json.contradicts).toBe(true);
    expect(json.runs.map((x) => x.verdict)).toEqual(['supported', 'refuted']);
    expect(json.runs[0]!.ratio).toMatch(/^1\.40, /);
    expect(json.runs[1]!.ratio).toMatch(/^3\.00, /);
    expect(rows.find((r) => r.id === 'django-matches-node-json')!.contradicts).toBe(false); // refuted in both
  });

  it('refuses runs of different machines', () => {
    const b = run('b', 1.4);
    b.environment.hostname = 'other';
    expect(machineMismatch([run('a', 1.4), b])).toMatch(/different machines: box .*; other/);
    expect(machineMismatch([run('a', 1.4), run('b', 1)])).toBeNull();
    const c = run('c', 1.4);
    c.environment.gitCommit = 'def456';
    expect(machineMismatch([run('a', 1.4), c])).toMatch(/different commits of the harness: abc123, def456/);
  });

  it('through the CLI: a table of the verdicts over the runs, and a clear error for one run', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-claims-'));
    const write = (r: RunResults) => writeRunDir(dir, r);
    const a = write(run('a', 1.4));
    const b = write(run('b', 3));
    const out = await bench(['claims', a, b]);
    expect(out.exitCode, String(out.stderr)).toBe(0);
    expect(String(out.stdout)).toMatch(/# The article's claims over 2 runs/);
    expect(String(out.stdout)).toMatch(/\| Node\.js serves ~1\.4x the JSON requests\/s .* \| \w+ \(\*\*the runs contradict each other\*\*\) \| .* \| supported: 1\.40, .* \| refuted: 3\.00, /);
    expect(String(out.stdout)).toMatch(/1 contradict/);
    const one = await bench(['claims', a]);
    expect(one.exitCode).toBe(2);
    expect(String(one.stderr)).toMatch(/claims takes two runs or more/);
  });
});
