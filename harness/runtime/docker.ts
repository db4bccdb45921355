// The docker runtime: each target is built into an image (through dockerode, against Docker or
// Podman) and run as a container with host networking, its CPUs (cpuset) and a memory limit.
// Every container is labelled, registered with the reaper, and removed when it stops.
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureBase, type BaseKey, type ResolvedBase } from '../docker/bases.ts';
import { buildImage, imageExists } from '../docker/build.ts';
import { compressedSizes } from '../docker/compressed-size.ts';
import { splitStart } from '../docker/start-split.ts';
import { contextHash, packContext } from '../docker/context.ts';
import { execIn, type Engine } from '../docker/engine.ts';
import { labels, LABEL_COMMIT, LABEL_CONTEXT, LABEL_TARGET } from '../docker/labels.ts';
import { UserError } from '../errors.ts';
import { declaredEnv, PROJECT_ROOT } from '../targets.ts';
import fs from 'node:fs';
import { debuglog } from 'node:util';
import type { ImageInfo, OpenFilesLimit, ResourceSample, RunningService, RunningTarget, Runtime, ServiceDeclaration, StartOptions, Target } from '../types.ts';
import { cgroupOfPid, describeCgroupMemory, readCgroupCpuSeconds, readCgroupMemory, type CgroupPaths } from './cgroup.ts';
import { LogBuffer } from './log-buffer.ts';
import { CONTAINER_READS, parseLimit, smallestSoftNofile } from './open-files.ts';
import { readPss, sampleTree } from './process-tree.ts';
import { freePort } from './ports.ts';
import { waitForHealth, waitUntil } from './readiness.ts';
import { registerContainer, unregisterContainer } from './reaper.ts';

const HOST = '127.0.0.1';
const LOG_TAIL = 30;
const debug = debuglog('bench');
const ENGINE_FAILED_FIX =
  'The container engine could not run it: check it with `npm run bench -- doctor` and `podman run --rm <image> true` (or docker). With Podman, `bash docker/setup-podman.sh` restarts an API service it finds broken (one whose working directory was deleted fails every start with "write child: broken pipe").';

export interface DockerRuntimeOptions {
  logDir?: string;
  /** Memory limit of every container (the same for all targets). */
  memoryBytes?: number;
  gitCommit?: string | null;
  /** Build local bases even where official ones could be pulled. */
  preferLocalBases?: boolean;
  /** Open-files limit (soft = hard) of every target's container, for tests and to lower it; absent: what the engine gives. */
  openFiles?: number;
}

interface Built {
  tag: string;
  base: ResolvedBase;
}

/** On cgroup v1 a page is charged to the cgroup that first touched it: image files already in the page cache stay charged elsewhere. */
const V1_CHARGE_NOTE = '; on cgroup v1, file pages first read by another cgroup (shared binaries and libraries of a cached image) are not counted';

/** One reading of a container from its cgroup files: no call to the engine's API. */
export function sampleCgroup(paths: CgroupPaths): ResourceSample | null {
  const memory = readCgroupMemory(paths);
  const cpuSeconds = readCgroupCpuSeconds(paths);
  if (!memory || cpuSeconds === null) return null;
  return { atMs: performance.now(), memoryBytes: memory.workingSetBytes, rssBytes: memory.usageBytes, cpuSeconds };
}

/**
 * A container's memory as the local runtime reads a process tree's: PSS summed over the container's
 * processes (the tree under its main process, seen from the host's /proc), so both runtimes report
 * the same figure and the claim compares like with like. CPU stays the cgroup's. Null when a whole
 * PSS reading could not be had (a process exited meanwhile), as locally.
 */
export function sampleContainerPss(pid: number, paths: CgroupPaths): ResourceSample | null {
  const tree = sampleTree(pid);
  const cpuSeconds = readCgroupCpuSeconds(paths);
  if (!tree || cpuSeconds === null) return null;
  return { ...tree, cpuSeconds };
}

export const CONTAINER_PSS_LABEL =
  "PSS summed over the container's process tree (read from the host's /proc/PID/smaps_rollup: each shared page divided among the processes that map it, on the host as a whole; the same figure as the local runtime's)";

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  private readonly built = new Map<string, Built>();
  private readonly running = new Set<{ stop(): Promise<void> }>();
  /** The limits besides nofile that the openFiles option needs on this engine (see ulimits()). */
  private ulimitsFound: Promise<NonNullable<Docker.HostConfig['Ulimits']>> | undefined;

  constructor(
    readonly engine: Engine,
    private readonly options: DockerRuntimeOptions = {},
  ) {}

  private docker(): Docker {
    return this.engine.docker;
  }

  private dockerDecl(target: Target) {
    const d = target.decl.docker;
    if (!d) throw new UserError(`Target "${target.decl.name}" has no docker section in its target.json.`, 'Add one (see targets/CONTRACT.md), or run it with --runtime local.');
    return d;
  }

  /** Builds (or finds, by the hash of its context) the image of a target or a service. */
  private async build(name: string, dir: string, dockerfileRel: string, baseName: BaseKey, what: string, log: (line: string) => void): Promise<Built> {
    const base = await ensureBase(this.engine, baseName, log, { preferLocal: this.options.preferLocalBases });
    const baseId = (await this.docker().getImage(base.ref).inspect()).Id;
    const dockerfile = path.join(PROJECT_ROOT, dockerfileRel);
    const hash = contextHash(dir, dockerfile, baseId);
    const tag = `localhost/bench/${name}:${hash}`;
    if (!(await imageExists(this.engine, tag))) {
      log(`${name}: building ${tag} on ${base.ref} (${base.origin} base)`);
      await buildImage(
        this.engine,
        {
          context: packContext(dir, dockerfile),
          tag,
          buildargs: { BASE: base.ref },
          labels: labels('target', { [LABEL_TARGET]: name, [LABEL_COMMIT]: this.options.gitCommit ?? 'unknown', [LABEL_CONTEXT]: hash }),
          what,
        },
        (line) => log(`${name}: ${line}`),
      );
    }
    return { tag, base };
  }

  async prepare(target: Target, log: (line: string) => void): Promise<void> {
    const d = this.dockerDecl(target);
    const name = target.decl.name;
    this.built.set(name, await this.build(name, target.dir, d.dockerfile, d.base, `the image of target "${name}"`, log));
  }

  private builtFor(target: Target): Built {
    const built = this.built.get(target.decl.name);
    if (!built) throw new Error(`target "${target.decl.name}" was not prepared`);
    return built;
  }

  async versions(target: Target): Promise<Record<string, string>> {
    const d = this.dockerDecl(target);
    const { tag } = this.builtFor(target);
    const container = await this.docker().createContainer({
      Image: tag,
      Cmd: d.versions,
      Labels: labels('container', { [LABEL_TARGET]: target.decl.name }),
      HostConfig: { NetworkMode: 'host' },
    });
    registerContainer(this.engine.socket, container.id);
    try {
      await container.start();
      await container.wait();
      const raw = (await container.logs({ stdout: true, stderr: false })) as unknown as Buffer;
      const text = demuxBuffer(raw);
      return Object.fromEntries(Object.entries(JSON.parse(text.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    } catch (error) {
      // An HTTP status means the engine refused to run the container; otherwise the command's output was wrong.
      const engineFailed = typeof (error as { statusCode?: unknown }).statusCode === 'number';
      throw new UserError(
        `Could not read the versions of target "${target.decl.name}" in its image: ${(error as Error).message}.`,
        engineFailed ? ENGINE_FAILED_FIX : 'Check docker.versions in its target.json.',
      );
    } finally {
      await container.remove({ force: true }).catch(() => {});
      unregisterContainer(this.engine.socket, container.id);
    }
  }

  async image(target: Target): Promise<ImageInfo> {
    const { tag, base } = this.builtFor(target);
    const image = await this.docker().getImage(tag).inspect();
    const baseImage = await this.docker().getImage(base.ref).inspect();
    const compressed = await compressedSizes(this.docker(), tag, base.ref, baseImage.RootFS.Layers ?? []);
    return {
      tag,
      id: image.Id,
      imageBytes: image.Size,
      baseBytes: baseImage.Size,
      appBytes: Math.max(0, image.Size - baseImage.Size),
      compressedBytes: compressed.compressedBytes,
      baseCompressedBytes: compressed.baseCompressedBytes,
      appCompressedBytes: compressed.appCompressedBytes,
      compressedMethod: compressed.method,
      base: { ref: base.ref, origin: base.origin, bytes: baseImage.Size, compressedBytes: compressed.baseOwnCompressedBytes },
    };
  }

  async start(target: Target, options: StartOptions): Promise<RunningTarget> {
    const name = target.decl.name;
    const { tag } = this.builtFor(target);
    const ulimits = this.options.openFiles === undefined ? undefined : await this.ulimits(tag, this.options.openFiles);
    const port = await freePort(HOST);
    const workers = options.cpus.length;
    const logs = new LogBuffer(500, this.options.logDir ? `${this.options.logDir}/${name}.log` : undefined);
    // Wall clock beside the monotonic one, at the same instant: the engine's StartedAt is wall-clock.
    const createdAtMs = Date.now();
    const startedAt = performance.now();
    const container = await this.docker().createContainer({
      Image: tag,
      Env: [...Object.entries({ ...options.env, ...declaredEnv(target) }).map(([k, v]) => `${k}=${v}`), `HOST=${HOST}`, `PORT=${port}`, `WORKERS=${workers}`],
      Labels: labels('container', { [LABEL_TARGET]: name }),
      HostConfig: {
        NetworkMode: 'host',
        CpusetCpus: options.cpus.join(','),
        Memory: this.options.memoryBytes ?? 2 * 1024 ** 3,
        ...(ulimits && { Ulimits: ulimits }),
      },
    });
    registerContainer(this.engine.socket, container.id);
    let stopped = false;
    let running: RunningTarget | undefined;
    const stop = async (): Promise<void> => {
      if (stopped) return;
      stopped = true;
      await container.stop({ t: 5 }).catch(() => {});
      for (const line of await this.logTail(container, 10_000)) logs.push(line);
      await container.remove({ force: true }).catch(() => {});
      unregisterContainer(this.engine.socket, container.id);
      logs.close();
      if (running) this.running.delete(running);
    };
    try {
      await container.start();
    } catch (error) {
      await stop();
      throw new UserError(`Container of target "${name}" did not start: ${(error as Error).message}.`, ENGINE_FAILED_FIX);
    }
    // One inspect for the main process: from then on the container is watched and measured from
    // /proc and its cgroup files, with no engine call during a measurement.
    const state = (await container.inspect().catch(() => null))?.State;
    const pid = state?.Pid ?? 0;
    const cgroup = pid > 0 ? cgroupOfPid(pid) : null;
    const exited = watchExit(container, pid, () => stopped);
    const url = `http://${HOST}:${port}`;
    const ready = await waitForHealth(url, { timeoutMs: options.readyTimeoutMs, intervalMs: options.pollIntervalMs ?? 25, exited, path: options.readyPath });
    const readyMs = performance.now() - startedAt;
    if (!ready.ok) {
      const tail = await this.logTail(container);
      await stop();
      const why = ready.exit
        ? `exited during start (exit code ${ready.exit.code})`
        : `was not ready within ${Number((options.readyTimeoutMs / 1000).toFixed(1))} s (GET ${options.readyPath ?? '/health'} never answered 200${ready.lastError ? `; last error: ${ready.lastError}` : ''})`;
      throw new UserError(`Container of target "${name}" ${why}.`, `Read its log lines below; try it by hand with \`npm run bench -- serve ${name} --runtime docker\`.`, tail);
    }
    // The engine's share ends where it says it started the container's process; no split if it gave no usable time.
    const split = splitStart({ createdAtMs, startedAt: state?.StartedAt, readyMs });
    // PSS when the host may read the container's processes (a rootful engine, or ours); otherwise the cgroup's working set, labelled as such.
    const pss = pid > 0 && readPss(pid) !== null;
    running = {
      target,
      url,
      workers,
      cpus: options.cpus,
      readyMs,
      ...(split && { startup: split }),
      stats: async () => (!cgroup ? null : pss ? sampleContainerPss(pid, cgroup) : sampleCgroup(cgroup)),
      memoryLabel: !cgroup
        ? 'not readable: the container cgroup was not found'
        : pss
          ? CONTAINER_PSS_LABEL
          : `${describeCgroupMemory(cgroup.version)}${cgroup.version === 1 ? V1_CHARGE_NOTE : ''} (the container's processes' /proc/PID/smaps_rollup could not be read from the host, as with a rootless engine, so not the local runtime's PSS)`,
      statsIntervalMs: 250,
      logs: (n) => this.logTail(container, n),
      exited,
      stop,
      openFilesLimit: () => containerOpenFilesLimit(this.docker(), container),
    };
    this.running.add(running);
    return running;
  }

  /**
   * HostConfig.Ulimits for a container of `image` whose open-files limit is `openFiles` (soft = hard),
   * found once per runtime by a throwaway container. Rootful Podman fills in the other limit it
   * always sets, nproc, at its default of 1048576 as soon as any limit is given, and fails the start
   * ("error setting rlimit type 6") where it lacks CAP_SYS_RESOURCE; such an engine gets nproc as
   * its containers have it without limits, so that only the open-files limit changes.
   */
  private ulimits(image: string, openFiles: number): Promise<Docker.HostConfig['Ulimits']> {
    const nofile = { Name: 'nofile', Soft: openFiles, Hard: openFiles };
    this.ulimitsFound ??= (async () => {
      const alone = await this.throwaway(image, [nofile]).then(
        () => null,
        (error: Error) => error,
      );
      if (!alone || !/rlimit type 6\b|RLIMIT_NPROC/i.test(alone.message)) return [];
      const nproc = parseLimit(await this.throwaway(image, []).catch(() => ''), 'Max processes');
      if (!nproc) throw new UserError(`The container engine cannot start a container with an open-files limit of ${openFiles}: ${alone.message}.`, 'Run without the openFiles option, or give the engine CAP_SYS_RESOURCE.');
      return [{ Name: 'nproc', Soft: nproc.soft, Hard: nproc.hard }];
    })();
    return this.ulimitsFound.then((others) => [nofile, ...others]);
  }

  /** Runs `cat /proc/self/limits` in a throwaway container of `image` with these ulimits; its output, or the engine's error. */
  private async throwaway(image: string, ulimits: NonNullable<Docker.HostConfig['Ulimits']>): Promise<string> {
    const container = await this.docker().createContainer({
      Image: image,
      Entrypoint: ['cat'],
      Cmd: ['/proc/self/limits'],
      Labels: labels('container', { [LABEL_TARGET]: 'limits-probe' }),
      HostConfig: { NetworkMode: 'host', ...(ulimits.length && { Ulimits: ulimits }) },
    });
    registerContainer(this.engine.socket, container.id);
    try {
      await container.start();
      await container.wait();
      return demuxBuffer((await container.logs({ stdout: true, stderr: false })) as unknown as Buffer);
    } finally {
      await container.remove({ force: true }).catch(() => {});
      unregisterContainer(this.engine.socket, container.id);
    }
  }

  /** The container's last log lines, read from the engine when asked: following the log for the
   * whole run would keep Podman's API service busy on a CPU during every trial. */
  private async logTail(container: Docker.Container, tail = LOG_TAIL): Promise<string[]> {
    try {
      const raw = (await container.logs({ stdout: true, stderr: true, tail })) as unknown as Buffer;
      return demuxBuffer(raw).split('\n').filter(Boolean).slice(-tail);
    } catch {
      return [];
    }
  }

  async startService(service: ServiceDeclaration, o: { cpus: number[]; readyTimeoutMs: number; log: (line: string) => void }): Promise<RunningService> {
    const d = service.docker;
    if (!d) throw new UserError(`The ${service.name} service cannot run as a container.`, 'Use --runtime local.');
    const { tag, base } = await this.build(`service-${service.name}`, serviceContext(d.dockerfile), d.dockerfile, d.base, `the image of service ${service.name}`, o.log);
    const port = await freePort(HOST);
    const endpoint = { host: HOST, port };
    const startedAt = new Date().toISOString();
    const logs = new LogBuffer(500, this.options.logDir ? `${this.options.logDir}/service-${service.name}.log` : undefined);
    const container = await this.docker().createContainer({
      Image: tag,
      Env: Object.entries(d.env(port)).map(([k, v]) => `${k}=${v}`),
      Labels: labels('container', { [LABEL_TARGET]: `service-${service.name}` }),
      HostConfig: { NetworkMode: 'host', CpusetCpus: o.cpus.join(',') },
    });
    registerContainer(this.engine.socket, container.id);
    let stopped = false;
    let pid = 0;
    let version = d.version;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      await container.stop({ t: 5 }).catch(() => {});
      for (const line of await this.logTail(container, 10_000)) logs.push(line);
      await container.remove({ force: true, v: true }).catch(() => {});
      unregisterContainer(this.engine.socket, container.id);
      logs.close();
    };
    try {
      await container.start();
      pid = (await container.inspect()).State.Pid ?? 0;
      const ready = await waitUntil(() => service.ready(endpoint), { timeoutMs: o.readyTimeoutMs, intervalMs: 200, exited: watchExit(container, pid, () => stopped) });
      if (!ready.ok) {
        throw new UserError(`Service ${service.name} ${ready.exit ? `exited during start (exit code ${ready.exit.code})` : `was not ready within ${o.readyTimeoutMs / 1000} s`}.`, 'Read its log lines below.', await this.logTail(container));
      }
      await service.init?.(endpoint);
      version = (await service.serverVersion?.(endpoint)) ?? d.version;
    } catch (error) {
      await stop();
      throw error;
    }
    let cgroup: CgroupPaths | null = null;
    const handle: RunningService = {
      service,
      endpoint,
      env: service.env(endpoint),
      info: { name: service.name, mode: 'container', version, cpus: o.cpus, config: service.config, source: `${tag} on ${base.origin} base ${base.ref}`, startedAt },
      logs: (n) => this.logTail(container, n),
      stats: async () => {
        cgroup ??= pid > 0 ? cgroupOfPid(pid) : null;
        return cgroup ? sampleCgroup(cgroup) : null;
      },
      exited: watchExit(container, pid, () => stopped),
      stop: async () => {
        await stop();
        this.running.delete(handle);
      },
    };
    this.running.add(handle);
    return handle;
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.running].map((r) => r.stop()));
  }
}

/** A service's build context: the folder named like its Dockerfile (docker/postgres/ for
 * docker/postgres.Dockerfile) when there is one, so that its image is rebuilt only when its own
 * files change; else the Dockerfile's folder. */
export function serviceContext(dockerfileRel: string): string {
  const dockerfile = path.join(PROJECT_ROOT, dockerfileRel);
  const own = path.join(path.dirname(dockerfile), path.basename(dockerfile, '.Dockerfile'));
  return own !== dockerfile && fs.existsSync(own) && fs.statSync(own).isDirectory() ? own : path.dirname(dockerfile);
}

/** Resolves when the container stops running. Watches its main process in /proc (no engine call:
 * Podman 4's `wait` endpoint, and frequent inspects, keep its API service busy on a CPU, stealing
 * it from the very measurement it watches); asks the engine once, for the exit code, when the
 * process is gone. Never resolves once `done()` says the harness stopped it. */
function watchExit(container: Docker.Container, pid: number, done: () => boolean): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const poll = async () => {
      if (done()) return;
      if (pid > 0 && fs.existsSync(`/proc/${pid}`)) return void setTimeout(poll, 250).unref();
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
