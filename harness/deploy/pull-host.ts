// The deploy scenario's pulling host: a node that lacks the targets' images, as a fresh Kubernetes
// node does. It is one of docker/test-hosts.sh's hosts (a network namespace joined to this machine
// by a veth link, with its own Podman engine and its own image storage) under a prefix and subnet of
// its own, so that it stands beside the test suite's hosts. What it receives over its link is
// limited by a token bucket (tc tbf); the bytes that crossed are read from the link's counter.
// Taken down on every path: by stop(), and by the reaper if the harness dies.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { execa } from 'execa';
import { dockerFor, type Engine } from '../docker/engine.ts';
import { UserError } from '../errors.ts';
import { registerCleanup, unregisterCleanup } from '../runtime/reaper.ts';
import { PROJECT_ROOT } from '../targets.ts';

const SCRIPT = path.join(PROJECT_ROOT, 'docker/test-hosts.sh');

export interface PullHostOptions {
  /** Names of its namespace, link and bridge (test-hosts.sh's BENCH_TEST_HOSTS_PREFIX, up to 6 characters). */
  prefix: string;
  /** Its /24, three octets: the host is .1, this machine .254. */
  subnet: string;
  /** Its folder (storage, engine socket, logs). */
  dir: string;
}

/** The harness's own: 10.218.0.0/24 is not one of the test suite's subnets (10.213 to 10.217). */
export const DEPLOY_HOST: PullHostOptions = { prefix: 'bench-p', subnet: '10.218.0', dir: '/tmp/bench-deploy-host' };

/** test-hosts.sh's settings for the host; no sshd: the harness reaches its engine by its socket. */
const envOf = (o: PullHostOptions): Record<string, string> => ({ BENCH_TEST_HOSTS_DIR: o.dir, BENCH_TEST_SUBNET: o.subnet, BENCH_TEST_HOSTS_PREFIX: o.prefix, BENCH_TEST_HOSTS_SSH: '0' });

/** The host's engine socket (test-hosts.sh's unix:// service for host 1). */
const socketOf = (o: PullHostOptions): string => path.join(o.dir, 'host1/podman.sock');

/** A libpod API call over the host's engine socket: its status and whole body. */
function libpod(socketPath: string, method: string, apiPath: string, signal?: AbortSignal): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: `/v4.0.0/libpod${apiPath}`, ...(signal && { signal }) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export class PullHost {
  /** Where the harness reaches the host (its servers listen here). */
  readonly ip: string;
  /** Where the host reaches this machine (the bridge's address): the registry's address for it. */
  readonly gateway: string;
  readonly engine: Engine;
  private readonly socketPath: string;
  private readonly link: string;
  private stopped = false;

  private constructor(
    private readonly o: PullHostOptions,
    private readonly env: Record<string, string>,
    version: { Version: string; ApiVersion: string },
  ) {
    this.ip = `${o.subnet}.1`;
    this.gateway = `${o.subnet}.254`;
    this.socketPath = socketOf(o);
    this.link = `${o.prefix}h1v`;
    this.engine = { docker: dockerFor(`unix://${this.socketPath}`), name: 'podman', version: version.Version, apiVersion: version.ApiVersion, socket: `unix://${this.socketPath}`, owned: true };
  }

  private static script(env: Record<string, string>, ...args: string[]) {
    return execa('bash', [SCRIPT, ...args], { env, reject: false, all: true });
  }

  /** Makes the host (after removing one a killed run left), or throws a UserError saying what is missing. */
  static async up(o: PullHostOptions = DEPLOY_HOST, log: (line: string) => void = () => {}): Promise<PullHost> {
    if (process.getuid?.() !== 0) throw new UserError('The deploy scenario needs root: it makes its pulling host, a network namespace with its own engine and a rate-limited link.', 'Run it as root (sudo), or leave deploy out of --scenarios.');
    const env = envOf(o);
    await PullHost.script(env, 'down');
    registerCleanup(`deploy-host-${o.prefix}`, ['bash', SCRIPT, 'down'], env);
    const undo = async () => {
      await PullHost.script(env, 'down');
      unregisterCleanup(`deploy-host-${o.prefix}`);
    };
    log(`deploy: making the pulling host (${o.prefix}h1, ${o.subnet}.1: a network namespace with its own Podman and image storage)`);
    const up = await PullHost.script(env, 'up', '1');
    if (up.exitCode !== 0) {
      await undo();
      throw new UserError(`The deploy scenario could not make its pulling host: ${String(up.all).trim().split('\n').slice(-3).join(' ')}`, 'It needs root, podman, iproute2 (ip and tc) and curl: see docker/test-hosts.sh.');
    }
    try {
      return new PullHost(o, env, await dockerFor(`unix://${socketOf(o)}`).version());
    } catch (error) {
      // Made but not answering: taken down here, since no caller holds it to stop it.
      await undo();
      throw new UserError(`The deploy scenario's pulling host was made, but its engine did not answer: ${(error as Error).message}`, `See ${o.dir}/host1/engine.log while it is up (docker/test-hosts.sh up 1 with the same settings).`);
    }
  }

  /** Takes down a host that a run left (killed while its reaper could not finish); true if there was one. */
  static async removeLeft(o: PullHostOptions = DEPLOY_HOST): Promise<boolean> {
    const links = await execa('ip', ['-o', 'link', 'show'], { reject: false });
    if (!fs.existsSync(o.dir) && !String(links.stdout).includes(`${o.prefix}br`)) return false;
    const down = await PullHost.script(envOf(o), 'down');
    if (down.exitCode !== 0) throw new UserError(`Could not take down the deploy scenario's pulling host: ${String(down.all).trim()}`, 'Run `sudo bash docker/test-hosts.sh down` with BENCH_TEST_HOSTS_PREFIX=bench-p BENCH_TEST_SUBNET=10.218.0 BENCH_TEST_HOSTS_DIR=/tmp/bench-deploy-host.');
    return true;
  }

  /** Limits what the host receives to `rate` (e.g. "100mbit"), with `delayMs` where the kernel has netem; "off" lifts it. */
  async setRate(rate: string, delayMs = 0): Promise<string> {
    const r = await PullHost.script(this.env, 'rate', '1', rate, ...(delayMs > 0 && rate !== 'off' ? [`${delayMs}ms`] : []));
    if (r.exitCode !== 0) throw new UserError(`Could not set the pulling host's link to ${rate}: ${String(r.all).trim()}`, 'See docker/test-hosts.sh rate.');
    return String(r.all).trim();
  }

  /** Bytes this machine has sent the host over its link so far. */
  txBytes(): number {
    return Number(fs.readFileSync(`/sys/class/net/${this.link}/statistics/tx_bytes`, 'utf8'));
  }

  /** Every container and image on the host removed, unused layers pruned: nothing of any image is left. */
  async clear(): Promise<void> {
    for (const c of await this.engine.docker.listContainers({ all: true })) await this.engine.docker.getContainer(c.Id).remove({ force: true, v: true });
    for (const i of await this.engine.docker.listImages({ all: true })) await this.engine.docker.getImage(i.Id).remove({ force: true }).catch((e: { statusCode?: number }) => {
      if (e.statusCode !== 404) throw e;
    });
    const pruned = await libpod(this.socketPath, 'POST', '/images/prune?all=true');
    if (pruned.status !== 200) throw new Error(`the pulling host's engine did not prune its images (${pruned.status}): ${pruned.body.slice(-300)}`);
    const left = await this.engine.docker.listImages({ all: true });
    if (left.length) throw new Error(`the pulling host still holds ${left.length} image(s) after removing all: ${left.map((i) => i.RepoTags?.[0] ?? i.Id).join(', ')}`);
  }

  /** Images on the host (for checks). */
  async images(): Promise<string[]> {
    return (await this.engine.docker.listImages({ all: true })).map((i) => i.RepoTags?.[0] ?? i.Id);
  }

  /**
   * Pulls `reference` from a plain-HTTP registry through Podman's own API: its Docker-compatible
   * pull ignores tlsVerify and insists on HTTPS. Resolves once the image is stored (fetched and
   * unpacked), which is when a node can start it.
   */
  async pull(reference: string, signal?: AbortSignal): Promise<void> {
    const r = await libpod(this.socketPath, 'POST', `/images/pull?reference=${encodeURIComponent(reference)}&tlsVerify=false&quiet=true&policy=always`, signal);
    const error = /"error"\s*:\s*"([^"]*)"/.exec(r.body)?.[1];
    if (r.status !== 200 || error) throw new Error(`the pulling host could not pull ${reference} (${r.status}): ${error ?? r.body.slice(-300)}`);
  }

  /** Takes the host down (namespace, engine, storage, link and its rules); idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const down = await PullHost.script(this.env, 'down');
    unregisterCleanup(`deploy-host-${this.o.prefix}`);
    if (down.exitCode !== 0) throw new Error(`docker/test-hosts.sh down failed for the deploy host: ${String(down.all).trim()}`);
  }
}
