import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateClaims, type ClaimVerdict } from '../../harness/claims/evaluate.ts';
import { UserError } from '../../harness/errors.ts';
import { claimsForestChart } from '../../harness/report/claims-chart.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import { claimTraces, glanceLabel, glanceTable } from '../../harness/report/sections.ts';
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
    // Older results (no claim rounds): each target's best level, and node's (128) is not django's (16),
    // so nothing is paired across levels; the unpaired interval is too weak to decide.
    expect(md).toContain('node 33,000 req/s (at least: the loader or its CPU was saturated) [node:http; best level, 128 connections, 1 trials (older results: no claim rounds), local]; django 860 req/s [uvicorn; best level, 16 connections, 3 trials (older results: no claim rounds), local]');
    expect(md).toContain('- json-throughput: results.json: json/node and json/django; no pairs (not measured side by side): 1 and 3 independent samples.');
    expect(md).toMatch(/\| \*\*inconclusive\*\* \| unpaired samples give only 50\.0% confidence, below the 95\.0% asked for: node\/django = 38\.4/);
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

describe('the claims at a glance', () => {
  const results = fakeResults();
  // Five starts: enough pairs for the lag-1 autocorrelation of the startup claim.
  results.measurements.push(...fakeLifecycle('node', [70, 75, 80, 72, 78], 40, 80e6, 75e6), ...fakeLifecycle('django', [170, 180, 200, 175, 190], 50, 300e6, 120e6));
  const md = renderMarkdown(results);
  const verdicts = evaluateClaims(results);
  const glance = md.slice(md.indexOf("## The article's claims at a glance"), md.indexOf('## The claims in detail'));

  it('opens the report: the glance table is the first section, before the claims in detail and the scenarios', () => {
    const headings = md.split('\n').filter((l) => l.startsWith('## '));
    expect(headings.slice(0, 2)).toEqual(["## The article's claims at a glance", '## The claims in detail']);
    const at = (text: string) => md.indexOf(text);
    expect(at('| claim | ratio or figure | interval |')).toBeGreaterThan(at("## The article's claims at a glance"));
    expect(at('| claim | ratio or figure | interval |')).toBeLessThan(at('## The claims in detail'));
    expect(at("| claim | the article's figures |")).toBeGreaterThan(at('## The claims in detail'));
    expect(at("| claim | the article's figures |")).toBeLessThan(at('## Scenario'));
    expect(glance).toContain('95.0% confidence');
    expect(glance).toContain('"Decided after n pairs"');
    expect(glance).toContain('"Stopped at the budget"');
  });

  it('has a short row per verdict with its ratio, interval, band, verdict and how it was reached (no reasons)', () => {
    const rows = glance.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| claim') && !l.startsWith('| ---'));
    expect(rows).toHaveLength(verdicts.length);
    verdicts.forEach((v, i) => {
      const row = rows[i]!;
      expect(row.startsWith(`| ${glanceLabel(v.claim)} |`), row).toBe(true);
      expect(row).toContain(`| **${v.verdict}** | ${v.decision.text} |`);
      expect(row).not.toContain(v.reason);
    });
    for (const row of glanceTable(verdicts).rows) for (const c of row) expect(c.length, c).toBeLessThanOrEqual(60);
    const json = rows[0]!;
    expect(json).toMatch(/^\| Node ~1\.4x Django's JSON req\/s \| node\/django [\d.]+ \| .+ \| 1\.23–1\.68 \| \*\*\w+\*\* \| .+ \|$/);
    expect(glance).toContain('| Node images 80 MB, Django 300 MB | django/node 3.75 | exact | 3.00–4.50 | **supported** | exact: one reading per side |');
    expect(glance).toContain("| Node's WebSocket latency is lower | n/a | n/a | ≤ 0.90 | **inconclusive** | not measured |");
  });

  it('names a row shown beside a claim by its targets, and marks autocorrelated pairs', () => {
    const startup = verdicts.find((v) => v.claim.id === 'startup')!;
    const beside = { ...startup, claim: { ...startup.claim, id: 'startup:django-wsgi/node', numerator: 'django-wsgi', besideOf: 'startup' } };
    const flagged: ClaimVerdict = { ...startup, autocorrelation: { lag1: 0.6, flagged: true } };
    const rows = glanceTable([beside, flagged]).rows;
    expect(rows[0]![0]).toBe('beside: django-wsgi/node');
    expect(rows[1]![5]).toBe(`${startup.decision.text} · autocorrelated`);
  });

  it('reports the lag-1 autocorrelation of every paired claim', () => {
    const paired = verdicts.filter((v) => v.ratio?.basis === 'paired');
    expect(paired.map((v) => v.claim.id)).toContain('startup');
    const traces = claimTraces(verdicts);
    for (const v of paired) expect(traces.find((t) => t.startsWith(`${v.claim.id}:`))).toMatch(/lag-1 autocorrelation (of the log-ratios -?\d\.\d\d|not computed)/);
    expect(traces.find((t) => t.startsWith('startup:'))).toMatch(/lag-1 autocorrelation of the log-ratios -?\d\.\d\d/);
  });
});

describe('the claims forest plot', () => {
  const results = fakeResults();
  results.measurements.push(...fakeLifecycle('node', [70, 75, 80], 40, 80e6, 75e6), ...fakeLifecycle('django', [170, 180, 200], 50, 300e6, 120e6));
  const verdicts = evaluateClaims(results);
  const judged = verdicts.filter((v) => v.ratio && v.decision.how !== 'extrapolation' && v.decision.how !== 'not-measured');
  type Layer = { encoding?: { x?: { field: string; scale?: { type: string; domain: [number, number] } } } };
  const parts = (c: ReturnType<typeof claimsForestChart>) => {
    const spec = c.spec as unknown as { data: { values: Record<string, number | string | boolean>[] }; layer: Layer[] };
    return { rows: spec.data.values, xs: spec.layer.map((l) => l.encoding?.x).filter((x) => x !== undefined) };
  };

  it('draws one row per judged claim on a log-scale x', () => {
    const chart = claimsForestChart(verdicts);
    expect(chart.name).toBe('claims-forest');
    const { rows, xs } = parts(chart);
    expect(judged.length).toBeGreaterThan(0);
    expect(rows).toHaveLength(judged.length);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(xs.length).toBeGreaterThan(0);
    for (const x of xs) expect(x!.scale?.type).toBe('log');
    // An exact ratio is a point: no interval to draw.
    expect(rows.find((r) => String(r.key).startsWith('image-size|'))).toMatchObject({ interval: false, lo: 3.75, hi: 3.75 });
  });

  it('clips an unbounded interval to the domain, flags its open sides, and leaves no Infinity or NaN in the spec', () => {
    const open = judged.map((v): ClaimVerdict => ({ ...v, ratio: v.ratio!.basis === 'exact' ? v.ratio : { ...v.ratio!, ci: { lo: 0, hi: Infinity, level: 0.95, method: 'confidence-sequence' } } }));
    const chart = claimsForestChart(open);
    const { rows, xs } = parts(chart);
    // JSON writes Infinity and NaN as null: none may be in the data.
    expect(JSON.stringify(rows)).not.toMatch(/Infinity|NaN|null/);
    const [min, max] = xs[0]!.scale!.domain;
    expect(min).toBeGreaterThan(0);
    expect(Number.isFinite(max)).toBe(true);
    for (const r of rows) {
      for (const f of ['value', 'lo', 'hi', 'bandLo', 'bandHi']) {
        expect(Number.isFinite(r[f]), f).toBe(true);
        expect(r[f] as number, f).toBeGreaterThanOrEqual(min);
        expect(r[f] as number, f).toBeLessThanOrEqual(max);
      }
      if (r.interval) expect(r).toMatchObject({ lo: min, hi: max, loOpen: true, hiOpen: true });
    }
    expect(rows.some((r) => r.interval)).toBe(true);
  });

  it('says why when there is nothing to draw', () => {
    const notMeasured = evaluateClaims({ ...fakeResults(), measurements: [] });
    expect(claimsForestChart(notMeasured)).toMatchObject({ name: 'claims-forest', spec: null, missing: expect.stringMatching(/no claim has a measured ratio/) });
    expect(claimsForestChart([])).toMatchObject({ spec: null });
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
    expect(md).toMatch(/\| node \| 40\.0 MiB \| 39\.8 MiB–40\.2 MiB \(96\.1%\) \| 60\.0 MiB \| 59\.7 MiB–60\.3 MiB \(96\.1%\) \| 80\.0 MiB \| 79\.6 MiB–80\.4 MiB \(96\.1%\) \| 1,000 \| 12 \|/);
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
