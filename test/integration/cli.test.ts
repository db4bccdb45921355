// The CLI as a user meets it: bad input gives one paragraph naming the problem and the fix (exit 2);
// a run keeps every outcome in a valid results file; Ctrl-C or a killed harness leaves no process.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { runResultsSchema } from '../../harness/schema.ts';
import { cpuCount, planCpus } from '../../harness/runtime/cpus.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import type { MemoryResult } from '../../scenarios/memory.ts';
import type { StartupResult } from '../../scenarios/startup.ts';
import { bench, FIXTURE_SCENARIOS, FIXTURE_TARGETS, httpTrials, processesRunning, processesUnder, readRun, serviceDirs, waitFor } from '../helpers.ts';

const env = { BENCH_TARGETS_DIR: FIXTURE_TARGETS };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'bench-cli-'));

describe('bad input', () => {
  it.each([
    [['run', '--targets', 'nope'], /Unknown target: "nope"\. Fix: --targets takes a comma-separated list of: fixture-blob, fixture-counting, fixture-crash, fixture-hang, fixture-npm-fail, fixture-ok, fixture-python, fixture-slow-start, fixture-twin, fixture-versions, fixture-wrong, fixture-ws, fixture-ws-layer/],
    [['run', '--scenarios', 'jsn'], /Unknown scenario: "jsn"\. Fix: --scenarios takes a comma-separated list of: json/],
    [['run', '--connections', '16,abc'], /--connections: "abc" is not a whole number from 1 to 10000\. Fix: .*--connections 16,64,256/],
    [['run', '--connections', '16,0'], /--connections: "0" is not a whole number/],
    [['run', '--profile', 'fast'], /--profile: "fast" is not a profile\. Fix: Allowed values: quick, full/],
    [['run', '--runtime', 'dockr'], /--runtime: "dockr" is not a runtime\. Fix: Allowed values: local, docker, auto/],
    [['run', '--duration', 'long'], /--duration: "long" is not a duration/],
    [['run', '--target-cpus', '7'], /--target-cpus: CPU 7 does not exist/],
    [['run', '--frobnicate'], /run: Unknown option '--frobnicate'\. Fix: See `npm run bench -- run --help`/],
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['run', '--ws-step', '100', '--ws-ceiling', '50'], /--ws-ceiling \(50\) is below --ws-step \(100\)/],
    [['run', '--memory-rate', 'fast'], /--memory-rate: "fast" is not a whole number/],
    [['run', '--versions', 'fixture-ok'], /--versions: "fixture-ok" is not target=versions\. Fix: Write e\.g\. --versions node=24,25,26/],
    [['run', '--versions', 'nope=1,2'], /Unknown target: "nope"\. Fix: --targets takes a comma-separated list of: .*each optionally @version/],
    [['run', '--targets', 'fixture-ok@7'], /fixture-ok@7: "7" is neither a version fixture-ok offers \(it offers none\) nor a git revision of this repository/],
    [['run', 'fixture-ok=1'], /run: "fixture-ok=1" follows no --versions/],
    [['run', '--runtime', 'local', '--target-host', 'ssh://root@10.0.0.1'], /--target-host needs a runtime that runs containers through an engine; the local runtime runs processes on this machine\. Fix: Add --runtime docker/],
    [['run', '--runtime', 'docker', '--service-host', 'db.example'], /--service-host: "db\.example" is not an engine address\. Fix: .*ssh:\/\/user@host/],
    [['run', '--runtime', 'docker', '--loader-host', 'tcp://10.0.0.9:2375'], /tcp:\/\/10\.0\.0\.9:2375 is a plain tcp:\/\/ engine address.*--insecure-engines/],
    [['serve'], /serve takes exactly one target name/],
    [['serve', 'nope'], /Unknown target: "nope"/],
  ])('%j is refused with a clear error', async (args, message) => {
    const r = await bench(args, { env });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(message);
    expect(String(r.stderr)).not.toMatch(/\n\s+at /); // one paragraph, no stack trace
  });

  it('names the bad field of bench.config.ts and its allowed values', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bench.config.ts');
    fs.writeFileSync(file, "export default { profile: 'fastest', conections: [1] };\n");
    const r = await bench(['run', '--config', file], { env });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/profile: .*allowed: quick, full/);
    expect(String(r.stderr)).toMatch(/Unrecognized key.*conections/);
  });

  it('names a runtime or loader in bench.config.ts that is not registered, with the allowed values', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bench.config.ts');
    fs.writeFileSync(file, "export default { runtime: 'kubernetes' };\n");
    const r = await bench(['run', '--config', file], { env });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/runtime in .*bench\.config\.ts: "kubernetes" is not a runtime[\s\S]*Allowed values: local, docker, auto/);
    fs.writeFileSync(file, "export default { loader: 'k6' };\n");
    const l = await bench(['run', '--config', file], { env });
    expect(l.exitCode).toBe(2);
    expect(String(l.stderr)).toMatch(/loader in .*bench\.config\.ts: "k6" is not a loader[\s\S]*Allowed values: harness, autocannon, wrk/);
    const w = await bench(['run', '--ws-loader', 'artillery'], { env });
    expect(w.exitCode).toBe(2);
    expect(String(w.stderr)).toMatch(/--ws-loader: "artillery" is not a WebSocket loader[\s\S]*Allowed values: harness/);
  });

  it("names a bad scenario option in bench.config.ts with the field", async () => {
    const dir = tmp();
    const file = path.join(dir, 'bench.config.ts');
    fs.writeFileSync(file, 'export default { ws: { step: 0 } };\n');
    const r = await bench(['run', '--config', file], { env });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/Invalid option: .*bench\.config\.ts ws\.step: /);
  });

  it('serve on a target that crashes gives its log lines and leaves no process', async () => {
    const r = await bench(['serve', 'fixture-crash'], { env });
    expect(r.exitCode).toBe(2);
    expect(String(r.stderr)).toMatch(/Target "fixture-crash" exited during start \(exit code 3\)\. Fix: /);
    expect(String(r.stderr)).toContain('FATAL: DATABASE_URL is not set');
    expect(processesUnder(path.join(FIXTURE_TARGETS, 'fixture-crash'))).toEqual([]);
  });
});

describe('preparing targets', () => {
  it('says which Python to install when none is usable', async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-python', '--scenarios', 'json', '--out', out], { env: { ...env, BENCH_PYTHON: 'python-that-does-not-exist' } });
    expect(r.exitCode).toBe(1);
    const results = runResultsSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')));
    expect(results.measurements[0]).toMatchObject({ status: 'failed' });
    expect(results.measurements[0]!.error).toMatch(/No usable Python >= 3\.10 with the venv module.*apt-get install -y python3 python3-venv/);
  });

  it('says what failed, and how to fix it, when npm install fails', async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-npm-fail', '--scenarios', 'json', '--out', out], { env });
    expect(r.exitCode).toBe(1);
    const m = runResultsSchema.parse(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'))).measurements[0]!;
    expect(m.error).toMatch(/Preparing target "fixture-npm-fail" failed: `npm ci --no-audit --no-fund` exited with 1\. Fix: .*npm registry/);
    expect(m.logTail?.join('\n')).toMatch(/package-lock/);
  });
});

describe('run', () => {
  it('keeps every outcome (ok, invalid, failed) in a valid results file and exits 1', async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-ok,fixture-wrong,fixture-crash', '--scenarios', 'json', '--connections', '4', '--duration', '1', '--warmup', '0', '--trials', '2', '--out', out], { env });
    expect(r.exitCode, String(r.stderr)).toBe(1);
    const results = readRun(out);
    expect(results.state).toBe('done');
    const by = Object.fromEntries(results.measurements.map((m) => [m.target, m]));
    expect(by['fixture-ok']).toMatchObject({ status: 'ok', complete: true });
    expect(httpTrials(by['fixture-ok'])).toHaveLength(2);
    for (const t of httpTrials(by['fixture-ok'])) {
      expect(t.rps).toBeGreaterThan(0);
      expect(t.errors + t.timeouts + t.non2xx).toBe(0);
      expect(t.target.memoryBytesPeak).toBeGreaterThan(0);
    }
    // The harness pinned itself to the loader's CPU, away from the target's.
    expect(results.environment.pinning.harnessCpus).toEqual(results.environment.pinning.loaderCpus);
    expect(by['fixture-wrong']).toMatchObject({ status: 'invalid' });
    expect(by['fixture-wrong']!.result).toBeUndefined();
    expect(by['fixture-wrong']!.error).toContain('content-type');
    expect(by['fixture-crash']).toMatchObject({ status: 'failed' });
    expect(by['fixture-crash']!.logTail?.at(-1)).toBe('FATAL: DATABASE_URL is not set');
    expect(results.targets['fixture-ok']!.versions.node).toBe(process.versions.node);
    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\| fixture-ok \| 4 \| [\d,]+ \|/);
    expect(report).toContain('**fixture-wrong**: invalid');
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  });

  it('runs startup and memory on the local runtime and skips image-size there, saying why', async () => {
    const out = tmp();
    // The fixture grows by 40 MiB over its first requests: the peak under load must see it, idle must not.
    const r = await bench(['run', '--targets', 'fixture-ok', '--scenarios', 'startup,memory,image-size', '--connections', '4', '--duration', '1', '--trials', '2', '--out', out], { env: { ...env, FIXTURE_GROW_MB: '40' } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const results = readRun(out);
    const by = Object.fromEntries(results.measurements.map((m) => [m.scenario, m]));
    const startup = by.startup!.result as StartupResult;
    expect(startup).toMatchObject({ mode: 'process', pollIntervalMs: 5, warmupRuns: 1, schedule: 'interleaved' });
    // The least rounds (--trials 2): no claim rests on one target, so no claim rounds follow.
    expect(startup.starts.map((s) => s.round)).toEqual([1, 2]);
    expect(results.rounds?.startup).toMatchObject({ rounds: 2, stoppedBy: 'no-claims' });
    const memory = by.memory!.result as MemoryResult;
    expect(memory).toMatchObject({ workers: 1, loadConnections: 4 });
    expect(memory.memoryLabel).toMatch(/^PSS summed over the target's process tree/);
    expect(memory.cycles).toHaveLength(2);
    for (const c of memory.cycles) {
      expect(c.idleBytes).toBeGreaterThan(2 ** 20);
      expect(c.peakBytes! - c.idleBytes!).toBeGreaterThan(35 * 2 ** 20);
      expect(c.idleRssBytes).toBeGreaterThanOrEqual(c.idleBytes! * 0.95); // PSS never much above RSS
    }
    expect(by['image-size']).toMatchObject({ status: 'skipped', error: 'needs a runtime that builds images (the local runtime does not)' });
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  });

  it('on Ctrl-C stops the target, keeps the trials so far and exits 130', async () => {
    const out = tmp();
    const child = bench(['run', '--targets', 'fixture-ok', '--scenarios', 'json', '--connections', '4', '--duration', '1', '--warmup', '0', '--trials', '30', '--out', out], { env });
    const file = path.join(out, 'results.json');
    const trialsSoFar = () => {
      try {
        return (JSON.parse(fs.readFileSync(file, 'utf8')) as { measurements: { result?: { trials: unknown[] } }[] }).measurements[0]?.result?.trials.length ?? 0;
      } catch {
        return 0;
      }
    };
    expect(await waitFor(() => trialsSoFar() >= 2, 20_000)).toBe(true);
    child.kill('SIGINT');
    const r = await child;
    expect(r.exitCode).toBe(130);
    const results = readRun(out);
    expect(results.state).toBe('interrupted');
    expect(results.measurements[0]).toMatchObject({ status: 'failed', complete: false });
    expect(httpTrials(results.measurements[0]).length).toBeGreaterThanOrEqual(2);
    expect(fs.existsSync(path.join(out, 'report.md'))).toBe(true);
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  });

  it('a harness killed outright (SIGKILL) leaves no target behind: the reaper ends it', async () => {
    const child = bench(['serve', 'fixture-ok'], { env, buffer: false, stdout: 'pipe' });
    let url = '';
    child.stdout?.on('data', (d: Buffer) => {
      url ||= /serving at (\S+)/.exec(String(d))?.[1] ?? '';
    });
    expect(await waitFor(() => url !== '', 20_000)).toBe(true);
    expect((await fetch(`${url}/json`)).status).toBe(200);
    child.kill('SIGKILL');
    await child;
    expect(await waitFor(() => processesUnder(FIXTURE_TARGETS).length === 0, 10_000)).toBe(true);
  });
});

describe('interleaving', () => {
  it('runs the targets of a scenario round by round in a rotating order, visible in the progress and in the trial timestamps', async () => {
    const out = tmp();
    const r = await bench(['run', '--targets', 'fixture-ok,fixture-twin', '--scenarios', 'json', '--connections', '4', '--duration', '0.5', '--warmup', '0', '--trials', '3', '--out', out], { env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const stderr = String(r.stderr);
    expect(stderr).toContain('round 1/3, order fixture-ok → fixture-twin');
    expect(stderr).toContain('round 2/3, order fixture-twin → fixture-ok');
    expect(stderr).toMatch(/targets interleaved within each scenario/);
    const results = readRun(out);
    const all = results.measurements.flatMap((m) => httpTrials(m).map((t) => ({ target: m.target, round: t.round, start: Date.parse(t.startedAt!), end: Date.parse(t.endedAt!) })));
    all.sort((a, b) => a.start - b.start);
    // In time order: both targets' round-1 trials, then both round-2 trials, then round 3; no overlap.
    expect(all.map((t) => t.round)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(all.map((t) => t.target)).toEqual(['fixture-ok', 'fixture-twin', 'fixture-twin', 'fixture-ok', 'fixture-ok', 'fixture-twin']);
    for (let i = 1; i < all.length; i++) expect(all[i]!.start).toBeGreaterThanOrEqual(all[i - 1]!.end);
    // Every interval is printed with its confidence level: 3 trials give [min, max] at 75%.
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/\| fixture-ok \| 4 \| [\d,]+ \| [\d,]+–[\d,]+ \(75\.0%\) \|/);
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  });
});

describe('services', () => {
  const withDb = { ...env, BENCH_EXTRA_SCENARIOS: FIXTURE_SCENARIOS };
  // A run that a failed assertion left going would disturb the next test: it is killed at the end of its test.
  const run = (out: string, trials: string) => {
    const child = bench(['run', '--targets', 'fixture-ok,fixture-twin', '--scenarios', 'fixture-db-json', '--connections', '4', '--duration', '0.5', '--warmup', '0', '--trials', trials, '--out', out], { env: withDb });
    onTestFinished(() => void child.kill('SIGKILL'));
    return child;
  };

  it('starts the service once, hands its address to every target, records it, and leaves nothing behind', async () => {
    const out = tmp();
    const r = await run(out, '2');
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const results = readRun(out);
    expect(results.services).toHaveLength(1);
    expect(results.services[0]).toMatchObject({ name: 'fixture-db', mode: 'process', version: process.versions.node, config: [{ setting: 'reply', value: 'ok' }] });
    expect(results.services[0]!.stoppedAt).toBeDefined();
    // Each target's contract check saw the service's address in its environment.
    for (const m of results.measurements) expect(m.checks.find((c) => c.name === 'service-env')?.status).toBe('pass');
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toMatch(/## Services[\s\S]*\| fixture-db \|/);
    expect(processesRunning('fixture-db.mjs')).toEqual([]);
    expect(serviceDirs('fixture-db')).toEqual([]);
  });

  it('on Ctrl-C in the middle of a scenario stops the service and removes its data folder', { timeout: 90_000 }, async () => {
    const out = tmp();
    const child = run(out, '40');
    expect(await waitFor(() => processesRunning('fixture-db.mjs').length === 1 && httpTrialsSoFar(out) >= 1, 60_000)).toBe(true);
    expect(serviceDirs('fixture-db')).toHaveLength(1);
    child.kill('SIGINT');
    expect((await child).exitCode).toBe(130);
    expect(processesRunning('fixture-db.mjs')).toEqual([]);
    expect(serviceDirs('fixture-db')).toEqual([]);
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  });

  it('a service that dies mid-run ends the scenario at once: its measurements fail with the service\'s last log lines', { timeout: 90_000 }, async () => {
    const out = tmp();
    const started = Date.now();
    const child = bench(['run', '--targets', 'fixture-ok,fixture-twin', '--scenarios', 'fixture-db-json', '--connections', '4', '--duration', '0.5', '--warmup', '0', '--trials', '40', '--out', out], { env: { ...withDb, FIXTURE_DB_EXIT_AFTER_MS: '6000' } });
    onTestFinished(() => void child.kill('SIGKILL'));
    const r = await child;
    expect(r.exitCode, String(r.stderr)).toBe(1);
    // 40 rounds would take over 40 s; the scenario ends soon after the crash at 6 s.
    expect(Date.now() - started).toBeLessThan(35_000);
    const results = readRun(out);
    for (const m of results.measurements) {
      expect(m).toMatchObject({ status: 'failed', complete: false, error: expect.stringMatching(/Service fixture-db exited during the run \(exit code 3\)/) });
      expect(m.logTail?.join('\n')).toContain('crashing on purpose');
    }
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
    expect(serviceDirs('fixture-db')).toEqual([]);
  });

  it('a harness killed outright (SIGKILL): the reaper ends the targets and the service and removes its folder; the run reads as killed', async () => {
    // Under results/, where the next run looks for runs left behind by a killed harness.
    const out = fs.mkdtempSync(path.join(PROJECT_ROOT, 'results', '.test-killed-'));
    onTestFinished(() => fs.rmSync(out, { recursive: true, force: true }));
    const child = run(out, '40');
    expect(await waitFor(() => httpTrialsSoFar(out) >= 1, 30_000)).toBe(true);
    child.kill('SIGKILL');
    await child;
    expect(await waitFor(() => processesRunning('fixture-db.mjs').length === 0 && processesUnder(FIXTURE_TARGETS).length === 0 && serviceDirs('fixture-db').length === 0, 15_000)).toBe(true);
    // chart and compare recognise the killed run; the file still says 'running' until the next run marks it.
    expect(readRun(out).state).toBe('killed');
    const chart = await bench(['chart', out], { env: withDb });
    expect(chart.exitCode, String(chart.stderr)).toBe(0);
    expect(fs.readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('**killed**');
    const compare = await bench(['compare', out, out], { env: withDb });
    expect(String(compare.stdout)).toMatch(/is killed \(partial results\)/);
    // The next run says so, and marks it in the file.
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).state).toBe('running');
    const next = await bench(['run', '--targets', 'fixture-ok', '--scenarios', 'json', '--connections', '4', '--duration', '0.5', '--warmup', '0', '--trials', '1', '--out', tmp()], { env });
    expect(next.exitCode, String(next.stderr)).toBe(0);
    expect(String(next.stderr)).toContain(`${path.basename(out)} was killed (its harness process is gone); it is now marked 'killed'`);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')).state).toBe('killed');
  });
});

/** HTTP trials saved so far in a run folder (0 while there is no file yet). */
function httpTrialsSoFar(out: string): number {
  try {
    return (JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as { measurements: { result?: { trials: unknown[] } }[] }).measurements.reduce((n, m) => n + (m.result?.trials.length ?? 0), 0);
  } catch {
    return 0;
  }
}

describe('verify', () => {
  it('starts only the services the verified targets need, hands them their address, and leaves nothing behind', { timeout: 120_000 }, async () => {
    const r = await bench(['verify', '--targets', 'fixture-ok'], { env: { ...env, BENCH_EXTRA_SCENARIOS: FIXTURE_SCENARIOS } });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stderr)).toMatch(/service fixture-db: starting/);
    expect(String(r.stdout)).toMatch(/PASS fixture-db-json\/service-env: tcp:\/\/127\.0\.0\.1:/);
    expect(processesRunning('fixture-db.mjs')).toEqual([]);
    expect(serviceDirs('fixture-db')).toEqual([]);
    // fixture-ws carries a broadcast itself with one worker: then it needs no Redis (ws-broadcast's needsService).
    const ws = await bench(['verify', '--targets', 'fixture-ws'], { env });
    expect(ws.exitCode, String(ws.stderr)).toBe(0);
    if (planCpus(cpuCount()).targetCpus.length === 1) expect(String(ws.stderr)).not.toMatch(/service redis/);
    expect(String(ws.stdout)).toMatch(/PASS ws-broadcast\//);
  });
});

describe('compare on real runs', () => {
  const quickJson = (out: string, extra: Record<string, string> = {}) =>
    bench(['run', '--targets', 'fixture-ok', '--scenarios', 'json', '--connections', '4', '--duration', '1', '--warmup', '0', '--trials', '3', '--out', out], { env: { ...env, ...extra } });

  it('finds nothing between a run and itself, and flags a deliberately slowed target', async () => {
    const base = tmp();
    const slowed = tmp();
    expect((await quickJson(base)).exitCode).toBe(0);
    // 5 ms per response caps 4 connections at 800 req/s, far below the fixture's unslowed pace.
    expect((await quickJson(slowed, { FIXTURE_DELAY_MS: '5' })).exitCode).toBe(0);
    const same = await bench(['compare', base, base]);
    expect(same.exitCode, String(same.stderr)).toBe(0);
    expect(String(same.stdout)).toContain('No significant regression');
    const slow = await bench(['compare', base, slowed, '--threshold', '5%']);
    expect(slow.exitCode, String(slow.stdout)).toBe(1);
    expect(String(slow.stdout)).toMatch(/\| fixture-ok \| json req\/s @4 \|.*\*\*regression\*\* \|/);
    expect(processesUnder(FIXTURE_TARGETS)).toEqual([]);
  }, 90_000);
});
