// The real thing, short: the quick profile of `json` against the django and node targets, through
// the CLI as a user runs it, including preparing them (venv + pip, npm ci with Node 24 from npm).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runResultsSchema } from '../../harness/schema.ts';
import { TARGETS_DIR } from '../../harness/targets.ts';
import { bench, processesUnder } from '../helpers.ts';

describe('json scenario on real targets (quick profile)', () => {
  it('measures django and node, with versions, and no errors', { timeout: 900_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-json-'));
    const r = await bench(['run', '--targets', 'django,node', '--scenarios', 'json', '--profile', 'quick', '--out', out]);
    const results = runResultsSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')));
    const failures = results.measurements.filter((m) => m.status !== 'ok').map((m) => `${m.target}: ${m.status} ${m.error ?? ''}\n${(m.logTail ?? []).join('\n')}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    expect(results.state).toBe('done');

    for (const name of ['django', 'node']) {
      const m = results.measurements.find((x) => x.target === name && x.scenario === 'json')!;
      expect(m.complete).toBe(true);
      expect(m.checks.filter((c) => c.status === 'fail')).toEqual([]);
      // quick profile: 2 connection levels x 3 trials
      expect(m.trials).toHaveLength(6);
      for (const t of m.trials) {
        expect(t.rps).toBeGreaterThan(0);
        expect(t.errors + t.timeouts + t.non2xx).toBe(0);
        expect(t.target.rssBytesPeak).toBeGreaterThan(0);
        expect(t.latencyMs.p99).toBeGreaterThan(0);
      }
    }
    const django = results.targets.django!.versions;
    const node = results.targets.node!.versions;
    expect(django.django).toMatch(/^(5\.2|6\.\d)/);
    expect(django.uvicorn).toMatch(/^\d+\.\d+/);
    expect(node.node).toMatch(/^24\./); // the pinned Node 24 LTS, not the host's Node
    expect(results.environment.loader.name).toBe('autocannon');
    expect(results.environment.pinning.targetCpus).not.toEqual(expect.arrayContaining(results.environment.pinning.loaderCpus));

    // A wide ratio measured in the same run: a bare node:http server outruns a full Django stack.
    const best = (name: string) => Math.max(...results.measurements.find((x) => x.target === name)!.summary.map((s) => s.rps.median));
    expect(best('node')).toBeGreaterThan(2 * best('django'));

    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/\| django \| 16 \|/);
    expect(processesUnder(TARGETS_DIR)).toEqual([]);
  });
});
