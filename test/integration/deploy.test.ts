// The deploy scenario as a user runs it: `run --runtime docker --scenarios deploy` starts the
// registry, pushes the image and its base, makes the pulling host (a network namespace with its own
// Podman, docker/test-hosts.sh) and deploys over a link of set rate. A fixture image with a layer of
// 20 MB of random bytes over the node base, pulled with its base present at 50 Mbit/s, moves about
// those bytes in the time the rate implies; nothing is left afterwards (registry, pushed tags,
// pulled images, namespace, link and its rules); a registry that dies mid-run fails the scenario
// with its last log lines; a harness killed outright leaves the reaper to take the host down.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { requireEngine } from '../../harness/docker/engine.ts';
import { labelFilter } from '../../harness/docker/labels.ts';
import { DEPLOY_HOST, PullHost } from '../../harness/deploy/pull-host.ts';
import type { DeployResult } from '../../scenarios/deploy-kind.ts';
import { bench, FIXTURE_TARGETS, readRun, waitFor } from '../helpers.ts';

const BLOB_BYTES = 20_000_000;
const run = (out: string, extra: string[]) =>
  bench(['run', '--runtime', 'docker', '--targets', 'fixture-blob', '--scenarios', 'deploy', '--trials', '1', '--out', out, ...extra], { env: { BENCH_TARGETS_DIR: FIXTURE_TARGETS }, all: true });

/** What a deploy could leave on this machine, in words; empty when nothing is left. */
async function leftovers(): Promise<string[]> {
  const engine = await requireEngine();
  const left: string[] = [];
  for (const c of await engine.docker.listContainers({ all: true, filters: labelFilter() })) left.push(`container ${c.Names.join(',')} (${c.Image})`);
  for (const i of await engine.docker.listImages()) for (const tag of i.RepoTags ?? []) if (tag.startsWith('127.0.0.1:')) left.push(`pushed tag ${tag}`);
  const netns = String((await execa('ip', ['netns', 'list'])).stdout);
  if (netns.includes(`${DEPLOY_HOST.prefix}h1`)) left.push(`namespace ${DEPLOY_HOST.prefix}h1`);
  const links = String((await execa('ip', ['-o', 'link', 'show'])).stdout);
  for (const l of [`${DEPLOY_HOST.prefix}h1v`, `${DEPLOY_HOST.prefix}br`]) if (links.includes(`${l}:`) || links.includes(`${l}@`)) left.push(`link ${l} (and its tc rules)`);
  if (fs.existsSync(DEPLOY_HOST.dir)) left.push(`folder ${DEPLOY_HOST.dir} (the host's image storage)`);
  return left;
}

async function nothingLeft(timeoutMs = 30_000): Promise<string[]> {
  let left = await leftovers();
  const deadline = Date.now() + timeoutMs;
  while (left.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    left = await leftovers();
  }
  return left;
}

/** A run three seconds into its first pull: cold at 10 Mbit/s, where the node base alone takes about a minute. */
async function midPull() {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
  const child = run(out, ['--deploy-rates', '10mbit', '--deploy-cases', 'cold']);
  let seen = '';
  child.all!.on('data', (b: Buffer) => (seen += b.toString()));
  expect(await waitFor(() => /deploys: round 1/.test(seen), 300_000), seen).toBe(true);
  await new Promise((r) => setTimeout(r, 3000));
  return { out, child };
}

describe('the deploy scenario', () => {
  it('pulls a layer of known size at a set rate in the time the rate implies, and leaves nothing', async () => {
    expect(await leftovers(), 'a deploy host or registry from an earlier run is still here').toEqual([]);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
    const r = await run(out, ['--deploy-rates', '50mbit', '--deploy-cases', 'base-present']);
    expect(r.exitCode, String(r.all)).toBe(0);
    const results = readRun(out);
    const m = results.measurements.find((x) => x.scenario === 'deploy')!;
    expect(m.status, m.error).toBe('ok');
    const d = m.result as DeployResult;
    expect(d.cycles.map((c) => [c.round, c.rate, c.case])).toEqual([[1, '50mbit', 'base-present']]);
    const c = d.cycles[0]!;
    // The base was on the node: the blob's layer (incompressible) and the app's few files crossed the link, little else.
    expect(c.bytes).toBeGreaterThan(BLOB_BYTES);
    expect(c.bytes).toBeLessThan(BLOB_BYTES * 1.1 + 2_000_000);
    const impliedMs = ((c.bytes * 8) / 50e6) * 1000;
    expect(c.pullMs).toBeGreaterThan(0.8 * impliedMs);
    expect(c.pullMs).toBeLessThan(3 * impliedMs + 5000);
    expect(c.startMs).toBeGreaterThan(0);
    expect(c.totalMs).toBeCloseTo(c.pullMs + c.startMs, 6);
    expect(d.link.delay).toMatch(/^no delay added/);
    expect(results.services.map((s) => s.name)).toEqual(['registry']);
    const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(report).toContain('## Scenario `deploy`');
    expect(report).toMatch(/\| fixture-blob \| 50 Mbit\/s \| base-present \| 1 \|/);
    expect(fs.existsSync(path.join(out, 'charts/deploy.svg'))).toBe(true);
    expect(await nothingLeft()).toEqual([]);
  }, 600_000);

  it('fails the scenario with the registry\'s last log lines when the registry dies mid-run, and leaves nothing', async () => {
    const { out, child } = await midPull();
    const engine = await requireEngine();
    const registry = (await engine.docker.listContainers({ filters: labelFilter() })).filter((c) => c.Labels['bench.target'] === 'service-registry');
    expect(registry).toHaveLength(1);
    await engine.docker.getContainer(registry[0]!.Id).kill();
    const r = await child;
    const m = readRun(out).measurements.find((x) => x.scenario === 'deploy')!;
    expect(m.status).toBe('failed');
    expect(m.error).toMatch(/Service registry exited during the run/);
    // Its last log lines come with the error (the registry's own start lines at the least).
    expect(m.logTail?.length ?? 0, String(r.all)).toBeGreaterThan(0);
    expect(await nothingLeft()).toEqual([]);
  }, 600_000);

  it('leaves the reaper to take the pulling host down when the harness is killed outright', async () => {
    const { child } = await midPull();
    expect((await leftovers()).length).toBeGreaterThan(0);
    child.kill('SIGKILL'); // no exit handler runs: only the reaper can clean up
    await child.catch(() => {});
    expect(await nothingLeft(120_000)).toEqual([]);
  }, 600_000);

  it('lets `clean` take down a pulling host that a run left', async () => {
    const host = await PullHost.up();
    expect(await leftovers()).toContain(`namespace ${DEPLOY_HOST.prefix}h1`);
    const r = await bench(['clean'], { all: true });
    expect(r.exitCode, String(r.all)).toBe(0);
    expect(String(r.all)).toMatch(/removed the deploy scenario's pulling host/);
    expect(await leftovers()).toEqual([]);
    await host.stop();
  }, 120_000);

  it('refuses a delay where the kernel has no netem, and a rate it cannot read, naming the flag', async () => {
    const bad = await bench(['run', '--runtime', 'docker', '--scenarios', 'deploy', '--deploy-rates', 'fast'], { all: true });
    expect(bad.exitCode).not.toBe(0);
    expect(String(bad.all)).toMatch(/--deploy-rates: "fast" is not a rate such as 100mbit or 1gbit/);
    const noNetem = await execa('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { reject: false });
    if (noNetem.exitCode === 0) await execa('tc', ['qdisc', 'del', 'dev', 'lo', 'root']);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'));
    const delayed = await run(out, ['--deploy-rates', '50mbit', '--deploy-cases', 'base-present', '--deploy-delay', '5']);
    const m = readRun(out).measurements.find((x) => x.scenario === 'deploy')!;
    if (noNetem.exitCode === 0) {
      expect(m.status, String(delayed.all)).toBe('ok');
      expect((m.result as DeployResult).link.delay).toBe('5 ms of delay added with netem');
    } else {
      expect(m.status).toBe('failed');
      expect(m.error).toMatch(/--deploy-delay 5: this machine's kernel has no netem/);
    }
    expect(await nothingLeft()).toEqual([]);
  }, 600_000);
});
