// One container's lifecycle, the same for the docker runtime's targets, services and one-shot
// probes: created with the harness's labels on the host's network (pinned with cpuset, a memory and
// open-files limit when asked), registered with the reaper, watched and measured from the host's
// /proc and its cgroup files (no engine call during a measurement), and stopped and removed exactly
// once, its full log kept. When it counts as ready is the caller's wait strategy (readiness.ts).
import fs from 'node:fs';
import { debuglog } from 'node:util';
import type Docker from 'dockerode';
import { UserError } from '../errors.ts';
import type { OpenFilesLimit, ResourceSample } from '../types.ts';
import { cgroupOfPid, describeCgroupMemory, type CgroupPaths } from '../runtime/cgroup.ts';
import { sampleCgroup, sampleContainerPss } from '../runtime/container-sample.ts';
import { LogBuffer } from '../runtime/log-buffer.ts';
import { CONTAINER_READS, smallestSoftNofile } from '../runtime/open-files.ts';
import { readPss } from '../runtime/process-tree.ts';
import { readyOrStop, type Exit, type WaitStrategy } from '../runtime/readiness.ts';
import { registerContainer, unregisterContainer } from '../runtime/reaper.ts';
import { execIn, type Engine } from './engine.ts';
import { labels, LABEL_TARGET } from './labels.ts';

const LOG_TAIL = 30;
const debug = debuglog('bench');

export const ENGINE_FAILED_FIX =
  'The container engine could not run it: check it with `npm run bench -- doctor` and `podman run --rm <image> true` (or docker). With Podman, `bash docker/setup-podman.sh` restarts an API service it finds broken (one whose working directory was deleted fails every start with "write child: broken pipe").';

export interface ContainerSpec {
  image: string;
  /** Its bench.target label: the target's name, `service-<name>`, or what a probe is for. */
  label: string;
  env?: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  /** CPUs it may run on (cpuset); absent: any. */
  cpus?: number[];
  memoryBytes?: number;
  /** Absent or empty: the engine's. */
  ulimits?: Docker.HostConfig['Ulimits'];
}

/** The engine's create options for `spec`: always labelled, always on the host's network. */
export function createOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  return {
    Image: spec.image,
    ...(spec.entrypoint && { Entrypoint: spec.entrypoint }),
    ...(spec.cmd && { Cmd: spec.cmd }),
    ...(spec.env && { Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`) }),
    Labels: labels('container', { [LABEL_TARGET]: spec.label }),
    HostConfig: {
      NetworkMode: 'host',
      ...(spec.cpus && { CpusetCpus: spec.cpus.join(',') }),
      ...(spec.memoryBytes !== undefined && { Memory: spec.memoryBytes }),
      ...(spec.ulimits?.length && { Ulimits: spec.ulimits }),
    },
  };
}

/** How a container's resource use is read, and what its memory figure is, in words for reports. */
export interface StatsReader {
  read(): Promise<ResourceSample | null>;
  label: string;
}

export interface StartedContainer {
  container: Docker.Container;
  /** Its main process as the host sees it; 0 when the engine did not say. */
  pid: number;
  /** When the engine says it started that process (its wall-clock StartedAt), if it said. */
  startedAt: string | undefined;
  /** Resolves if it stops on its own; never once stop() was called. */
  exited: Promise<Exit>;
  /** Waits until `strategy` says it is ready; if it does not, stops it and throws a UserError naming `who`, with its last log lines. */
  waitReady(strategy: WaitStrategy, who: string, fix: string): Promise<void>;
  /** Its last log lines, read from the engine when asked: following the log for the whole run
   * would keep Podman's API service busy on a CPU during every trial. */
  logTail(n?: number): Promise<string[]>;
  /** `pss`: memory as PSS of its process tree when the host can read it, else (and without `pss`) its cgroup's working set; CPU from its cgroup. */
  stats(o: { pss: boolean }): StatsReader;
  openFilesLimit(): Promise<OpenFilesLimit | null>;
  /** Idempotent: stops it (5 s grace), keeps its whole log, removes it with its anonymous volumes. */
  stop(): Promise<void>;
}

/** What reads a container's processes on another host (harness/hosts/reader.ts): that host's /proc
 * and cgroups, through a reader container started there before any trial. */
export interface RemoteProcReader {
  /** The host, for labels and errors. */
  hostName: string;
  sample(pid: number, o: { pss: boolean }): Promise<ResourceSample | null>;
  alive(pid: number): Promise<boolean>;
}

/** Creates and starts a container; on a failed start removes it and throws a UserError about `what` ("target \"node\"").
 * With `reader`, the engine is another host's: its processes are read there, not in this machine's /proc. */
export async function startContainer(engine: Engine, spec: ContainerSpec, o: { what: string; logFile?: string | undefined; reader?: RemoteProcReader }): Promise<StartedContainer> {
  const logs = new LogBuffer(500, o.logFile);
  const container = await engine.docker.createContainer(createOptions(spec));
  registerContainer(engine.socket, container.id);
  let stopped = false;
  const logTail = async (tail = LOG_TAIL): Promise<string[]> => {
    try {
      const raw = (await container.logs({ stdout: true, stderr: true, tail })) as unknown as Buffer;
      return demuxBuffer(raw).split('\n').filter(Boolean).slice(-tail);
    } catch {
      return [];
    }
  };
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await container.stop({ t: 5 }).catch(() => {});
    for (const line of await logTail(10_000)) logs.push(line);
    // Another host's engine may be out of reach for a while (a cut link): try again before leaving
    // the container to the reaper, which tries once more when the harness exits.
    const tries = o.reader ? 4 : 1;
    for (let i = 0; i < tries; i++) {
      const removed = await container.remove({ force: true, v: true }).then(
        () => true,
        (error: { statusCode?: number }) => error.statusCode === 404,
      );
      if (removed) {
        unregisterContainer(engine.socket, container.id);
        break;
      }
      if (i + 1 < tries) await new Promise((r) => setTimeout(r, 5000));
    }
    logs.close();
  };
  try {
    await container.start();
  } catch (error) {
    await stop();
    throw new UserError(`Container of ${o.what} did not start: ${(error as Error).message}.`, ENGINE_FAILED_FIX);
  }
  // One inspect for the main process: from then on the container is watched and measured from
  // /proc and its cgroup files.
  const state = (await container.inspect().catch(() => null))?.State;
  const pid = state?.Pid ?? 0;
  let cgroup: CgroupPaths | null = null;
  const cgroupPaths = () => (cgroup ??= pid > 0 ? cgroupOfPid(pid) : null);
  const reader = o.reader;
  const exited = reader ? watchRemote(container, reader, pid, () => stopped) : watchExit(container, async (p) => fs.existsSync(`/proc/${p}`), pid, () => stopped);
  return {
    container,
    pid,
    startedAt: state?.StartedAt,
    exited,
    waitReady: (strategy, who, fix) =>
      readyOrStop(
        {
          exited,
          // The tail first: once removed, the engine has no log to give.
          stopWithTail: async (n) => {
            const tail = await logTail(n);
            await stop();
            return tail;
          },
        },
        strategy,
        who,
        fix,
        LOG_TAIL,
      ),
    logTail,
    stats: ({ pss }) => {
      if (reader) {
        if (pid <= 0) return { read: async () => null, label: `not readable: the engine of ${reader.hostName} gave no process id` };
        const where = `on ${reader.hostName}, read by the harness's reader container there`;
        return { read: () => reader.sample(pid, { pss }), label: pss ? `PSS summed over the container's process tree (/proc/PID/smaps_rollup ${where}; the same figure as the local runtime's)` : `the container's cgroup working set ${where}` };
      }
      const paths = cgroupPaths();
      if (!paths) return { read: async () => null, label: 'not readable: the container cgroup was not found' };
      // PSS when the host may read the container's processes (a rootful engine, or ours).
      if (pss && pid > 0 && readPss(pid) !== null) return { read: async () => sampleContainerPss(pid, paths), label: CONTAINER_PSS_LABEL };
      return {
        read: async () => sampleCgroup(paths),
        label: `${describeCgroupMemory(paths.version)}${paths.version === 1 ? V1_CHARGE_NOTE : ''}${pss ? NOT_PSS_NOTE : ''}`,
      };
    },
    openFilesLimit: () => containerOpenFilesLimit(engine.docker, container),
    stop,
  };
}

/** Runs a container to its end and gives what it printed on stdout; removes it on every path. */
export async function runToEnd(engine: Engine, spec: ContainerSpec): Promise<string> {
  const container = await engine.docker.createContainer(createOptions(spec));
  registerContainer(engine.socket, container.id);
  try {
    await container.start();
    await container.wait();
    return demuxBuffer((await container.logs({ stdout: true, stderr: false })) as unknown as Buffer);
  } finally {
    await container.remove({ force: true, v: true }).catch(() => {});
    unregisterContainer(engine.socket, container.id);
  }
}

export { sampleCgroup, sampleContainerPss };

export const CONTAINER_PSS_LABEL =
  "PSS summed over the container's process tree (read from the host's /proc/PID/smaps_rollup: each shared page divided among the processes that map it, on the host as a whole; the same figure as the local runtime's)";

/** On cgroup v1 a page is charged to the cgroup that first touched it: image files already in the page cache stay charged elsewhere. */
const V1_CHARGE_NOTE = '; on cgroup v1, file pages first read by another cgroup (shared binaries and libraries of a cached image) are not counted';

const NOT_PSS_NOTE = " (the container's processes' /proc/PID/smaps_rollup could not be read from the host, as with a rootless engine, so not the local runtime's PSS)";

/** Resolves when the container stops running. Watches its main process (`running`: this machine's /proc, or another host's reader; no engine call:
 * Podman 4's `wait` endpoint, and frequent inspects, keep its API service busy on a CPU, stealing
 * it from the very measurement it watches); asks the engine once, for the exit code, when the
 * process is gone. Never resolves once `done()` says the harness stopped it. */
function watchExit(container: Docker.Container, running: (pid: number) => Promise<boolean>, pid: number, done: () => boolean): Promise<Exit> {
  return new Promise((resolve) => {
    const poll = async () => {
      if (done()) return;
      if (pid > 0 && (await running(pid))) return void setTimeout(poll, 250).unref();
      try {
        const info = await container.inspect();
        if (!info.State.Running && !done()) return resolve({ code: info.State.ExitCode ?? null, signal: null });
      } catch {
        if (!done()) return resolve({ code: null, signal: 'container vanished' });
      }
      setTimeout(poll, 1000).unref();
    };
    setTimeout(poll, 200).unref();
  });
}

/** How long another host may leave the reader's liveness question unanswered before it counts as lost. */
const LOST_AFTER_MS = 6000;

/** watchExit for a container on another host: its reader answers whether the process runs; a host
 * whose reader stops answering (a link cut, a dead engine or host) ends the watch as lost, naming it. */
function watchRemote(container: Docker.Container, reader: RemoteProcReader, pid: number, done: () => boolean): Promise<Exit> {
  return new Promise((resolve) => {
    let silentSince: number | null = null;
    const running = async (p: number): Promise<boolean> => {
      const answer = await Promise.race([reader.alive(p).catch(() => null), new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
      if (typeof answer === 'boolean') {
        silentSince = null;
        return answer;
      }
      silentSince ??= Date.now();
      if (Date.now() - silentSince >= LOST_AFTER_MS && !done()) {
        resolve({ code: null, signal: null, lost: `${reader.hostName} stopped answering: its reader gave no answer for ${LOST_AFTER_MS / 1000} s (a cut link, or a dead engine or host)` });
        return false;
      }
      return true;
    };
    void watchExit(container, running, pid, done).then((exit) => {
      if (silentSince === null) resolve(exit);
    });
  });
}

/**
 * The open-files limit of a container's processes, read inside it through the engine (an exec, so a
 * remote engine works too; the host's /proc may not show the container at all): the first of
 * CONTAINER_READS that the image can run. Null, with why in the debug log (NODE_DEBUG=bench), when
 * none can: no guess.
 */
export async function containerOpenFilesLimit(docker: Docker, container: Docker.Container, log: (line: string) => void = debug): Promise<OpenFilesLimit | null> {
  const failures: string[] = [];
  for (const read of CONTAINER_READS) {
    try {
      // Output decides, not the exit code: the shell loop ends non-zero when its last process exited meanwhile.
      const r = await execIn(docker, container, read.cmd);
      const found = smallestSoftNofile(read.texts(r.stdout));
      if (found) return { ...found, source: read.source(found.processes) };
      failures.push(`\`${read.cmd[0]}\` exited with ${r.exitCode ?? 'no code'}${r.stderr.trim() ? ` (${r.stderr.trim().split('\n')[0]})` : ''} and printed no limits`);
    } catch (error) {
      failures.push(`\`${read.cmd[0]}\` could not run: ${(error as Error).message}`);
    }
  }
  log(`open-files limit of container ${container.id.slice(0, 12)} not read: ${failures.join('; ')}`);
  return null;
}

/** Docker multiplexes stdout/stderr in 8-byte-framed chunks when there is no TTY. */
export function demuxBuffer(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= raw.length && (raw[i] === 1 || raw[i] === 2) && raw[i + 1] === 0) {
    const size = raw.readUInt32BE(i + 4);
    parts.push(raw.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return i === 0 ? raw.toString('utf8') : Buffer.concat(parts).toString('utf8');
}
