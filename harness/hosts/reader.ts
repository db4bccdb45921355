// The harness's eyes on another host: one reader container there (reader-worker.ts on the kit
// image), privileged, in the host's pid and cgroup namespaces and on its network, spoken to through
// the kit's pool like any worker. It reads what the local runtime reads here (a container's memory
// and CPU, whether a process lives, the host's facts, a free port) and answers its wall clock, whose
// offset from this machine's is measured so that its samples land on the harness's clock.
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { UserError } from '../errors.ts';
import type { Engine } from '../docker/engine.ts';
import { containerSpawner } from '../load/kit/container-spawner.ts';
import { WorkerPool, type ProgramRuntime } from '../load/kit/pool.ts';
import type { ResourceSample } from '../types.ts';
import type { HostInfo, ReaderCommand, ReaderReply } from './reader-protocol.ts';

export const READER_PATH = fileURLToPath(new URL('./reader-worker.ts', import.meta.url));

export type { HostInfo } from './reader-protocol.ts';

export interface HostReaderOptions {
  engine: Engine;
  /** The kit image, present on that engine. */
  image: string;
  /** What runs a program in it (kitRuntime). */
  runtime: ProgramRuntime;
  /** The host as its engine address, for errors. */
  hostName: string;
  /** The host's CPU it is pinned to (default 0): it reads a few files a second at most. */
  cpu?: number;
  signal?: AbortSignal;
}

/** All of the host's processes and cgroups: its pid and cgroup namespaces, privileged to read every
 * process's smaps, and the host's whole cgroup hierarchy bound in (a privileged container's own
 * /sys/fs/cgroup shows its own cgroup only, at least with Podman on cgroup v1). */
const SEES_THE_HOST: Docker.HostConfig & { CgroupnsMode?: string } = { Privileged: true, PidMode: 'host', CgroupnsMode: 'host', Binds: ['/sys/fs/cgroup:/sys/fs/cgroup:ro'] };
/** For an engine that refuses CgroupnsMode (an API before 1.41): its default, which the reader checks is the host's. */
const { CgroupnsMode: _, ...SEES_THE_HOST_OLDER } = SEES_THE_HOST;

const wallNow = () => performance.timeOrigin + performance.now();

export class HostReader {
  private offsetMs = 0;

  /** The host's wall clock minus this machine's, as last measured (clock()). */
  get clockOffsetMs(): number {
    return this.offsetMs;
  }
  private stopping: Promise<void> | null = null;

  private constructor(
    private readonly pool: WorkerPool<ReaderCommand, ReaderReply>,
    readonly hostName: string,
  ) {}

  /** Starts the reader on the host and measures its clock; a reader that cannot see the host's processes and cgroups is refused. */
  static async start(o: HostReaderOptions): Promise<HostReader> {
    let started;
    try {
      started = await HostReader.startPool(o, SEES_THE_HOST);
    } catch (error) {
      if (!/cgroupns/i.test((error as Error).message)) throw error;
      started = await HostReader.startPool(o, SEES_THE_HOST_OLDER);
    }
    const { pool, ready } = started;
    const sees = ready[0] ?? {};
    if (sees.hostPids !== true || sees.hostCgroups !== true) {
      await pool.kill();
      const missing = sees.hostPids !== true ? 'processes (pid namespace)' : sees.cgroupNamespace !== true ? 'cgroup namespace' : "cgroup hierarchy (/sys/fs/cgroup shows the container's own cgroup, not the host's)";
      throw new UserError(
        `The harness's reader on ${o.hostName} does not see that host's ${missing}, so it could not measure the targets there.`,
        `The engine at ${o.engine.socket} must run a privileged container with --pid host and --cgroupns host (a rootful engine; check \`docker -H ${o.engine.socket} run --rm --privileged --pid host --cgroupns host ${o.image} --version\`).`,
      );
    }
    const reader = new HostReader(pool, o.hostName);
    try {
      await reader.clock();
    } catch (error) {
      await reader.stop();
      throw error;
    }
    return reader;
  }

  private static startPool(o: HostReaderOptions, hostConfig: Docker.HostConfig) {
    return WorkerPool.start<ReaderCommand, ReaderReply>({
      script: READER_PATH,
      runtime: o.runtime,
      cpus: [o.cpu ?? 0],
      config: () => ({ host: o.hostName }),
      what: `The harness's reader on ${o.hostName}`,
      spawner: containerSpawner({ engine: o.engine, image: o.image, runtime: o.runtime, hostName: o.hostName, label: 'reader', hostConfig }),
      ...(o.signal && { signal: o.signal }),
    });
  }

  /** A container's (or process tree's) resource use, as the local docker runtime reads it, at a time on this machine's performance.now() clock. */
  async sample(pid: number, o: { pss: boolean }): Promise<ResourceSample | null> {
    const { sample } = await this.pool.request(0, { cmd: 'sample', pid, pss: o.pss }, 'sample');
    if (!sample) return null;
    return { atMs: sample.wallMs - this.offsetMs - performance.timeOrigin, memoryBytes: sample.memoryBytes, rssBytes: sample.rssBytes, cpuSeconds: sample.cpuSeconds };
  }

  /** Whether a process of the host runs (not a zombie). */
  async alive(pid: number): Promise<boolean> {
    return (await this.pool.request(0, { cmd: 'alive', pid }, 'alive')).alive;
  }

  /** The host's CPU model, CPU count, memory, kernel and boot id, from its /proc. */
  async host(): Promise<HostInfo> {
    const { type: _, ...info } = await this.pool.request(0, { cmd: 'host' }, 'host');
    return info;
  }

  /** A TCP port free on all of the host's addresses now (bound to port 0 and released). */
  async freePort(): Promise<number> {
    return (await this.pool.request(0, { cmd: 'free-port' }, 'port')).port;
  }

  /**
   * The reader's wall clock minus this machine's, from the shortest of `samples` round trips (its
   * reading taken as made at their midpoint, so off by at most half that trip); kept for sample().
   */
  async clock(samples = 15): Promise<{ offsetMs: number; rttMs: number }> {
    let best: { offsetMs: number; rttMs: number } | null = null;
    for (let i = 0; i < Math.max(1, samples); i++) {
      const sent = wallNow();
      const { wallMs } = await this.pool.request(0, { cmd: 'clock' }, 'clock');
      const back = wallNow();
      if (!best || back - sent < best.rttMs) best = { offsetMs: wallMs - (sent + back) / 2, rttMs: back - sent };
    }
    this.offsetMs = best!.offsetMs;
    return best!;
  }

  /** Ends the reader and removes its container; idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.pool.kill();
    return this.stopping;
  }
}
