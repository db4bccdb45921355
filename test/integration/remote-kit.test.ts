// The harness's workers on other hosts (issue 21), on two test hosts (docker/test-hosts.sh: network
// namespaces with engines of their own, reaching no registry): the kit image built here and shipped
// to host 1 over ssh:// and host 2 over tcp://; the HTTP loader's workers as containers on host 2
// against a server in a container on host 1, the two counts agreeing; a reader container on host 1
// measuring that server as the local runtime would; nothing of the harness's left on either host.
import fs from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOptions } from '../../harness/docker/container.ts';
import { imageExists } from '../../harness/docker/build.ts';
import { requireEngine, type Engine } from '../../harness/docker/engine.ts';
import { labelFilter } from '../../harness/docker/labels.ts';
import { ensureKitImage, type KitImage } from '../../harness/hosts/kit-image.ts';
import { HostReader } from '../../harness/hosts/reader.ts';
import { shipImage } from '../../harness/hosts/ship.ts';
import { createHttpLoader, type HttpLoadOutcome } from '../../harness/load/http/index.ts';
import { containerSpawner } from '../../harness/load/kit/container-spawner.ts';
import { WorkerPool } from '../../harness/load/kit/pool.ts';
import { PROJECT_ROOT } from '../../harness/targets.ts';

const SCRIPT = path.join(PROJECT_ROOT, 'docker/test-hosts.sh');
const DIR = '/tmp/bench-test-hosts-kit';
const env = { BENCH_TEST_HOSTS_DIR: DIR, BENCH_TEST_SUBNET: '10.215.0', BENCH_TEST_HOSTS_PREFIX: 'bench-k' };
const hostsScript = (...args: string[]) => execa('bash', [SCRIPT, ...args], { env, reject: false, all: true });
const INSTALL =
  'The test hosts need root, podman (bash docker/setup-podman.sh), iproute2, openssh-server and the Docker CLI (for dial-stdio): sudo apt-get install -y iproute2 openssh-server openssh-client docker-cli (or docker.io).';

async function engineOf(docker: Docker, socket: string): Promise<Engine> {
  const v = await docker.version();
  return { docker, name: 'podman', version: v.Version, apiVersion: v.ApiVersion, socket, owned: false };
}

let local: Engine;
let host1: Engine; // over ssh://
let host2: Engine; // over tcp://
let kit: KitImage;
const shipLog: string[] = [];
let reader: HostReader | undefined;
let server: Docker.Container | undefined;
let serverPid = 0;
let serverUrl = '';

beforeAll(async () => {
  await hostsScript('down');
  const up = await hostsScript('up', '2');
  if (up.exitCode !== 0) throw new Error(`docker/test-hosts.sh up 2 failed. ${INSTALL}\n${up.all}`);
  const key = fs.readFileSync(path.join(DIR, 'id_ed25519'));
  host1 = await engineOf(new Docker({ protocol: 'ssh', host: '10.215.0.1', port: 22, username: 'root', sshOptions: { privateKey: key } } as Docker.DockerOptions), 'ssh://root@10.215.0.1');
  host2 = await engineOf(new Docker({ host: '10.215.0.2', port: 2375, protocol: 'http' }), 'tcp://10.215.0.2:2375');
  local = await requireEngine();
  kit = await ensureKitImage(local, () => {});
  await shipImage(local, host1, kit.tag, (l) => shipLog.push(`host1: ${l}`));
  await shipImage(local, host2, kit.tag, (l) => shipLog.push(`host2: ${l}`));
}, 300_000);

afterAll(async () => {
  await reader?.stop();
  await server?.remove({ force: true }).catch(() => {});
  await hostsScript('down');
}, 60_000);

/** A server counting the requests it answers (GET /count says how many), on host 1's address. */
async function startServer(port: number): Promise<void> {
  const code = `let n = 0; Bun.serve({ hostname: '10.215.0.1', port: ${port}, fetch(req) { if (new URL(req.url).pathname === '/count') return new Response(String(n)); n++; return new Response('ok'); } });`;
  server = await host1.docker.createContainer(createOptions({ image: kit.tag, label: 'test-server', entrypoint: ['/kit/bun'], cmd: ['-e', code], cpus: [0] }));
  await server.start();
  serverPid = (await server.inspect()).State.Pid;
  serverUrl = `http://10.215.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if ((await fetch(`${serverUrl}/count`).catch(() => null))?.ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the test server on host 1 did not answer at ${serverUrl}`);
}

const harnessContainers = async (e: Engine) => (await e.docker.listContainers({ all: true, filters: labelFilter() })).map((c) => `${c.Names[0]} ${c.State}`);

describe('the kit on other hosts', () => {
  it('ships the kit image to a host over ssh:// and one over tcp://, once', async () => {
    expect(await imageExists(host1, kit.tag)).toBe(true);
    expect(await imageExists(host2, kit.tag)).toBe(true);
    expect(shipLog.filter((l) => l.includes('Loaded image'))).toHaveLength(2);
    const again: string[] = [];
    await shipImage(local, host1, kit.tag, (l) => again.push(l));
    expect(again).toEqual([]);
  });

  it('starts a reader on host 1 that sees the host: facts, a free port, its clock', { timeout: 60_000 }, async () => {
    reader = await HostReader.start({ engine: host1, image: kit.tag, runtime: kit.runtime, hostName: host1.socket });
    const facts = await reader.host();
    expect(facts.cores).toBeGreaterThanOrEqual(1);
    expect(facts.memoryBytes).toBeGreaterThan(0);
    expect(facts.kernel).toMatch(/^\d+\.\d+/);
    const port = await reader.freePort();
    expect(Number.isInteger(port) && port > 0).toBe(true);
    const clock = await reader.clock();
    // The test hosts share this machine's clock: the offset is only the measurement's error.
    expect(Math.abs(clock.offsetMs)).toBeLessThan(1000);
    expect(clock.rttMs).toBeGreaterThan(0);
    await startServer(port);
  });

  it('runs the HTTP loader on host 2 against host 1: all 2xx, and the server counted what the loader did', { timeout: 60_000 }, async () => {
    const before = await reader!.sample(serverPid, { pss: true });
    const loader = createHttpLoader({ cpus: [0], runtime: kit.runtime, spawner: containerSpawner({ engine: host2, image: kit.tag, runtime: kit.runtime, hostName: host2.socket }) });
    expect(loader.runtime).toBe(`bun ${kit.bunVersion}`);
    const result = (await loader.run({ url: `${serverUrl}/`, connections: 4, durationS: 2, pipelining: 1 })) as HttpLoadOutcome;
    expect(result.requests).toBeGreaterThan(0);
    expect(result.statusClasses?.['2xx']).toBe(result.requests);
    expect(result.errors).toBe(0);
    expect(Number(await (await fetch(`${serverUrl}/count`)).text())).toBe(result.requests);
    // The worker's CPU use came from its replies (it has no pid here).
    expect(result.loaderCpuPct).toBeGreaterThan(0);
    expect(await harnessContainers(host2)).toEqual([]);

    const after = await reader!.sample(serverPid, { pss: true });
    expect(before && after).toBeTruthy();
    expect(after!.memoryBytes).toBeGreaterThan(0);
    expect(after!.cpuSeconds).toBeGreaterThan(before!.cpuSeconds);
    // On the harness's clock: taken between the load's end and now.
    expect(after!.atMs).toBeLessThanOrEqual(performance.now());
    expect(after!.atMs).toBeGreaterThan(performance.now() - 5000);
  });

  it('fails a worker that cannot start or exits, naming its host, why, and its stderr', { timeout: 30_000 }, async () => {
    const start = (image: string) =>
      WorkerPool.start({
        script: path.join(PROJECT_ROOT, 'harness/load/http/worker.ts'),
        runtime: kit.runtime,
        cpus: [0],
        config: () => ({ host: '' }),
        what: 'The test loader',
        spawner: containerSpawner({ engine: host2, image, runtime: kit.runtime, hostName: host2.socket }),
      }).then(
        () => {
          throw new Error('the worker started');
        },
        (e: unknown) => e as Error & { logTail: string[] },
      );
    const absent = await start('localhost/bench/kit:absent');
    expect(absent.message).toMatch(/worker on CPU 0 of host tcp:\/\/10\.215\.0\.2:2375, bun .*\) could not start on tcp:\/\/10\.215\.0\.2:2375 \(.*(no such image|image not known|not found)/i);
    const bad = await start(kit.tag);
    expect(bad.message).toMatch(/worker on CPU 0 of host tcp:\/\/10\.215\.0\.2:2375, bun .*\) exited with code 1\./);
    expect(bad.logTail.join('\n')).toMatch(/http worker: bad configuration: host/);
    expect(await harnessContainers(host2)).toEqual([]);
  });

  it('says a removed process is gone, and leaves nothing of the harness on either host', { timeout: 30_000 }, async () => {
    expect(await reader!.alive(serverPid)).toBe(true);
    await server!.remove({ force: true });
    server = undefined;
    expect(await reader!.alive(serverPid)).toBe(false);
    await reader!.stop();
    await reader!.stop(); // idempotent
    await expect(reader!.alive(1)).rejects.toThrow(/reader on ssh:\/\/root@10\.215\.0\.1/);
    expect(await harnessContainers(host1)).toEqual([]);
    expect(await harnessContainers(host2)).toEqual([]);
  });
});
