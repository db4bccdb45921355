// Scenarios, their options, result kinds and reports (see harness/types.ts).
import type { z } from 'zod';
import type { TopLevelSpec } from 'vega-lite';
import type { WsLoader } from '../load/ws/types.ts';
import type { CheckResult, Endpoint, LoadShape, Measurement, RoundsRecord, RunResults } from '../schema.ts';
import type { HttpLoader } from './load.ts';
import type { ProfileName, RunningService, RunningTarget, Runtime, RuntimeCapabilities, Target, VerifyContext, ServiceDeclaration, StartOptions } from './runtime.ts';

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
  done(record: Pick<RoundsRecord, 'rounds' | 'elapsedS' | 'stoppedBy' | 'open' | 'levels' | 'levelsFrom'> & { minRounds?: number; budgetS?: number }): void;
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
  /** Each sample's round, where the targets were interleaved: two targets of one run pair on it (compare --base/--head). */
  pairKeys?: string[];
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

