// The ground of the deploy scenario (issue 22): the registry as a service of the run (Debian's
// docker-registry in a container), an image pushed to it through the engine, and pulled into a
// test host that lacks it over a link limited by docker/test-hosts.sh rate (tc tbf). The pull
// takes the time the rate implies for the bytes that crossed the link, within a wide ratio; the
// registry and the pulled image are gone afterwards.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { execa } from 'execa';
import tar from 'tar-fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBase } from '../../harness/docker/bases.ts';
import { buildImage } from '../../harness/docker/build.ts';
import { requireEngine, type Engine } from '../../harness/docker/engine.ts';
import { labelFilter, labels } from '../../harness/docker/labels.ts';
import { DockerRuntime } from '../../harness/runtime/docker.ts';
import { registryCatalog, registryService } from '../../harness/services/registry.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';
import type { RunningService } from '../../harness/types.ts';

const SCRIPT = path.join(PROJECT_ROOT, 'docker/test-hosts.sh');
const NET = '10.217.0';
const PREFIX = 'bench-d';
const env = { BENCH_TEST_HOSTS_DIR: '/tmp/bench-test-hosts-deploy', BENCH_TEST_SUBNET: NET, BENCH_TEST_HOSTS_PREFIX: PREFIX };
const hostsScript = (...args: string[]) => execa('bash', [SCRIPT, ...args], { env, reject: false, all: true });
const host = new Docker({ host: `${NET}.1`, port: 2375, protocol: 'http' });
const TAG = 'localhost/bench/test-blob:1';
const BLOB_BYTES = 20_000_000;

let engine: Engine;
let runtime: DockerRuntime;
let registry: RunningService | null = null;

beforeAll(async () => {
  await hostsScript('down');
  const up = await hostsScript('up', '1');
  if (up.exitCode !== 0) throw new Error(`docker/test-hosts.sh up 1 failed (it needs root, podman, iproute2, openssh-server and the Docker CLI):\n${up.all}`);
  engine = await requireEngine();
  runtime = new DockerRuntime(engine);
  // An image of known size: incompressible bytes on the harness's Debian base.
  const base = await ensureBase(engine, 'debian', () => {});
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-blob-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `ARG BASE\nFROM \${BASE}\nRUN head -c ${BLOB_BYTES} /dev/urandom > /blob\n`);
  await buildImage(engine, { context: tar.pack(dir) as unknown as Readable, tag: TAG, buildargs: { BASE: base.ref }, labels: labels('target'), what: 'the test blob image' }, () => {});
  fs.rmSync(dir, { recursive: true, force: true });
}, 600_000);

afterAll(async () => {
  await registry?.stop();
  await engine?.docker.getImage(TAG).remove({ force: true }).catch(() => {});
  await hostsScript('down');
});

const txBytes = () => Number(fs.readFileSync(`/sys/class/net/${PREFIX}h1v/statistics/tx_bytes`, 'utf8'));

/** Podman's own pull (its Docker-compatible one cannot be told the registry is plain HTTP). */
async function pull(reference: string): Promise<void> {
  const r = await fetch(`http://${NET}.1:2375/v4.0.0/libpod/images/pull?reference=${encodeURIComponent(reference)}&tlsVerify=false&quiet=true`, { method: 'POST' });
  const text = await r.text();
  if (r.status !== 200 || /"error"/.test(text)) throw new Error(`pull of ${reference} failed (${r.status}): ${text.slice(-300)}`);
}

describe('the registry and a pull over a link of set bandwidth', () => {
  it('pushes to the run\'s registry and pulls into a host that lacks the image in the time the rate implies', async () => {
    registry = await runtime.startService(registryService, { cpus: [0], readyTimeoutMs: 120_000, log: () => {} });
    const { port } = registry.endpoint;
    // Pushed through the engine: the registry is plain HTTP.
    const pushed = `127.0.0.1:${port}/bench/test-blob:1`;
    await engine.docker.getImage(TAG).tag({ repo: `127.0.0.1:${port}/bench/test-blob`, tag: '1' });
    const progress = (await engine.docker.getImage(pushed).push({ tlsVerify: false } as never)) as unknown as NodeJS.ReadableStream;
    await new Promise((resolve, reject) => engine.docker.modem.followProgress(progress, (e: Error | null) => (e ? reject(e) : resolve(null))));
    await engine.docker.getImage(pushed).remove({ noprune: true });
    expect(await registryCatalog(registry.endpoint)).toEqual(['bench/test-blob']);

    // The host has nothing of it; what it receives is limited to 50 Mbit/s.
    expect((await host.listImages()).length).toBe(0);
    expect((await hostsScript('rate', '1', '50mbit')).exitCode).toBe(0);
    const before = txBytes();
    const t0 = performance.now();
    await pull(`${NET}.254:${port}/bench/test-blob:1`);
    const pullS = (performance.now() - t0) / 1000;
    const bytes = txBytes() - before;
    await hostsScript('rate', '1', 'off');
    // The blob (incompressible) and the base crossed the link; the time is at least what the rate
    // allows for them, and not wildly more (unpacking adds some).
    expect(bytes).toBeGreaterThan(BLOB_BYTES);
    const impliedS = (bytes * 8) / 50e6;
    expect(pullS).toBeGreaterThan(0.8 * impliedS);
    expect(pullS).toBeLessThan(3 * impliedS + 5);

    // Removed on every path: the pulled image on the host, the registry container here.
    await host.getImage(`${NET}.254:${port}/bench/test-blob:1`).remove({ force: true });
    expect((await host.listImages()).length).toBe(0);
    await registry.stop();
    registry = null;
    const left = await engine.docker.listContainers({ all: true, filters: labelFilter() });
    expect(left.filter((c) => c.Labels['bench.target'] === 'service-registry')).toEqual([]);
  }, 600_000);

  it('refuses a rate it cannot set, naming the forms', async () => {
    const bad = await hostsScript('rate', '1', 'fast');
    expect(bad.exitCode).toBe(1);
    expect(String(bad.stderr)).toMatch(/"fast" is not a rate such as 500kbit, 100mbit or 1gbit \(or off\)/);
  });
});
