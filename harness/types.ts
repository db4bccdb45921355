// Types that cross module borders. Data shapes come from the zod schemas in schema.ts; the
// behavioural seams (Runtime, RunningTarget, Service, Scenario and its result kind, Loader) are
// declared here.
import type { z } from 'zod';
import type { TopLevelSpec } from 'vega-lite';
import type { WsLoader } from './load/ws/types.ts';
export type {
  CheckResult,
  Endpoint,
  Environment,
  Estimate,
  ImageInfo,
  IntervalData,
  LatencyMs,
  LoadShape,
  Measurement,
  MeasurementStatus,
  ResourceUse,
  RunLoad,
  RunPart,
  RunResults,
  RoundsRecord,
  RunState,
  ServiceInfo,
  TargetDeclaration,
  TargetInfo,
} from './schema.ts';
import type { CheckResult, Endpoint, ImageInfo, LatencyMs, LoadShape, Measurement, RoundsRecord, RunResults, ServiceInfo, TargetDeclaration } from './schema.ts';

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
}

/** A target declaration together with the folder it lives in. */
export interface Target {
  dir: string;
  decl: TargetDeclaration;
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
  exited: Promise<{ code: number | null; signal: string | null }>;
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
  /** Resolves true once the service answers at the endpoint (polled until the timeout). */
  ready(endpoint: ServiceEndpoint): Promise<boolean>;
  /** Run once after it is ready: schema, seed data. */
  init?(endpoint: ServiceEndpoint): Promise<void>;
  /** The version the running server reports (recorded in results.json instead of the declared one). */
  serverVersion?(endpoint: ServiceEndpoint): Promise<string>;
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
    /** Environment of the container for a port; the container runs with host networking. */
    env(port: number): Record<string, string>;
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
  exited: Promise<{ code: number | null; signal: string | null }>;
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
  /** The target's image, for runtimes that build one (docker). */
  image?(target: Target): Promise<ImageInfo>;
  /** Stops everything this runtime started; safe to call more than once. */
  shutdown(): Promise<void>;
}

export interface StatusClasses {
  '1xx': number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
}

/** One HTTP load trial as the loader saw it (resource use of the target is added by the trial). */
export interface HttpLoadResult {
  durationS: number;
  /** Responses received (any status). */
  requests: number;
  /** 2xx responses per second. */
  rps: number;
  latencyMs: LatencyMs;
  /** Connection errors, resets and malformed responses; timeouts NOT included (they are counted in `timeouts`). */
  errors: number;
  /** The errors by kind (ECONNREFUSED, ECONNRESET, 'connect timeout', ...), as far as the loader tells them apart. */
  errorKinds?: Record<string, number>;
  timeouts: number;
  non2xx: number;
  /** Responses by status class, where the loader counts them. */
  statusClasses?: StatusClasses;
  /** The busiest loader CPU's use, in percent of that CPU (100 = one loader CPU saturated). */
  loaderCpuPct: number | null;
  /** Each loader CPU's use, in percent of that CPU, where the loader can tell them apart. */
  loaderCpuPerCpu?: number[];
  /** Latencies of the trial in microseconds as an HDR histogram, encoded (hdr-histogram-js, compressed base64), so that histograms merge exactly. */
  histogramUs?: string;
  /** closed: each connection sends its next request when the previous response arrives; open: a fixed rate, latency from the intended send time. */
  mode?: 'closed' | 'open';
  /** Open loop: the total request rate asked for, and the rate of requests actually sent. */
  requestedRate?: number;
  achievedRate?: number;
}

export interface HttpLoadRequest {
  url: string;
  connections: number;
  durationS: number;
  pipelining: number;
  /** Open loop: total requests per second, spread over the connections. Absent: closed loop. */
  rate?: number;
}

/** What an HTTP load generator can do; scenarios ask this, never a loader's name. */
export interface HttpLoaderCapabilities {
  /** Holds an open-loop request rate (HttpLoadRequest.rate), latency from each request's intended send time. */
  openLoop: boolean;
}

export interface HttpLoader {
  name: string;
  version: string;
  /** What runs it, e.g. "bun 1.4.5" or "node 20.20.2". */
  runtime?: string;
  can: HttpLoaderCapabilities;
  /** `onStart` is called when the load actually begins (after the loader process has started). */
  run(request: HttpLoadRequest, signal?: AbortSignal, onStart?: () => void): Promise<HttpLoadResult>;
}

export interface ProgressReporter {
  /** A new unit of planned work has started; `plannedSeconds` feeds the elapsed/remaining estimate. */
  step(label: string, plannedSeconds?: number): void;
  info(line: string): void;
  warn(line: string): void;
}

/** The claims resting on a scenario, as its rounds see them (see harness/run/rounds.ts). */
export interface ClaimRoundsContext {
  /** Rounds every target gets, whatever the claims (the tables and charts need them). */
  minRounds: number;
  maxRounds: number;
  /** No new claim round starts once this many seconds have passed since the least rounds ended. */
  budgetS: number;
  /** Confidence of the claims' anytime-valid intervals. */
  confidence: number;
  /** Whether a claim rests on the scenario with these targets (a sweep without one needs no claim rounds). */
  feeds: boolean;
  /** The claims still undecided on what was measured so far, the targets they need, and a line each; null when no claim rests on the scenario. */
  open(): { ids: string[]; targets: Set<string>; lines: string[] } | null;
  /** Records in the run's results how the claim rounds ended. */
  done(record: Pick<RoundsRecord, 'rounds' | 'elapsedS' | 'stoppedBy' | 'open' | 'levels' | 'levelsFrom'> & { minRounds?: number }): void;
}

/** The load generators of a run, chosen by flags (--loader, ...) and made once by the run; scenarios take every loader they use from here. */
export interface RunLoaders {
  http: HttpLoader;
  ws: WsLoader;
}

/**
 * Options a scenario owns (its load settings): declared by the scenario, so that the core's schema,
 * configuration and command line name none. Several scenarios may share one declaration (the
 * WebSocket scenarios share `ws`); the core keeps one per key.
 */
export interface ScenarioOptions<O = unknown> {
  /** Where they live: results.json `load.<key>`, and `<key>` in bench.config.ts. */
  key: string;
  /** Validates them (in results.json, in the config, after flags). */
  schema: z.ZodType<O>;
  defaults: Record<ProfileName, O>;
  /** Command-line flags of `run`: `--<name> VALUE`, applied over the profile's defaults and the config. */
  flags?: ScenarioOptionFlag<O>[];
  /** Checks the options as a whole once flags and config are applied; throws a UserError naming the flag or field. */
  check?(options: O): void;
  /** A phrase for the profile's one-line description. */
  describe?(options: O): string;
}

/** A flag of `run` that sets a scenario's option (harness/run/options.ts validates the result with the options' schema). */
export interface ScenarioOptionFlag<O> {
  /** Without the dashes, e.g. "ws-step". */
  name: string;
  /** The value's placeholder in `run --help`, e.g. "N" (default VALUE). */
  value?: string;
  /** One line or more for `run --help`: which scenario it sets, what, and the profiles' defaults. */
  help: string;
  /** The options with the flag's value applied; throws a UserError naming the flag when the value does not parse. */
  apply(options: O, value: string): O;
}

export interface ScenarioContext<R, O = unknown> {
  profile: ProfileName;
  runtime: Runtime;
  load: LoadShape;
  /** The scenario's own options (Scenario.options), resolved for this run. */
  options: O;
  loaders: RunLoaders;
  /** Loader CPU use above this (percent of the loader's CPUs) flags a trial loaderBound. */
  loaderBoundPct: number;
  progress: ProgressReporter;
  signal: AbortSignal;
  /** The services the run started (their CPU use is sampled beside each trial's). */
  services: RunningService[];
  /** Where the loader, the services and the targets run; a CPU in two is shared (2 cores: the database shares the loader's); a reference server a scenario starts goes on the targets' CPUs. */
  pinning: { loaderCpus: number[]; serviceCpus: number[]; targetCpus: number[] };
  /** Starts another instance of a target, pinned and with the services' environment like the first. */
  startTarget(target: Target, options?: Pick<StartOptions, 'readyPath' | 'pollIntervalMs'>): Promise<RunningTarget>;
  /** The run's measurements of the scenarios that ran before this one (a copy): memory takes its
   * request rate from the json scenario's throughput. */
  earlier: Measurement[];
  /** The claims resting on this scenario: its rounds run until they are decided or the budget is spent. */
  claims: ClaimRoundsContext;
  /** Stores what the scenario has measured of a target so far; the results file is rewritten at once. */
  save(target: string, result: R): void;
  /** The target broke during the scenario: it is marked failed (what it measured is kept) and is left out from then on. */
  fail(target: string, error: unknown): Promise<void>;
}

/** A table of a report section, rendered to Markdown and HTML by the core. */
export interface Table {
  caption?: string;
  header: string[];
  rows: string[][];
}

/** What a scenario shows in the report: rendered by both the Markdown and the HTML reporter. */
export interface Section {
  paragraphs: string[];
  tables: Table[];
  warnings: string[];
}

export interface ChartSpec {
  name: string;
  title: string;
  /** null: nothing to draw, and `missing` says why. */
  spec: TopLevelSpec | null;
  missing?: string;
}

/** A metric `compare` compares between two runs. */
export interface Series {
  metric: string;
  unit: string;
  higherIsBetter: boolean;
  /** Independent samples (trials, starts, cycles); one per process. */
  samples: number[];
  /** A deterministic figure (an image size): one reading is the truth. */
  exact?: boolean;
}

/** One independent sample behind a claim's figure, with the key that pairs it with the other side's. */
export interface FigureSample {
  value: number;
  /** Samples of two targets with the same key were taken next to each other (same level and round). */
  pairKey: string;
  /** When it was taken (ISO), if known. */
  at?: string;
}

/** The figure a claim reads from one target's measurement. */
export interface Figure {
  samples: FigureSample[];
  unit: string;
  /** Where the figure comes from (level, trials, runtime, memory source...). */
  detail: string;
  /** The loader was saturated: the true figure is at least this (throughput only). */
  lowerBound: boolean;
  /** The samples were taken in rounds shared with the other targets (interleaved), so they pair by key. */
  pairable: boolean;
  /** A deterministic figure (image size): its ratio is exact. */
  exact?: boolean;
  /** What limit of the machine, the loader or the run stopped the figure (it is then a lower bound), in words, e.g. "the ceiling of 1,000 clients". */
  limit?: string;
  /** What ended each measurement of a figure that runs until something stops it (a capacity ramp), in words, limit or not. */
  stoppedBy?: string;
  /**
   * The figure read at several levels (memory while holding 5,000, 10,000, ... clients): a claim
   * between two such figures reads both at the highest level both reached. `samples` are then the
   * highest level's own.
   */
  levels?: { level: number; label: string; samples: FigureSample[] }[];
  /** The same figure measured in the same run against a reference that is not a target (the loader's floor). */
  floor?: { value: number; detail: string };
  /** An interval of the figure itself (an extrapolation's, from its fit), with its confidence level. */
  interval?: { lo: number; hi: number; level: number; method: string };
}

/**
 * A scenario's result kind: the shape of Measurement.result for that scenario and everything that
 * depends on it. The core (executor, store, reporters, compare, claims, CLI) goes through this and
 * names no scenario.
 */
export interface ResultKind<R> {
  schema: z.ZodType<R>;
  /** One line for the CLI's summary. */
  summaryLine(result: R): string;
  /** The scenario's report section, from its measurements in a run. */
  section(measurements: Measurement[], run: RunResults): Section;
  charts(measurements: Measurement[], run: RunResults): ChartSpec[];
  /** The series `compare` compares for one measurement. */
  series(result: R): Series[];
  /** Names of the figures claims may read. */
  figureNames: readonly string[];
  /** A figure for claims, or why there is none. */
  figure(name: string, result: R, run: RunResults): Figure | string;
  /** Turns the fields a schema-1 measurement of this scenario carried into this kind's result. */
  fromV1?(old: Record<string, unknown>): R | undefined;
}

/** How a scenario orders its work across targets, stated in the report. */
export type Schedule =
  /** Trials of all targets go round-robin in a rotating order; ratios are taken pair by pair. */
  | 'interleaved'
  /** Whole runs of each target alternate (a ramp cannot be cut into trials). */
  | 'alternating'
  /** One deterministic reading per target. */
  | 'once';

export interface Scenario<R = unknown, O = unknown> {
  name: string;
  description: string;
  /** The options it owns, if any (see ScenarioOptions). */
  options?: ScenarioOptions<O>;
  /** Endpoints the target must declare; a target without them is skipped. */
  requires: Endpoint[];
  /** What the runtime must be able to do (default: nothing special); on a runtime that cannot, the target is skipped with the reason. */
  runtimeNeeds?: (keyof Omit<RuntimeCapabilities, 'unit'>)[];
  /** Services the executor must start before the targets (PostgreSQL, Redis). */
  services?: ServiceDeclaration[];
  /**
   * Declared where a service is needed by some targets only (Redis for a broadcast: Channels' layer
   * always, Node's only with several workers). When the service could not be started, a target that
   * needs it is skipped with the reason, and one that does not runs without it. Absent: every
   * target needs every service, and fails without it.
   */
  needsService?(service: ServiceDeclaration, target: Target, workers: number): boolean;
  schedule: Schedule;
  kind: ResultKind<R>;
  /** Contract checks on a freshly started target; a 'fail' marks it invalid and leaves it out. */
  verify(running: RunningTarget, ctx: VerifyContext): Promise<CheckResult[]>;
  /** All targets were started and verified by the executor, which stops them afterwards. */
  run(targets: RunningTarget[], ctx: ScenarioContext<R, O>): Promise<void>;
  /**
   * Seconds of timed work `run` will do for this many targets at most (the plan's upper bound, printed
   * before the run and used for the progress estimate); `claimTargets`: how many of them the claims
   * resting on the scenario need (0: none rests on it), whose rounds may run on to the budget.
   */
  plannedSeconds(load: LoadShape, profile: ProfileName, targets: number, claimTargets: number, options: O): number;
}

/** A file a reporter produced; only the CLI writes files. */
export interface ReportFile {
  path: string;
  content: string | Uint8Array;
}

/** Reporters are pure functions of the results (async where rendering is). */
export type Reporter = (results: RunResults) => ReportFile[] | Promise<ReportFile[]>;
