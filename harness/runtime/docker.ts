// The docker runtime: each target is built into an image (through dockerode, against Docker or
// Podman) and run as a container with host networking, its CPUs (cpuset) and a memory limit. The
// container's lifecycle (labels, reaper, exit watch, stats, stop and removal) is docker/container.ts;
// this file builds images and says what a target's or a service's container is and when it is ready.
import fs from 'node:fs';
import path from 'node:path';
import type Docker from 'dockerode';
import { ensureBase, pinnedIn, pythonBaseOffers, type BaseSpec, type ResolvedBase } from '../docker/bases.ts';
import { buildImage, imageExists } from '../docker/build.ts';
import { compressedSizes } from '../docker/compressed-size.ts';
import { ENGINE_FAILED_FIX, runToEnd, startContainer } from '../docker/container.ts';
import { contextHash, packContext } from '../docker/context.ts';
import { findEngine, requireEngine, type Engine } from '../docker/engine.ts';
import { labels, LABEL_COMMIT, LABEL_CONTEXT, LABEL_TARGET, LABEL_VERSION } from '../docker/labels.ts';
import { splitStart } from '../docker/start-split.ts';
import { gitHead } from '../env/environment.ts';
import { UserError } from '../errors.ts';
import { declaredEnv, PROJECT_ROOT } from '../targets.ts';
import type { ImageInfo, RunningService, RunningTarget, Runtime, RuntimeCapabilities, ServiceDeclaration, StartOptions, Target, PythonOffer } from '../types.ts';
import { dockerRequirements } from './docker-requirements.ts';
import type { RuntimeModule, RuntimeOptions } from './module.ts';
import { parseLimit } from './open-files.ts';
import { freePort } from './ports.ts';
import { checkTrue, httpOk } from './readiness.ts';
import { StartedSet } from './started.ts';
import { parseTargetRef } from '../versions/refs.ts';
import { planHosts, type HostPlan, type RunHost } from '../hosts/plan.ts';
import { RemoteHosts } from '../hosts/remote.ts';

const HOST = '127.0.0.1';
/** Where a server listens when another host must reach it (host networking: the host's every address). */
const ANY = '0.0.0.0';

/** A version as an image tag allows it ([A-Za-z0-9_.-], 128 at most with the hash). */
export const imageTagPart = (version: string): string => version.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 80);

export interface DockerRuntimeOptions extends RuntimeOptions {
  /** The hosts of the run and what reaches them; absent: everything on `engine`'s machine, as one host. */
  remote?: RemoteHosts;
}

/** Containers on the host's kernel: the host's /proc shows their processes (PSS of the tree, when the
 * engine is rootful or ours), and the engine's StartedAt splits its share of a start from the app's. */
const CAN: RuntimeCapabilities = { unit: 'container', images: true, startupSplit: true, processTree: true, hosts: true };

interface Built {
  tag: string;
  base: ResolvedBase;
}

export class DockerRuntime implements Runtime {
  readonly name = 'docker';
  readonly can = CAN;
  private readonly built = new Map<string, Built>();
  private readonly started = new StartedSet();
  /** The limits besides nofile that the openFiles option needs on this engine (see ulimits()). */
  private ulimitsFound: Promise<NonNullable<Docker.HostConfig['Ulimits']>> | undefined;

  constructor(
    readonly engine: Engine,
    private readonly options: DockerRuntimeOptions = {},
  ) {}

  private docker(): Docker {
    return this.engine.docker;
  }

  private get hosts(): HostPlan | undefined {
    return this.options.remote?.plan;
  }

  /** What a role's containers need on `host`: its engine, the image there, a reader of its processes
   * when it is another machine, a free port in its network, and where it is reached. */
  private async placeOn(host: RunHost | undefined, tag: string, log: (line: string) => void) {
    const remote = this.options.remote;
    if (!host || !remote) return { engine: this.engine, port: await freePort(HOST), at: HOST, bind: HOST, reader: undefined };
    await remote.ship(host, tag, log);
    const reader = host.remote ? await remote.reader(host) : undefined;
    const port = reader ? await reader.freePort() : await freePort(ANY);
    return { engine: host.engine, port, at: host.ip, bind: this.hosts!.spread ? ANY : HOST, reader };
  }

  private logFile(name: string): string | undefined {
    return this.options.logDir ? `${this.options.logDir}/${name}.log` : undefined;
  }

  private dockerDecl(target: Target) {
    const d = target.decl.docker;
    if (!d) throw new UserError(`Target "${target.decl.name}" has no docker section in its target.json.`, 'Add one (see targets/CONTRACT.md), or run it with --runtime local.');
    return d;
  }

  /** Builds (or finds, by the hash of its context) the image of a target or a service. A version's
   * image is tagged by it (localhost/bench/node:25-<hash>), so versions never share one. */
  private async build(name: string, dir: string, dockerfileRel: string, base: BaseSpec, what: string, log: (line: string) => void, version?: string): Promise<Built> {
    const resolved = await ensureBase(this.engine, base, log, { preferLocal: this.options.preferLocalBases });
    const baseId = (await this.docker().getImage(resolved.ref).inspect()).Id;
    const dockerfile = path.join(PROJECT_ROOT, dockerfileRel);
    const hash = contextHash(dir, dockerfile, baseId);
    const tag = `localhost/bench/${parseTargetRef(name).family}:${version ? `${imageTagPart(version)}-` : ''}${hash}`;
    if (!(await imageExists(this.engine, tag))) {
      log(`${name}: building ${tag} on ${resolved.ref} (${resolved.origin} base)`);
      await buildImage(
        this.engine,
        {
          context: packContext(dir, dockerfile),
          tag,
          buildargs: { BASE: resolved.ref },
          labels: labels('target', { [LABEL_TARGET]: parseTargetRef(name).family, ...(version && { [LABEL_VERSION]: version }), [LABEL_COMMIT]: this.options.gitCommit ?? 'unknown', [LABEL_CONTEXT]: hash }),
          what,
        },
        (line) => log(`${name}: ${line}`),
      );
    }
    return { tag, base: resolved };
  }

  async prepare(target: Target, log: (line: string) => void): Promise<void> {
    const d = this.dockerDecl(target);
    const name = target.decl.name;
    // The base follows the version: the Node.js or Deno its package.json pins, the Python range it needs.
    const base: BaseSpec = d.base === 'python' ? { key: 'python', python: target.version?.python } : { key: d.base, version: pinnedIn(target.dir, d.base) };
    const version = target.version && (target.version.kind === 'revision' ? `git-${target.version.commit!.slice(0, 12)}` : target.version.key);
    const built = await this.build(name, target.dir, d.dockerfile, base, `the image of target "${name}"`, log, version);
    // Built here, run there: the image goes to the targets' host before any trial.
    if (this.hosts) await this.options.remote!.ship(this.hosts.target, built.tag, log);
    this.built.set(name, built);
  }

  private builtFor(target: Target): Built {
    const built = this.built.get(target.decl.name);
    if (!built) throw new Error(`target "${target.decl.name}" was not prepared`);
    return built;
  }

  async pythons(): Promise<PythonOffer[]> {
    return pythonBaseOffers();
  }

  async versions(target: Target): Promise<Record<string, string>> {
    const d = this.dockerDecl(target);
    const { tag } = this.builtFor(target);
    try {
      const text = await runToEnd(this.engine, { image: tag, label: target.decl.name, cmd: d.versions });
      return Object.fromEntries(Object.entries(JSON.parse(text.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    } catch (error) {
      // An HTTP status means the engine refused to run the container; otherwise the command's output was wrong.
      const engineFailed = typeof (error as { statusCode?: unknown }).statusCode === 'number';
      throw new UserError(
        `Could not read the versions of target "${target.decl.name}" in its image: ${(error as Error).message}.`,
        engineFailed ? ENGINE_FAILED_FIX : 'Check docker.versions in its target.json.',
      );
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

  builtImage(target: Target): { tag: string; base: string; engine: Engine } {
    if (this.hosts) throw new UserError('The deploy scenario runs on this machine only: its registry and pulling host are here, while this run places its roles on other hosts.', 'Run deploy without --target-host, --service-host and --loader-host.');
    const { tag, base } = this.builtFor(target);
    return { tag, base: base.ref, engine: this.engine };
  }

  async start(target: Target, options: StartOptions): Promise<RunningTarget> {
    const name = target.decl.name;
    const { tag } = this.builtFor(target);
    const place = await this.placeOn(this.hosts?.target, tag, () => {});
    const ulimits = this.options.openFiles === undefined ? undefined : await this.ulimits(place.engine, tag, this.options.openFiles);
    const port = place.port;
    const workers = options.cpus.length;
    // Wall clock beside the monotonic one, at the same instant: the engine's StartedAt is wall-clock.
    const createdAtMs = Date.now();
    const startedAt = performance.now();
    const container = await startContainer(
      place.engine,
      {
        image: tag,
        label: name,
        env: { ...options.env, ...declaredEnv(target), HOST: place.bind, PORT: String(port), WORKERS: String(workers), ...(place.at !== HOST && { TARGET_ADDRESS: place.at }) },
        cpus: options.cpus,
        memoryBytes: this.options.memoryBytes ?? 2 * 1024 ** 3,
        ulimits,
      },
      { what: `target "${name}"`, logFile: this.logFile(name), ...(place.reader && { reader: place.reader }) },
    );
    const url = `http://${place.at}:${port}`;
    await container.waitReady(
      httpOk(url, { timeoutMs: options.readyTimeoutMs, intervalMs: options.pollIntervalMs ?? 25, path: options.readyPath }),
      `Container of target "${name}"`,
      `Read its log lines below; try it by hand with \`npm run bench -- serve ${name} --runtime docker\`.`,
    );
    const readyMs = performance.now() - startedAt;
    // The engine's share ends where it says it started the container's process; no split if it gave no usable time.
    // Another host's engine says StartedAt on its own clock: the create time is put on that clock.
    const split = splitStart({ createdAtMs: createdAtMs + (place.reader?.clockOffsetMs ?? 0), startedAt: container.startedAt, readyMs });
    const stats = container.stats({ pss: true });
    return this.started.track<RunningTarget>({
      target,
      url,
      workers,
      cpus: options.cpus,
      readyMs,
      ...(split && { startup: split }),
      stats: stats.read,
      memoryLabel: stats.label,
      statsIntervalMs: 250,
      logs: (n: number) => container.logTail(n),
      exited: container.exited,
      stop: container.stop,
      openFilesLimit: container.openFilesLimit,
    });
  }

  /**
   * HostConfig.Ulimits for a container of `image` whose open-files limit is `openFiles` (soft = hard),
   * found once per runtime by a throwaway container. Rootful Podman fills in the other limit it
   * always sets, nproc, at its default of 1048576 as soon as any limit is given, and fails the start
   * ("error setting rlimit type 6") where it lacks CAP_SYS_RESOURCE; such an engine gets nproc as
   * its containers have it without limits, so that only the open-files limit changes.
   */
  private ulimits(engine: Engine, image: string, openFiles: number): Promise<Docker.HostConfig['Ulimits']> {
    const nofile = { Name: 'nofile', Soft: openFiles, Hard: openFiles };
    // `cat /proc/self/limits` in a throwaway container with these ulimits: its output, or the engine's error.
    const limits = (ulimits: Docker.HostConfig['Ulimits']) => runToEnd(engine, { image, label: 'limits-probe', entrypoint: ['cat'], cmd: ['/proc/self/limits'], ulimits });
    this.ulimitsFound ??= (async () => {
      const alone = await limits([nofile]).then(
        () => null,
        (error: Error) => error,
      );
      if (!alone || !/rlimit type 6\b|RLIMIT_NPROC/i.test(alone.message)) return [];
      const nproc = parseLimit(await limits([]).catch(() => ''), 'Max processes');
      if (!nproc) throw new UserError(`The container engine cannot start a container with an open-files limit of ${openFiles}: ${alone.message}.`, 'Run without the openFiles option, or give the engine CAP_SYS_RESOURCE.');
      return [{ Name: 'nproc', Soft: nproc.soft, Hard: nproc.hard }];
    })();
    return this.ulimitsFound.then((others) => [nofile, ...others]);
  }

  async startService(service: ServiceDeclaration, o: { cpus: number[]; readyTimeoutMs: number; log: (line: string) => void }): Promise<RunningService> {
    const d = service.docker;
    if (!d) throw new UserError(`The ${service.name} service cannot run as a container.`, 'Use --runtime local.');
    const { tag, base } = await this.build(`service-${service.name}`, serviceContext(d.dockerfile), d.dockerfile, { key: d.base }, `the image of service ${service.name}`, o.log);
    const place = await this.placeOn(this.hosts?.service, tag, o.log);
    const port = place.port;
    const endpoint = { host: place.at, port };
    const startedAt = new Date().toISOString();
    const label = `service-${service.name}`;
    // Reached from the targets' host and from here: it listens on its host's address and lets in those two only.
    const net = this.hosts?.spread ? { listen: place.at, clients: await this.options.remote!.clientsOf(this.hosts.service) } : undefined;
    const container = await startContainer(
      place.engine,
      { image: tag, label, env: d.env(port, net), cpus: o.cpus },
      { what: `service ${service.name}`, logFile: this.logFile(label), ...(place.reader && { reader: place.reader }) },
    );
    let version: string;
    try {
      await container.waitReady(checkTrue(() => service.ready(endpoint), { timeoutMs: o.readyTimeoutMs, intervalMs: 200 }), `Service ${service.name}`, 'Read its log lines below.');
      await service.init?.(endpoint);
      version = (await service.serverVersion?.(endpoint)) ?? d.version;
    } catch (error) {
      await container.stop();
      throw error;
    }
    return this.started.track<RunningService>({
      service,
      endpoint,
      env: service.env(endpoint),
      info: { name: service.name, mode: 'container', version, cpus: o.cpus, config: net && service.exposedConfig ? service.exposedConfig(net) : service.config, source: `${tag} on ${base.origin} base ${base.ref}`, startedAt },
      logs: (n: number) => container.logTail(n),
      // The cgroup's working set, as before PSS was read for targets: a service's memory is no claim's.
      stats: container.stats({ pss: false }).read,
      exited: container.exited,
      stop: container.stop,
    });
  }

  async shutdown(): Promise<void> {
    await this.started.stopAll();
    await this.options.remote?.stop();
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

export const dockerRuntime: RuntimeModule = {
  name: 'docker',
  description: 'images and containers through Docker or Podman',
  can: CAN,
  // Preferred by auto where an engine answers: images, and the engine's share of startup, are measured only here.
  auto: { rank: 1, available: async () => (await findEngine()) !== null },
  requirements: dockerRequirements,
  pythons: async () => pythonBaseOffers(),
  async create(options) {
    const gitCommit = options.gitCommit ?? (await gitHead(PROJECT_ROOT));
    const specs = options.hosts?.specs ?? {};
    if (!Object.values(specs).some(Boolean)) {
      const engine = await requireEngine();
      return { runtime: new DockerRuntime(engine, { ...options, gitCommit }), engine };
    }
    // Images are built here when this machine has an engine (the other hosts may reach no registry
    // or mirror) and shipped to each host; else on the targets' host.
    const local = await findEngine();
    const plan = await planHosts(specs, { ...options.hosts!.connect, local: requireEngine });
    const build = local ?? plan.target.engine;
    const hosts = new RemoteHosts(plan, build, options.hosts!.connect, options.hosts!.log);
    return { runtime: new DockerRuntime(build, { ...options, gitCommit, remote: hosts }), engine: build, hosts };
  },
};
