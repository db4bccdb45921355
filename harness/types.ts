// Types that cross module borders. Data shapes come from the zod schemas in schema.ts; the
// behavioural seams (Runtime, RunningTarget, Scenario, Loader) are declared here.
export type {
  CheckResult,
  Environment,
  Estimate,
  ImageInfo,
  MemoryResult,
  StartupResult,
  LevelSummary,
  LoadShape,
  Measurement,
  MeasurementStatus,
  RunResults,
  TargetDeclaration,
  TargetInfo,
  Trial,
} from './schema.ts';
import type { CheckResult, ImageInfo, LoadShape, Measurement, TargetDeclaration, Trial } from './schema.ts';

export type ProfileName = 'quick' | 'full';
export type RuntimeName = 'local' | 'docker';

/** A target declaration together with the folder it lives in. */
export interface Target {
  dir: string;
  decl: TargetDeclaration;
}

/** One reading of a target's resource use (whole process tree or container). */
export interface ResourceSample {
  atMs: number;
  rssBytes: number;
  /** Cumulative CPU time of the tree, in seconds. */
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
}

/** A started target. `stop()` is idempotent and leaves no process or container behind. */
export interface RunningTarget {
  target: Target;
  url: string;
  workers: number;
  cpus: number[];
  /** Time from spawn (local) or container create (docker) to the first 200 from readyPath. */
  readyMs: number;
  stats(): Promise<ResourceSample | null>;
  /** How often stats() may be called during a trial without disturbing it (the engine answers stats). */
  statsIntervalMs: number;
  logs(tail: number): Promise<string[]>;
  /** Resolves if the target exits on its own (a crash during the run). */
  exited: Promise<{ code: number | null; signal: string | null }>;
  stop(): Promise<void>;
}

export interface Runtime {
  name: RuntimeName;
  /** Builds what the target needs (venv, npm install, image). Idempotent and cached. */
  prepare(target: Target, log: (line: string) => void): Promise<void>;
  start(target: Target, options: StartOptions): Promise<RunningTarget>;
  /** {component: version} for every runtime and framework of the target. */
  versions(target: Target): Promise<Record<string, string>>;
  /** The target's image, for runtimes that build one (docker). */
  image?(target: Target): Promise<ImageInfo>;
  /** How resident memory is read: the local process tree, or the container's usage. */
  memorySource: 'process-tree' | 'container';
  /** Stops everything this runtime started; safe to call more than once. */
  shutdown(): Promise<void>;
}

/** One HTTP load trial as the loader saw it (resource use of the target is added by the scenario). */
export interface HttpLoadResult {
  durationS: number;
  requests: number;
  rps: number;
  latencyMs: Trial['latencyMs'];
  errors: number;
  timeouts: number;
  non2xx: number;
  loaderCpuPct: number | null;
}

export interface HttpLoadRequest {
  url: string;
  connections: number;
  durationS: number;
  pipelining: number;
}

export interface HttpLoader {
  name: string;
  version: string;
  /** `onStart` is called when the load actually begins (after the loader process has started). */
  run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult>;
}

export interface ProgressReporter {
  /** A new unit of planned work has started; `plannedSeconds` feeds the elapsed/remaining estimate. */
  step(label: string, plannedSeconds?: number): void;
  info(line: string): void;
  warn(line: string): void;
}

export interface ScenarioContext {
  profile: ProfileName;
  target: Target;
  runtime: Runtime;
  /** Starts another instance of the target, pinned like the first (the startup scenario). */
  startTarget(options?: Pick<StartOptions, 'readyPath' | 'pollIntervalMs'>): Promise<RunningTarget>;
  load: LoadShape;
  loader: HttpLoader;
  /** Loader CPU use above this (percent of the loader's CPUs) flags a trial loaderBound. */
  loaderBoundPct: number;
  progress: ProgressReporter;
  signal: AbortSignal;
  /** Called after each trial so that the results file can be rewritten at once. */
  onTrial(trial: Trial): Promise<void>;
}

/** What a scenario measured; the executor stores it in the measurement. */
export type ScenarioOutput = Partial<Pick<Measurement, 'trials' | 'image' | 'startup' | 'memory'>>;

export interface Scenario {
  name: string;
  description: string;
  /** Endpoints the target must declare; a target without them is skipped. */
  requires: string[];
  /** Runtimes that can measure it (default: all); on others the target is skipped with a reason. */
  runtimes?: RuntimeName[];
  /** Contract checks on a freshly started target; a 'fail' skips `run`. */
  verify(running: RunningTarget): Promise<CheckResult[]>;
  /** `running` was started and verified by the executor, which stops it afterwards. */
  run(running: RunningTarget, ctx: ScenarioContext): Promise<ScenarioOutput>;
  /** Seconds of timed work `run` will do, for the progress estimate. */
  plannedSeconds(load: LoadShape, profile: ProfileName): number;
}

/** A file a reporter produced; only the CLI writes files. */
export interface ReportFile {
  path: string;
  content: string | Uint8Array;
}

/** Reporters are pure functions of the results (async where rendering is). */
export type Reporter = (results: import('./schema.ts').RunResults) => ReportFile[] | Promise<ReportFile[]>;
