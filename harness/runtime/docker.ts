// The docker runtime: each target is built into an image (through dockerode, against Docker or
// Podman) and run as a container with host networking, its CPUs (cpuset) and a memory limit.
// Every container is labelled, registered with the reaper, and removed when it stops.
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureBase, type ResolvedBase } from '../docker/bases.ts';
import { buildImage, imageExists } from '../docker/build.ts';
import { contextHash, packContext } from '../docker/context.ts';
import type { Engine } from '../docker/engine.ts';
import { labels, LABEL_COMMIT, LABEL_CONTEXT, LABEL_TARGET } from '../docker/labels.ts';
import { UserError } from '../errors.ts';
import { PROJECT_ROOT } from '../targets.ts';
import type { ImageInfo, ResourceSample, RunningTarget, Runtime, StartOptions, Target } from '../types.ts';
import { LogBuffer } from './log-buffer.ts';
import { freePort } from './ports.ts';
import { waitForHealth } from './readiness.ts';
import { registerContainer, unregisterContainer } from './reaper.ts';

const HOST = '127.0.0.1';
const LOG_TAIL = 30;
const ENGINE_FAILED_FIX =
  'The container engine could not run it: check it with `npm run bench -- doctor` and `podman run --rm <image> true` (or docker). With Podman, `bash docker/setup-podman.sh` restarts an API service it finds broken (one whose working directory was deleted fails every start with "write child: broken pipe").';

export interface DockerRuntimeOptions {
  logDir?: string;
  /** Memory limit of every container (the same for all targets). */
  memoryBytes?: number;
  gitCommit?: string | null;
  /** Build local bases even where official ones could be pulled. */
  preferLocalBases?: boolean;
}

interface Built {
  tag: string;
  base: ResolvedBase;
}

/** Resident memory as `docker stats` shows it: usage without the reclaimable page cache. */
export function containerMemoryBytes(stats: Docker.ContainerStats): number | null {
  const m = stats.memory_stats as (Docker.ContainerStats['memory_stats'] & { stats?: Record<string, number> }) | undefined;
  if (!m || typeof m.usage !== 'number') return null;
  const s = m.stats ?? {};
  const cache = s.inactive_file ?? s.total_inactive_file ?? s.cache ?? 0;
  return Math.max(0, m.usage - cache);
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker' as const;
  readonly memorySource = 'container' as const;
  private readonly built = new Map<string, Built>();
  private readonly running = new Set<RunningTarget>();

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

  async prepare(target: Target, log: (line: string) => void): Promise<void> {
    const d = this.dockerDecl(target);
    const name = target.decl.name;
    const base = await ensureBase(this.engine, d.base, log, { preferLocal: this.options.preferLocalBases });
    const baseId = (await this.docker().getImage(base.ref).inspect()).Id;
    const dockerfile = path.join(PROJECT_ROOT, d.dockerfile);
    const hash = contextHash(target.dir, dockerfile, baseId);
    const tag = `localhost/bench/${name}:${hash}`;
    if (!(await imageExists(this.engine, tag))) {
      log(`${name}: building ${tag} on ${base.ref} (${base.origin} base)`);
      await buildImage(
        this.engine,
        {
          context: packContext(target.dir, dockerfile),
          tag,
          buildargs: { BASE: base.ref },
          labels: labels('target', { [LABEL_TARGET]: name, [LABEL_COMMIT]: this.options.gitCommit ?? 'unknown', [LABEL_CONTEXT]: hash }),
          what: `the image of target "${name}"`,
        },
        (line) => log(`${name}: ${line}`),
      );
    }
    this.built.set(name, { tag, base });
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
    return {
      tag,
      id: image.Id,
      imageBytes: image.Size,
      baseBytes: baseImage.Size,
      appBytes: Math.max(0, image.Size - baseImage.Size),
      base: { ref: base.ref, origin: base.origin, bytes: baseImage.Size },
    };
  }

  async start(target: Target, options: StartOptions): Promise<RunningTarget> {
    const name = target.decl.name;
    const { tag } = this.builtFor(target);
    const port = await freePort(HOST);
    const workers = options.cpus.length;
    const logs = new LogBuffer(500, this.options.logDir ? `${this.options.logDir}/${name}.log` : undefined);
    const startedAt = performance.now();
    const container = await this.docker().createContainer({
      Image: tag,
      Env: [`HOST=${HOST}`, `PORT=${port}`, `WORKERS=${workers}`],
      Labels: labels('container', { [LABEL_TARGET]: name }),
      HostConfig: {
        NetworkMode: 'host',
        CpusetCpus: options.cpus.join(','),
        Memory: this.options.memoryBytes ?? 2 * 1024 ** 3,
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
    const exited = watchExit(container, () => stopped);
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
    running = {
      target,
      url,
      workers,
      cpus: options.cpus,
      readyMs,
      stats: () => this.sample(container),
      // Each stats call costs the engine CPU time; sampling once a second keeps that small.
      statsIntervalMs: 1000,
      logs: (n) => this.logTail(container, n),
      exited,
      stop,
    };
    this.running.add(running);
    return running;
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

  private async sample(container: Docker.Container): Promise<ResourceSample | null> {
    try {
      const stats = (await container.stats({ stream: false, 'one-shot': true } as never)) as unknown as Docker.ContainerStats;
      const rss = containerMemoryBytes(stats);
      const cpuNs = stats.cpu_stats?.cpu_usage?.total_usage;
      if (rss === null || typeof cpuNs !== 'number') return null;
      return { atMs: performance.now(), rssBytes: rss, cpuSeconds: cpuNs / 1e9 };
    } catch {
      return null;
    }
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.running].map((r) => r.stop()));
  }
}

/** Resolves when the container stops running. Polls inspect once a second: Podman 4's `wait`
 * endpoint keeps its API service busy on a CPU for as long as it waits, which would steal CPU from
 * the very measurement it watches. Never resolves once `done()` says the harness stopped it. */
function watchExit(container: Docker.Container, done: () => boolean): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => {
    const poll = async () => {
      if (done()) return;
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
