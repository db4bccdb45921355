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
import type { CheckResult, LoadShape, TargetDeclaration, Trial } from './schema.ts';

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
}

/** A started target. `stop()` is idempotent and leaves no process or container behind. */
export interface RunningTarget {
  target: Target;
  url: string;
  workers: number;
  cpus: number[];
  /** Time from spawn to the first successful /health, as seen by the runtime. */
  readyMs: number;
  stats(): Promise<ResourceSample | null>;
  logs(tail: number): string[];
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
  load: LoadShape;
  loader: HttpLoader;
  /** Loader CPU use above this (percent of the loader's CPUs) flags a trial loaderBound. */
  loaderBoundPct: number;
  progress: ProgressReporter;
  signal: AbortSignal;
  /** Called after each trial so that the results file can be rewritten at once. */
  onTrial(trial: Trial): Promise<void>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Endpoints the target must declare; a target without them is skipped. */
  requires: string[];
  verify(running: RunningTarget): Promise<CheckResult[]>;
  run(running: RunningTarget, ctx: ScenarioContext): Promise<Trial[]>;
  /** Number of timed units (warmups + trials) `run` will do, for the progress estimate. */
  plannedSeconds(load: LoadShape): number;
}

/** A file a reporter produced; only the CLI writes files. */
export interface ReportFile {
  path: string;
  content: string;
}

/** Reporters are pure functions of the results. */
export type Reporter = (results: import('./schema.ts').RunResults) => ReportFile[];
