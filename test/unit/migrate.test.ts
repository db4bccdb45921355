// Results written by the schema-1 harness (test/fixtures/results-v1.json is the reference run it
// committed) are migrated on load: every scenario's figures land in its result kind, the reports
// render, the claims are judged without pretending the old trials were interleaved, and compare
// works across the change.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateClaims } from '../../harness/claims/evaluate.ts';
import type { HttpResult } from '../../harness/http/schema.ts';
import { renderMarkdown } from '../../harness/report/markdown.ts';
import { harnessAlive } from '../../harness/results/liveness.ts';
import { readResults } from '../../harness/results/store.ts';
import { compareRuns } from '../../harness/stats/compare-runs.ts';
import type { ImageResult } from '../../scenarios/image-size.ts';
import type { MemoryResult } from '../../scenarios/memory.ts';
import type { StartupResult } from '../../scenarios/startup.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import { fakeResults, httpResult, measurement, rounds } from '../fixtures/results.ts';

const V1 = path.join(PROJECT_ROOT, 'test/fixtures/results-v1.json');
const raw = JSON.parse(fs.readFileSync(V1, 'utf8'));

describe('a schema-1 results file', () => {
  const r = readResults(V1);
  const get = (target: string, scenario: string) => r.measurements.find((m) => m.target === target && m.scenario === scenario)!;

  it('migrates every scenario into its result kind', () => {
    expect(raw.schemaVersion).toBe(1);
    expect(r).toMatchObject({ schemaVersion: 2, migratedFrom: 1, services: [] });
    const json = get('node', 'json').result as HttpResult;
    expect(json).toMatchObject({ schedule: 'sequential', rounds: 5, endpoint: '/json' });
    expect(json.trials).toHaveLength(30);
    expect(json.trials[0]).toMatchObject({ level: { connections: 16 }, round: 1 });
    const old = raw.measurements.find((m: { target: string; scenario: string }) => m.target === 'node' && m.scenario === 'json').trials[0];
    expect(json.trials[0]!.rps).toBe(old.rps);
    expect(json.trials[0]!.errors).toBe(Math.max(0, old.errors - old.timeouts)); // timeouts counted once
    expect(json.memoryLabel).toMatch(/page cache was not subtracted/);
    expect((get('django', 'startup').result as StartupResult).starts).toHaveLength(15);
    expect((get('django', 'memory').result as MemoryResult).cycles).toHaveLength(1);
    expect((get('django', 'image-size').result as ImageResult).image.imageBytes).toBe(raw.measurements.find((m: { target: string; scenario: string }) => m.target === 'django' && m.scenario === 'image-size').image.imageBytes);
  });

  it('is judged on unpaired samples (its trials were not taken side by side); its closed-loop memory reading gives no verdict at equal rate', () => {
    const by = Object.fromEntries(evaluateClaims(r).map((v) => [v.claim.id, v]));
    expect(by['json-throughput']!.ratio).toMatchObject({ basis: 'unpaired', ci: { method: 'mann-whitney-ratio' } });
    expect(by['startup']!.ratio!.basis).toBe('unpaired');
    expect(by['memory']).toMatchObject({ verdict: 'inconclusive' });
    expect(by['memory']!.reason).toMatch(/no steady state at an equal rate \(closed-loop cycles/);
    expect(by['image-size']!.ratio!.basis).toBe('exact');
  });

  it('reports, saying that it was migrated and not interleaved', () => {
    const md = renderMarkdown(r);
    expect(md).toContain('written by an older harness (schema 1) and migrated on load');
    expect(md).toContain('**Trials were not interleaved**');
    expect(md).toMatch(/\| node \| 16 \| [\d,]+ \| [\d,]+–[\d,]+ \(93\.8%\) \|/); // 5 trials: [min, max] at 93.75%
  });

  it('compares with a run of the current schema', () => {
    const head = fakeResults();
    head.measurements[0] = measurement('node', 'json', httpResult(rounds(16, [30000, 31000, 29500, 30500, 30200, 29900])));
    const rows = compareRuns(r, head, 0.05);
    expect(rows.find((x) => x.target === 'node' && x.metric === 'json req/s @16')).toMatchObject({ status: expect.stringMatching(/regression|improvement|no significant change/) });
  });
});

describe('a run left "running"', () => {
  const write = (state: object) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-killed-'));
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify({ ...fakeResults(), ...state }));
    return path.join(dir, 'results.json');
  };

  it('reads as killed when its harness process is gone, and as running while it lives', () => {
    // A pid that cannot exist (above pid_max) stands for a harness that is gone.
    expect(readResults(write({ state: 'running', harness: { pid: 2 ** 30, hostname: os.hostname() } })).state).toBe('killed');
    expect(harnessAlive({ pid: 2 ** 30, hostname: os.hostname() })).toBe(false);
    // This test process is alive but is not a harness: a reused pid does not count as the harness.
    expect(harnessAlive({ pid: process.pid, hostname: os.hostname() })).toBe(false);
    // Another machine's run cannot be checked from here: it stays as written.
    expect(readResults(write({ state: 'running', harness: { pid: 2 ** 30, hostname: 'elsewhere' } })).state).toBe('running');
  });
});
