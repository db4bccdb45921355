// Runtimes, targets and services: what a runtime prepares, starts and samples (see harness/types.ts).
import type { Engine } from '../docker/engine.ts';
import type { ImageInfo, ServiceInfo, TargetDeclaration } from '../schema.ts';

export type ProfileName = 'quick' | 'full';
/** A registered runtime's name (harness/runtime/registry.ts lists them; 'local' and 'docker' today). */
export type RuntimeName = string;

/**
 * What a runtime can do. Scenarios and reports ask these, never a runtime's name; a new runtime is a
 * module that declares them plus one registration (harness/runtime/registry.ts).
 */
export interface RuntimeCapabilities {
  /** What one started target is, in words for reports: an OS process tree or a container. */
  unit: 'process' | 'container';
  /** It builds an image per target (Runtime.image) whose layers and size can be read. */
  images: boolean;
  /** RunningTarget.startup splits readyMs into the engine's share and the application's. */
  startupSplit: boolean;
  /** It reads the target's own process tree (memory as PSS of its processes, the open-files limit of each). */
  processTree: boolean;
  /** It runs targets and services through other hosts' engines (--target-host, --service-host, --loader-host). */
  hosts?: boolean;
}

/** A target declaration together with the folder it lives in. */
export interface Target {
  /** The folder prepared and started: the target's project, or a version's own copy of it. */
  dir: string;
  /** The declaration; decl.name is the name the run uses (`node@25` for a version). */
  decl: TargetDeclaration;
  /** Which version this is, when the target offers versions or a revision was asked for. */
  version?: TargetVersion;
  /** Other names of the same build (see TargetInfo.aliases). */
  aliases?: string[];
  /** Why this run's runtime cannot run it (a Python it does not have), and which runtime can. */
  cannotRun?: string;
}

/** A Python a runtime can run a target on: the host's own, or a base image's. */
export interface PythonOffer {
  /** major.minor, or major.minor.patch where known. */
  version: string;
  /** Where it comes from, in a few words ("the host's python3.11", "local base from Debian trixie"). */
  from: string;
}

/** A version of a target as a run resolved it (results.json keeps it as TargetInfo.version). */
export interface TargetVersion {
  /** An offered release ('25', '5.2') or the git revision as given ('main', 'HEAD~3'). */
  key: string;
  kind: 'offered' | 'revision';
  /** A revision's commit. */
  commit?: string;
  about?: string;
  /** The Python range it needs, where it declares one. */
  python?: string;
  /** True when a bare name runs this version on this run's runtime. */
  isDefault: boolean;
}

/** One reading of a target's resource use (whole process tree or container). */
export interface ResourceSample {
  atMs: number;
  /** The runtime's memory figure (see RunningTarget.memoryLabel): PSS of the process tree (a container's too), or a container's working set where its processes cannot be read. */
  memoryBytes: number;
  /** RSS summed over the process tree (shared pages counted once per process), or the container's usage with page cache; null where unknown. */
  rssBytes: number | null;
  /** Cumulative CPU time of the tree or container, in seconds. */
  cpuSeconds: number;
}

export interface StartOptions {
  /** CPUs the target is pinned to; workers = cpus.length. */
  cpus: number[];
  readyTimeoutMs: number;
  /** What answers 200 when the target is ready (default /health; the startup scenario uses /json). */
  readyPath?: string;
  /** Readiness poll interval (default 25 ms; the startup scenario polls every 5 ms). */
  pollIntervalMs?: number;
  /** Extra environment, e.g. the services' DATABASE_URL and REDIS_URL. */
  env?: Record<string, string>;
}

/** A started target. `stop()` is idempotent and leaves no process or container behind. */
export interface RunningTarget {
  target: Target;
  url: string;
  workers: number;
  cpus: number[];
  /** Time from spawn (local) or container create (docker) to the first 200 from readyPath. */
  readyMs: number;
  /**
   * readyMs decomposed. engineMs: the container engine's share, from the create call to the
   * container's StartedAt as the engine reports it; null for a local process (no engine).
   * appMs: the application's own start, to the first 200 from StartedAt (docker) or from the spawn
   * (local). Absent when the engine gave no usable StartedAt (then only readyMs is known).
   */
  startup?: { engineMs: number | null; appMs: number };
  stats(): Promise<ResourceSample | null>;
  /** Exactly what ResourceSample.memoryBytes is, for reports. */
  memoryLabel: string;
  /** How often stats() may be called during a trial without disturbing it. */
  statsIntervalMs: number;
  logs(tail: number): Promise<string[]>;
  /** Resolves if the target exits on its own (a crash during the run). */
  exited: Promise<{ code: number | null; signal: string | null; lost?: string }>;
  stop(): Promise<void>;
  /**
   * How many descriptors each of the target's processes may open, read from those processes: a
   * WebSocket ramp that fails near it met this limit, not the framework's. Null when it cannot be
   * read (said why in a debug log, NODE_DEBUG=bench). Not during a measurement: the docker runtime
   * asks the engine for an exec in the container.
   */
  openFilesLimit?(): Promise<OpenFilesLimit | null>;
}

/** The open-files limit of a running target: the smallest soft "Max open files" over its own processes. */
export interface OpenFilesLimit {
  limit: number;
  /** How many processes were read. */
  processes: number;
  /** Where it was read, in words, e.g. "/proc/<pid>/limits of the target's 2 processes". */
  source: string;
}

/** A service reached from other hosts: the address it listens on, and the client IPs it lets in. */
export interface ServiceNetwork {
  listen: string;
  clients: string[];
}

/** Where a started service listens. */
export interface ServiceEndpoint {
  host: string;
  port: number;
}

/**
 * A service the targets need (PostgreSQL, Redis), declared once like a testcontainers module: how to
 * run it as a local process and as a container, when it is ready, and what environment it hands to
 * the targets. The runtime starts it; the executor starts it once per run and stops it on every path.
 */
export interface ServiceDeclaration {
  name: string;
  description: string;
  /** Every setting changed from the service's defaults, with the reason (recorded in results.json). */
  config: ServiceInfo['config'];
  /** The configuration as run with `net` (results.json records it instead of `config`). */
  exposedConfig?(net: ServiceNetwork): ServiceInfo['config'];
  /** Resolves true once the service answers at the endpoint (polled until the timeout). */
  ready(endpoint: ServiceEndpoint): Promise<boolean>;
  /** Run once after it is ready: schema, seed data. */
  init?(endpoint: ServiceEndpoint): Promise<void>;
  /** The version the running server reports (recorded in results.json instead of the declared one). */
  serverVersion?(endpoint: ServiceEndpoint): Promise<string>;
  /** Used by the scenario itself, not by the targets (the deploy scenario's registry): `serve` and
   * `verify`, which start a target with what it needs, leave it out. */
  scenarioOnly?: boolean;
  /** The environment handed to every target, e.g. { DATABASE_URL }. */
  env(endpoint: ServiceEndpoint): Record<string, string>;
  /** As a local process: the command for a free port and a fresh data folder (removed at stop, and by the reaper). */
  local?: {
    command(ctx: { host: string; port: number; dataDir: string }): Promise<{ argv: string[]; env?: Record<string, string>; version: string; source: string }>;
  };
  /** As a container: built from a Dockerfile (context: its folder) on one of the harness's bases. */
  docker?: {
    dockerfile: string;
    base: 'python' | 'node' | 'deno' | 'debian';
    /** Environment of the container for a port; the container runs with host networking. With
     * `net`, the targets run on another host: listen on `net.listen` and let in `net.clients`. */
    env(port: number, net?: ServiceNetwork): Record<string, string>;
    version: string;
  };
}

export interface RunningService {
  service: ServiceDeclaration;
  endpoint: ServiceEndpoint;
  env: Record<string, string>;
  info: ServiceInfo;
  logs(tail: number): Promise<string[]>;
  /** Resource use of the service (process tree or container), like RunningTarget.stats(). */
  stats(): Promise<ResourceSample | null>;
  /** Resolves if the service exits on its own (a crash during the run); never after stop(). */
  exited: Promise<{ code: number | null; signal: string | null; lost?: string }>;
  /** Idempotent; leaves no process, container or data folder behind. */
  stop(): Promise<void>;
}

/** What a scenario's contract checks may use besides the target: the run's services (the
 * database checks count queries in PostgreSQL's own statistics). */
export interface VerifyContext {
  services: RunningService[];
}

export interface Runtime {
  name: RuntimeName;
  /** What it can do (see RuntimeCapabilities). */
  can: RuntimeCapabilities;
  /** Builds what the target needs (venv, npm install, image). Idempotent and cached. */
  prepare(target: Target, log: (line: string) => void): Promise<void>;
  start(target: Target, options: StartOptions): Promise<RunningTarget>;
  /** Starts a service pinned to `cpus`; a failed start cleans up and throws with its last log lines. */
  startService(service: ServiceDeclaration, options: { cpus: number[]; readyTimeoutMs: number; log: (line: string) => void }): Promise<RunningService>;
  /** {component: version} for every runtime and framework of the target. */
  versions(target: Target): Promise<Record<string, string>>;
  /** The Pythons it can run Python targets on, newest first (a target's version may need a range). */
  pythons(): Promise<PythonOffer[]>;
  /** The target's image, for runtimes that build one (docker). */
  image?(target: Target): Promise<ImageInfo>;
  /** The target's built image and its base image, with the engine on this machine that holds both
   * (the deploy scenario pushes them to its registry); throws a UserError where they are not here. */
  builtImage?(target: Target): { tag: string; base: string; engine: Engine };
  /** Stops everything this runtime started; safe to call more than once. */
  shutdown(): Promise<void>;
}
