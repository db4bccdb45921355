import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../harness/errors.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import { readResults, resolveResultsFile, ResultsStore, markLatest } from '../../harness/results/store.ts';
import { runResultsSchema } from '../../harness/schema.ts';
import { fakeLifecycle, fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';

describe('markdown report', () => {
  const md = renderMarkdown(fakeResults());

  it('has one row per target and connection level with median, interval and its level, CV and percentiles', () => {
    expect(md).toMatch(/\| node \| 16 \| 30,000 \| 29,500–31,000 \(75\.0%\) \| [\d.]+% \| 1.25 \| 2.50 \| 7.50 \| 12.0 \| 64.0 MiB \| 99% \| no \| 0 \|/);
    expect(md).toMatch(/\| node \| 128 \| 33,000 \| no interval \(1 sample\) \|/);
    expect(md).toMatch(/\| django \| 16 \| 860 \| 850–870 \(75\.0%\) \|/);
    expect(md).toContain('Trials are interleaved');
  });

  it('flags loader-bound levels in the table and as a warning', () => {
    expect(md).toMatch(/\| node \| 128 \| 33,000 .*\| yes \(1\/1\) \|/);
    expect(md).toMatch(/node @ 128: 1\/1 trials were loader-bound/);
  });

  it('lists invalid targets with the reason, and never a figure for them', () => {
    expect(md).toContain('**broken**: invalid — contract check failed: content-type');
    expect(md).not.toMatch(/\| broken \| \d/);
  });

  it('compares the best levels relative to the fastest', () => {
    expect(md).toMatch(/\| django \| 860 \| 16 \| 2\.6% \| no \|/);
    expect(md).toMatch(/\| node \| 33,000 \| 128 \| 100\.0% \| yes \|/);
  });

  it('records the environment, pinning, what shared a CPU, and versions', () => {
    expect(md).toContain('target on CPUs 1, loader on CPUs 0, harness on CPUs 0');
    expect(md).toContain("| shared CPUs | the harness process runs on the loader's CPUs (0) |");
    expect(md).toContain('Test CPU (2 cores)');
    expect(md).toContain('node 24.9.0');
    expect(md).toContain('commit abc123');
  });

  it('says where each claim figure comes from', () => {
    expect(md).toContain('node 33,000 req/s (at least: the loader or its CPU was saturated) [node:http; best level, 128 connections, 1 trials, local]; django 860 req/s [uvicorn; best level, 16 connections, 3 trials, local]');
    expect(md).toContain('- json-throughput: results.json: json/node and json/django; pairs round 1: 38.8; the two samples of a pair were taken at most 230 s apart.');
  });

  it('says when a run is partial', () => {
    expect(renderMarkdown({ ...fakeResults(), state: 'interrupted' })).toContain('**interrupted** (partial results)');
    expect(renderMarkdown({ ...fakeResults(), state: 'killed' })).toContain('**killed** (its harness process ended without finishing: partial results)');
  });

  it('is a pure function: the same results give the same text, and the results are not changed', () => {
    const results = fakeResults();
    const before = structuredClone(results);
    expect(renderMarkdown(results)).toBe(md);
    expect(results).toEqual(before);
  });
});

describe('markdown report of a database scenario', () => {
  const r = fakeResults();
  const pg = (cpuPct: number, busy: number, saturated: boolean) => ({ services: [{ name: 'postgres', cpuPct }], loaderCpusBusyPct: [busy], sharedCpuSaturated: saturated });
  r.measurements.push(
    measurement('node', 'db', httpResult(rounds(128, [9000, 9100, 8900], 0, pg(60, 98, true)), { endpoint: '/db' })),
    measurement('django', 'db', httpResult(rounds(128, [600, 610, 590], 10, pg(8, 40, false)), { endpoint: '/db' })),
  );
  const md = renderMarkdown(r);

  it("puts the database's CPU beside the target's, says it shares the loader's CPU, and flags trials that saturated it", () => {
    expect(md).toContain('postgres ran on CPU 0, **shared with the loader**');
    expect(md).toMatch(/\| node \| 128 \| 9,000 \|.*\| 99% \| 60% \| 98% \| yes \(3\/3\) \| no \| 0 \|/);
    expect(md).toMatch(/\| django \| 128 \| 600 \|.*\| 99% \| 8% \| 40% \| no \| no \| 0 \|/);
    expect(md).toMatch(/node @ 128: 3\/3 trials saturated the CPU that the loader shares with postgres/);
  });

  it('sets database throughput beside JSON throughput per target', () => {
    expect(md).toMatch(/\| target \| db req\/s \| json req\/s \| queries req\/s \| fortunes req\/s \| updates req\/s \| db \/ json \|/);
    expect(md).toMatch(/\| node \| 9,000 \(128\) ≥ \| 33,000 \(128\) ≥ \| n\/a \| n\/a \| n\/a \| 27\.3% \|/);
    expect(md).toMatch(/\| django \| 600 \(128\) \| 860 \(16\) \| n\/a \| n\/a \| n\/a \| 69\.8% \|/);
  });
});

describe('markdown report of the startup, memory and image-size scenarios', () => {
  const results = fakeResults();
  results.measurements.push(...fakeLifecycle('node', [70, 75, 80], 40, 221_200_000, 221_150_000), ...fakeLifecycle('django', [170, 180, 200], 50, 190_100_000, 122_200_000));
  const md = renderMarkdown(results);

  it('gives startup medians with their interval, level, poll interval and mode', () => {
    expect(md).toContain('Time from container create+start to the first 200 from `/json`, after 1 warmup start per target; readiness polled every 5 ms. Starts are interleaved');
    expect(md).toMatch(/\| django \| 180 \| 170–200 \(75\.0%\) \| 198 \| 170 \| 200 \| [\d.]+% \| 3 \|/);
  });

  it('gives idle and peak memory over cycles and says exactly which memory figure it is', () => {
    expect(md).toContain('Memory: container working set from its cgroup (v1: memory.usage_in_bytes − total_inactive_file).');
    expect(md).toMatch(/\| node \| 40\.0 MiB \| 39\.6 MiB–40\.4 MiB \(75\.0%\) \| 60\.0 MiB \| 59\.4 MiB–60\.6 MiB \(75\.0%\) \| 80\.0 MiB \| 79\.2 MiB–80\.8 MiB \(75\.0%\) \| 1,000 \| 3 \|/);
    expect(md).toContain('at the same rate for every target, **1,000 req/s** (open loop;');
  });

  it('splits image sizes into base and app, naming the base and its origin', () => {
    expect(md).toMatch(/\| django \| 190\.1 MB \| 122\.2 MB \| 67\.9 MB \| localhost\/bench-local\/base \| local \|/);
    expect(md).toMatch(/\| node \| 221\.2 MB \| 221\.2 MB \| 50\.0 kB \|/);
  });

  it('does not describe an HTTP load for scenarios without trials', () => {
    const startupSection = md.slice(md.indexOf('## Scenario `startup`'), md.indexOf('## Scenario `memory`'));
    expect(startupSection).not.toContain('Load on');
  });
});

describe('results store', () => {
  const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bench-store-'));

  it('writes a schema-valid file at once and after every upsert', () => {
    const dir = tmp();
    const results = { ...fakeResults(), measurements: [] };
    const store = new ResultsStore(path.join(dir, 'run'), results);
    expect(readResults(store.file).measurements).toEqual([]);
    const [m] = fakeResults().measurements;
    store.upsert(m!);
    store.upsert({ ...m!, status: 'failed' });
    const read = readResults(store.file);
    expect(read.measurements).toHaveLength(1);
    expect(read.measurements[0]!.status).toBe('failed');
    expect(fs.readdirSync(path.join(dir, 'run'))).toEqual(['results.json']); // no temp files left
  });

  it('finds runs by folder, file, id and latest', () => {
    const root = tmp();
    const store = new ResultsStore(path.join(root, 'r1'), fakeResults());
    markLatest(root, store.dir);
    expect(fs.realpathSync(resolveResultsFile('latest', root))).toBe(fs.realpathSync(store.file));
    expect(resolveResultsFile('r1', root)).toBe(path.join(root, 'r1', 'results.json'));
    expect(resolveResultsFile(store.dir, root)).toBe(store.file);
    expect(() => resolveResultsFile('nope', root)).toThrow(UserError);
  });

  it('refuses a file from another schema with a clear error', () => {
    const dir = tmp();
    const file = path.join(dir, 'results.json');
    fs.writeFileSync(file, JSON.stringify({ ...fakeResults(), schemaVersion: 99 }));
    expect(() => readResults(file)).toThrow(/does not match the results schema: results schemaVersion/);
    fs.writeFileSync(file, '{"cut off');
    expect(() => readResults(file)).toThrow(/not valid JSON/);
  });

  it('accepts the fixture as valid results', () => {
    expect(runResultsSchema.safeParse(fakeResults()).success).toBe(true);
  });
});
