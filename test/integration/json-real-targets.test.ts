// The real thing, short: the quick profile of `json` against the django and node targets, through
// the CLI as a user runs it, including preparing them (venv + pip, npm ci with Node 24 from npm).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bestLevel, summarizeHttp } from '../../harness/http/summary.ts';
import { TARGETS_DIR } from '../../harness/targets.ts';
import { bench, httpTrials, processesUnder, readRun } from '../helpers.ts';

describe('json scenario on real targets (quick profile)', () => {
  it('measures django and node, with versions, and no errors', { timeout: 900_000 }, async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-json-'));
    const r = await bench(['run', '--targets', 'django,node', '--scenarios', 'json', '--profile', 'quick', '--out', out]);
    const results = readRun(out);
    const failures = results.measurements.filter((m) => m.status !== 'ok').map((m) => `${m.target}: ${m.status} ${m.error ?? ''}\n${(m.logTail ?? []).join('\n')}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);
    expect(results.state).toBe('done');

    for (const name of ['django', 'node']) {
      const m = results.measurements.find((x) => x.target === name && x.scenario === 'json')!;
      expect(m.complete).toBe(true);
      expect(m.checks.filter((c) => c.status === 'fail')).toEqual([]);
      // quick profile: one connection level, claim rounds until node/django is decided, which an
      // anytime-valid 95% interval allows from 10 pairs on (the ratio is far outside the band).
      expect(httpTrials(m).map((t) => `${t.phase} ${t.level.connections}#${t.round}`)).toEqual(Array.from({ length: 10 }, (_, i) => `claim 128#${i + 1}`));
      for (const t of httpTrials(m)) {
        expect(t.rps).toBeGreaterThan(0);
        expect(t.errors + t.timeouts + t.non2xx).toBe(0);
        expect(t.target.memoryBytesPeak).toBeGreaterThan(0);
        expect(t.latencyMs.p99).toBeGreaterThan(0);
      }
    }
    const django = results.targets.django!.versions;
    const node = results.targets.node!.versions;
    expect(django.django).toMatch(/^(5\.2|6\.\d)/);
    expect(django.uvicorn).toMatch(/^\d+\.\d+/);
    expect(node.node).toMatch(/^24\./); // the pinned Node 24 LTS, not the host's Node
    // The harness's own loader, run by Bun from npm, and every trial keeps its latency histogram.
    expect(results.environment.loader).toMatchObject({ name: 'harness', runtime: expect.stringMatching(/^bun 1\./) });
    for (const m of results.measurements) for (const t of httpTrials(m)) expect(t.histogramUs).toBeTruthy();
    expect(results.environment.pinning.targetCpus).not.toEqual(expect.arrayContaining(results.environment.pinning.loaderCpus));
    expect(results.rounds?.json).toMatchObject({ rounds: 10, stoppedBy: 'decided', open: [], levelsFrom: 'profile', levels: { django: '128', node: '128' } });

    // A wide ratio measured in the same run: a bare node:http server outruns a full Django stack.
    const best = (name: string) => bestLevel(summarizeHttp(httpTrials(results.measurements.find((x) => x.target === name))))!.rps.median;
    expect(best('node')).toBeGreaterThan(2 * best('django'));

    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    // The table's interval of 10 trials (fixed n, 97.9%); the claim's is anytime-valid, on the 10 pairs.
    expect(report).toMatch(/\| django \| 128 \| [\d,]+ \| [\d,]+–[\d,]+ \(97\.9%\) \|/);
    expect(report).toMatch(/\| Node ~1\.4x Django's JSON req\/s \| node\/django [\d.]+ \| [\d.]+–[\d.]+ \(95\.0%, anytime\) \| 1\.23–1\.68 \| \*\*refuted\*\* \| decided after 10 pairs( · autocorrelated)? \|/);
    expect(report).toMatch(/\| Node\.js serves ~1\.4x .*median of 10 paired ratios/);
    expect(processesUnder(TARGETS_DIR)).toEqual([]);
  });
});
