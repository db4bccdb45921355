// A run spread over three test hosts (docker/test-hosts.sh), as a user with three machines runs
// it: the target on host 1 reached by ssh://, PostgreSQL on host 2 over plain tcp://
// (--insecure-engines), the loader's workers on host 3 by ssh://. Every trial is ok, the loader's
// count of responses equals what the target counted from host 3, the report names the hosts, and
// nothing is left on any host. A link cut mid-run fails the database scenario naming the host.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Docker from 'dockerode';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelFilter } from '../../harness/docker/labels.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import type { RunResults } from '../../harness/types.ts';

const SCRIPT = path.join(PROJECT_ROOT, 'docker/test-hosts.sh');
const NET = '10.216.0';
const env = { BENCH_TEST_HOSTS_DIR: '/tmp/bench-test-hosts-multi', BENCH_TEST_SUBNET: NET, BENCH_TEST_HOSTS_PREFIX: 'bench-m' };
const hostsScript = (...args: string[]) => execa('bash', [SCRIPT, ...args], { env, reject: false, all: true });
const FIXTURES = path.join(PROJECT_ROOT, 'test/fixtures/targets');

let key = '';
let knownHosts = '';
const ssh = (i: number) => `ssh://root@${NET}.${i}`;
const tcp = (i: number) => `tcp://${NET}.${i}:2375`;
const engine = (i: number) => new Docker({ host: `${NET}.${i}`, port: 2375, protocol: 'http' });

beforeAll(async () => {
  await hostsScript('down');
  const up = await hostsScript('up', '3');
  if (up.exitCode !== 0) throw new Error(`docker/test-hosts.sh up 3 failed (it needs root, podman, openssh-server and the Docker CLI):\n${up.all}`);
  const lines = String(up.stdout).split('\n');
  key = lines.find((l) => l.startsWith('key '))!.slice(4);
  knownHosts = lines.find((l) => l.startsWith('known_hosts '))!.slice('known_hosts '.length);
}, 120_000);

afterAll(async () => {
  await hostsScript('down');
});

const bench = (args: string[], out: string): ResultPromise =>
  execa('node', ['--import', 'tsx', 'harness/cli.ts', 'run', '--runtime', 'docker', '--targets', 'fixture-counting', ...args, '--target-host', ssh(1), '--service-host', tcp(2), '--insecure-engines', '--loader-host', ssh(3), '--ssh-key', key, '--ssh-known-hosts', knownHosts, '--out', out], {
    cwd: PROJECT_ROOT,
    env: { BENCH_TARGETS_DIR: FIXTURES },
    reject: false,
    all: true,
  });

/** Containers of the harness on each host; waits a little, as the reaper may still be removing them. */
async function leftOnHosts(): Promise<string[]> {
  let left: string[] = [];
  for (let i = 0; i < 20; i++) {
    left = [];
    for (const h of [1, 2, 3]) for (const c of await engine(h).listContainers({ all: true, filters: labelFilter() })) left.push(`host ${h}: ${c.Names.join(',')} (${c.Image})`);
    if (!left.length) return left;
    await new Promise((r) => setTimeout(r, 1000));
  }
  return left;
}

const readResults = (out: string) => JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8')) as RunResults;

describe('a run across three hosts', () => {
  it('runs json and db with the target, PostgreSQL and the loader each on its own host', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hosts-'));
    const run = await bench(['--scenarios', 'json,db', '--duration', '1', '--warmup', '0', '--trials', '2', '--max-rounds', '2', '--connections', '8'], out);
    expect(run.exitCode, String(run.all)).toBe(0);
    const results = readResults(out);
    expect(results.measurements.map((m) => [m.scenario, m.status])).toEqual([
      ['json', 'ok'],
      ['db', 'ok'],
    ]);
    // Each host with what ran there, its machine and its clock.
    const hosts = results.environment.hosts!;
    expect(hosts.map((h) => [h.name, h.roles, h.insecure])).toEqual([
      [ssh(1), ['target'], false],
      [tcp(2), ['service'], true],
      [ssh(3), ['loader'], false],
    ]);
    for (const h of hosts) {
      expect(h.cores).toBeGreaterThan(0);
      expect(Math.abs(h.clock!.offsetMs)).toBeLessThan(1000); // one kernel's clock underneath
    }
    expect(results.targets['fixture-counting']!.host).toBe(ssh(1));
    // PostgreSQL listened on host 2's address and let in host 1 and this machine only.
    const pg = results.services.find((s) => s.name === 'postgres')!;
    expect(pg.config.find((c) => c.setting === 'listen_addresses')!.value).toBe(`${NET}.2`);
    expect(pg.config.filter((c) => c.setting === 'pg_hba.conf').map((c) => c.value).sort()).toEqual([`host all all ${NET}.1/32 trust`, `host all all ${NET}.254/32 trust`]);
    // The loader's responses, every trial of both scenarios, against what the target counted from host 3.
    const trials = results.measurements.flatMap((m) => (m.result as { trials: { requests: number; non2xx: number }[] }).trials);
    expect(trials.length).toBeGreaterThanOrEqual(4);
    expect(trials.every((t) => t.requests > 0 && t.non2xx === 0)).toBe(true);
    const log = fs.readFileSync(path.join(out, 'logs/fixture-counting.log'), 'utf8');
    const counted = [...log.matchAll(/^counted (\{.*\})$/gm)].map((m) => (JSON.parse(m[1]!) as Record<string, number>)[`${NET}.3`] ?? 0);
    expect(counted.length).toBe(2); // one target container per scenario
    expect(counted.reduce((a, b) => a + b, 0)).toBe(trials.reduce((a, t) => a + t.requests, 0));
    // The report shows the hosts.
    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Hosts');
    for (const h of [ssh(1), tcp(2), ssh(3)]) expect(report).toContain(h);
    expect(await leftOnHosts()).toEqual([]);
  }, 900_000);

  it('fails the database scenario naming the host when its link is cut, and leaves nothing behind', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-hosts-cut-'));
    const run = bench(['--scenarios', 'db', '--duration', '3', '--warmup', '0', '--trials', '3', '--max-rounds', '3', '--connections', '8'], out);
    let cut = false;
    let restored = false;
    const link = (state: 'up' | 'down') => execa('ip', ['link', 'set', 'bench-mh2v', state]);
    run.all!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      // Cut PostgreSQL's host off once the first round of trials has begun; bring it back once the
      // harness has named it, so the containers there can be removed.
      if (!cut && /db: .*order/.test(text)) {
        cut = true;
        setTimeout(() => void link('down'), 1000);
      }
      if (cut && !restored && /was lost/.test(text)) {
        restored = true;
        void link('up');
      }
    });
    const done = await run;
    if (!restored) await link('up');
    expect(done.exitCode, String(done.all)).toBe(1);
    const m = readResults(out).measurements.find((x) => x.scenario === 'db')!;
    expect(m.status).toBe('failed');
    expect(m.error).toContain(tcp(2));
    expect(m.error).toMatch(/stopped answering/);
    expect(await leftOnHosts()).toEqual([]);
  }, 900_000);

  it('cleans what it shipped to each host with `clean --host`', async () => {
    const images = async (h: number) => (await engine(h).listImages({ filters: labelFilter() })).flatMap((i) => i.RepoTags ?? []);
    expect(await images(1)).toEqual(expect.arrayContaining([expect.stringMatching(/^localhost\/bench\/fixture-counting:/), expect.stringMatching(/^localhost\/bench\/kit:/)]));
    const hostArgs = [ssh(1), tcp(2), ssh(3)].flatMap((h) => ['--host', h]);
    const clean = await execa('node', ['--import', 'tsx', 'harness/cli.ts', 'clean', ...hostArgs, '--ssh-key', key, '--ssh-known-hosts', knownHosts, '--insecure-engines'], { cwd: PROJECT_ROOT, reject: false, all: true });
    expect(clean.exitCode, String(clean.all)).toBe(0);
    expect(String(clean.stdout)).toMatch(/removed target image localhost\/bench\/service-postgres:\S+ on tcp:\/\/10\.216\.0\.2:2375/);
    for (const h of [1, 2, 3]) expect(await images(h)).toEqual([]);
  }, 120_000);
});
