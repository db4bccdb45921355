// `bench merge`: one run made of parts of one clean commit, machine and settings, each scenario
// whole from one part; parts that differ, or that both measured a scenario whole, are refused.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandSettings, mergeRuns } from '../../harness/results/merge.ts';
import { readResults } from '../../harness/results/store.ts';
import type { RunResults } from '../../harness/types.ts';
import { fakeLifecycle, fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';
import { bench, writeRunDir } from '../helpers.ts';

/** A part that measured json (node 1.4x django), or startup/memory/image-size, or both. */
function part(id: string, startedAt: string, scenarios: 'json' | 'lifecycle', extra: Partial<RunResults> = {}): RunResults {
  const r = fakeResults();
  r.runId = id;
  r.startedAt = startedAt;
  r.finishedAt = startedAt.replace(/T(\d\d)/, (_, h: string) => `T${String(Number(h) + 1).padStart(2, '0')}`);
  r.command = `npm run bench -- run --profile full --scenarios ${scenarios === 'json' ? 'json' : 'startup,memory,image-size'} --out results/${id}`;
  delete r.targets.broken;
  r.measurements =
    scenarios === 'json'
      ? [measurement('node', 'json', httpResult(rounds(16, [1400, 1414, 1386, 1407, 1400, 1410, 1390, 1405, 1400, 1412, 1388, 1406]))), measurement('django', 'json', httpResult(rounds(16, [1000, 1010, 990, 1005, 1000, 1007, 993, 1004, 1000, 1009, 991, 1004])))]
      : [...fakeLifecycle('node', [75, 76, 74], 50, 230e6, 200e6), ...fakeLifecycle('django', [180, 182, 178], 60, 300e6, 120e6)];
  return { ...r, ...extra };
}

const A = () => part('part-a', '2026-12-01T10:00:00.000Z', 'json');
const B = () => part('part-b', '2026-12-02T10:00:00.000Z', 'lifecycle');

describe('merging parts of a run', () => {
  it('takes each scenario from its part, lists the parts, and keeps the commit and machine', () => {
    const merged = mergeRuns([B(), A()], 'full');
    expect(merged.runId).toBe('full');
    expect(merged.state).toBe('done');
    expect(merged.startedAt).toBe('2026-12-01T10:00:00.000Z');
    expect(merged.finishedAt).toBe('2026-12-02T11:00:00.000Z');
    expect(merged.environment.gitCommit).toBe('abc123');
    expect(merged.measurements.map((m) => `${m.target}/${m.scenario}`)).toEqual([
      'node/json',
      'django/json',
      'node/startup',
      'django/startup',
      'node/memory',
      'django/memory',
      'node/image-size',
      'django/image-size',
    ]);
    expect(merged.parts).toEqual([
      expect.objectContaining({ runId: 'part-a', scenarios: ['json'], dropped: [] }),
      expect.objectContaining({ runId: 'part-b', scenarios: ['startup', 'memory', 'image-size'], dropped: [] }),
    ]);
    expect(merged.command).toBe('npm run bench -- merge part-a part-b');
  });

  it('takes an interrupted scenario from the part that measured it whole, and says what it left out', () => {
    const a = A();
    a.state = 'interrupted';
    a.measurements.push({ ...measurement('node', 'startup', undefined), complete: false });
    const merged = mergeRuns([a, B()], 'full');
    expect(merged.measurements.filter((m) => m.scenario === 'startup').every((m) => m.complete && m.result)).toBe(true);
    expect(merged.parts![0]).toMatchObject({ state: 'interrupted', scenarios: ['json'], dropped: ['startup'] });
    expect(merged.state).toBe('done');
  });

  it('is incomplete when no part measured a scenario whole', () => {
    const b = B();
    b.measurements[0]!.complete = false;
    expect(mergeRuns([A(), b], 'full').state).toBe('interrupted');
  });

  it('refuses parts of different commits, machines, settings, a dirty tree, or overlapping scenarios', () => {
    const differ = (change: (r: RunResults) => void) => {
      const b = B();
      change(b);
      return () => mergeRuns([A(), b], 'full');
    };
    expect(differ((b) => (b.environment.gitCommit = 'def456'))).toThrow(/differ in environment\.gitCommit: "abc123" against "def456"/);
    expect(differ((b) => (b.environment.cores = 4))).toThrow(/differ in machine/);
    expect(differ((b) => (b.environment.kernel = '6.12'))).toThrow(/differ in machine/);
    expect(differ((b) => (b.profile = 'full'))).toThrow(/differ in profile/);
    expect(differ((b) => (b.runtime = 'docker'))).toThrow(/differ in runtime/);
    expect(differ((b) => (b.command += ' --duration 5'))).toThrow(/differ in command \(apart from --scenarios and --out\)/);
    expect(differ((b) => (b.environment.gitDirty = true))).toThrow(/not measured from a clean, committed tree/);
    expect(differ((b) => (b.targets.node!.versions = { node: '24.10.0' }))).toThrow(/Target node differs between the parts/);
    expect(() => mergeRuns([A(), part('part-c', '2026-12-03T10:00:00.000Z', 'json')], 'full')).toThrow(/Scenario json was measured whole in runs part-a and part-c/);
    expect(() => mergeRuns([A()], 'full')).toThrow(/two runs or more/);
    expect(() => mergeRuns([A(), mergeRuns([A(), B()], 'm')], 'full')).toThrow(/is itself a merge/);
  });

  it('compares commands without --scenarios and --out', () => {
    expect(commandSettings('npm run bench -- run --profile full --scenarios json,db --out results/x --runtime docker')).toBe('npm run bench -- run --profile full --runtime docker');
    expect(commandSettings('npm run bench -- run --scenarios=json --profile full')).toBe('npm run bench -- run --profile full');
  });

  it('through the CLI: writes the merged run and its reports, which name the parts; never overwrites', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-merge-'));
    const write = (r: RunResults) => writeRunDir(dir, r);
    const a = write(A());
    const b = write(B());
    const out = path.join(dir, 'full');
    const r = await bench(['merge', a, b, '--out', out]);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toMatch(/part-a: json\npart-b: startup, memory, image-size/);
    const merged = readResults(path.join(out, 'results.json'));
    expect(merged.parts).toHaveLength(2);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/Made in 2 parts, merged by `bench merge`.*part 1, run part-a \(done, .*\): json; part 2, run part-b \(done, .*\): startup, memory, image-size\./);
    // The claims are judged on the merged run: json from one part, startup from the other.
    expect(md).toMatch(/\| Node\.js serves ~1\.4x the JSON requests\/s[^\n]*\| \*\*supported\*\* \|/);
    expect(fs.readFileSync(path.join(out, 'report.html'), 'utf8')).toContain('Made in 2 parts');
    const again = await bench(['merge', a, b, '--out', out]);
    expect(again.exitCode).toBe(2);
    expect(String(again.stderr)).toMatch(/exists already/);
    const dirty = A();
    dirty.environment.gitDirty = true;
    dirty.runId = 'dirty';
    const bad = await bench(['merge', write(dirty), b, '--out', path.join(dir, 'x')]);
    expect(bad.exitCode).toBe(2);
    expect(String(bad.stderr)).toMatch(/Run dirty was not measured from a clean, committed tree/);
  }, 60_000);
});
