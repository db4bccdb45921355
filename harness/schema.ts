// The zod schemas that every part of the harness agrees on: target declarations (targets/*/target.json)
// and the versioned results file (results/<run-id>/results.json). Units are in the field names.
// A measurement's `result` belongs to its scenario: each scenario's result kind brings the schema of
// that part (scenarios/*.ts, harness/http/kind.ts), and readResults validates it there.
import { z } from 'zod';

/** 2: scenario-owned results, interleaved trials with timestamps, intervals with their level. */
export const RESULTS_SCHEMA_VERSION = 2;

export const endpointSchema = z.enum(['/health', '/json', '/db', '/queries', '/fortunes', '/updates', '/ws/echo', '/ws/broadcast']);
export type Endpoint = z.infer<typeof endpointSchema>;

/** targets/<name>/target.json: a declaration, no benchmark logic. */
export const databaseDeclarationSchema = z.strictObject({
  /** Database connections each worker process (or Deno isolate) holds at most; handed to the target as DB_POOL_SIZE.
   * null: no bound of the target's own (Django 4.2 under ASGI opens one per request in progress). */
  poolPerWorker: z.number().int().min(1).nullable(),
  /** How the connections are handled (pool, persistent connections, threads), in a sentence. */
  connections: z.string(),
});

export const websocketDeclarationSchema = z.strictObject({
  /** The WebSocket library or API serving /ws/echo and /ws/broadcast, e.g. "ws 8.x on node:http". */
  library: z.string(),
  /** What carries a broadcast to every client: with one worker, and with several (a Redis layer, IPC...). */
  broadcast: z.string(),
  /** Redis for /ws/broadcast: always (e.g. Django Channels' channel layer), or only with several workers (a layer shared by the workers). */
  redis: z.enum(['always', 'several-workers']),
  /** Set when the target speaks Socket.IO's protocol instead of plain WebSocket messages: its path
   * (e.g. "/socket.io/") and the namespace serving each contract endpoint ({"/ws/echo": "/echo", ...}). */
  socketio: z.strictObject({ path: z.string(), namespaces: z.record(z.string(), z.string()) }).optional(),
});

/** A Python version range in the form pip writes them, of bounds only: ">=3.12", ">=3.8,<3.13". */
export const pythonRangeSchema = z
  .string()
  .regex(/^\s*(>=|<=|<|>)\s*\d+\.\d+\s*(,\s*(>=|<=|<|>)\s*\d+\.\d+\s*)*$/, 'bounds such as ">=3.12" or ">=3.8,<3.13"');

/** One version a target offers. */
export const targetVersionOfferSchema = z.strictObject({
  /** A folder (relative to the project folder) whose files replace the project's own for this
   * version: its pins (package.json and package-lock.json, requirements.txt). Without it the
   * project folder as committed is this version. */
  overlay: z.string().optional(),
  /** The Python versions this version runs on (Django 6 needs >= 3.12): a runtime that has none
   * skips it and says which runtime has one. */
  python: pythonRangeSchema.optional(),
  /** What it is, in a few words, for `list` and the report. */
  about: z.string(),
  /** How this version holds its database connections, where it differs from the target's. */
  database: databaseDeclarationSchema.optional(),
});

export const targetVersionsSchema = z.strictObject({
  /** The version a bare name runs: the first of these the runtime can supply. */
  default: z.union([z.string(), z.array(z.string()).min(1)]).transform((d) => (Array.isArray(d) ? d : [d])),
  offers: z.record(z.string().regex(/^[0-9][0-9A-Za-z.]*$/, 'a release such as 25 or 5.2'), targetVersionOfferSchema),
});

export const targetDeclarationSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]*$/, 'kebab-case, starting with a letter'),
  title: z.string(),
  description: z.string(),
  language: z.enum(['python', 'javascript', 'typescript']),
  framework: z.string(),
  server: z.string(),
  /** True for bare-server baselines (no framework), shown as such in reports. */
  baseline: z.boolean().default(false),
  endpoints: z.array(endpointSchema).min(1),
  /** The application's folder, relative to the target folder, when the target serves another
   * target's project in another way (django-wsgi serves targets/django under gunicorn). Prepare,
   * start, versions and the image build all work there. */
  project: z.string().optional(),
  /** How a target with database endpoints holds its connections (recorded in results.json). */
  database: databaseDeclarationSchema.optional(),
  /** How a target with WebSocket endpoints serves them and carries broadcasts (shown in the report). */
  websocket: websocketDeclarationSchema.optional(),
  /** The versions the target can be built with (`--targets node@25`, `--versions node=24,25`): see
   * targets/CONTRACT.md. Without it the folder as committed is the one version. */
  versions: targetVersionsSchema.optional(),
  local: z.strictObject({
    /** What the host must provide to prepare the target: python (>= 3.10 with venv) or node (npm). */
    toolchain: z.enum(['python', 'node']),
    /** Commands run in the target folder, in order. `{python}` is the host Python the harness found. */
    prepare: z.array(z.array(z.string()).min(1)),
    /** Files whose content decides whether prepare must run again. */
    prepareInputs: z.array(z.string()),
    /** Start command; `{host}`, `{port}` and `{workers}` are substituted. Relative paths are in the target folder. */
    start: z.array(z.string()).min(1),
    /** Extra environment; values may use the same placeholders as `start`. */
    env: z.record(z.string(), z.string()).default({}),
    /** A command that prints a JSON object {component: version} for every runtime and framework involved. */
    versions: z.array(z.string()).min(1),
  }),
  /** How the docker runtime builds and runs it. */
  docker: z
    .strictObject({
      /** Relative to the project root; the build context is the target folder. */
      dockerfile: z.string(),
      /** Which base image the Dockerfile's BASE argument gets (official, or a local equivalent). */
      base: z.enum(['python', 'node', 'deno']),
      /** Like local.versions, run inside the image. */
      versions: z.array(z.string()).min(1),
    })
    .optional(),
});
export type TargetDeclaration = z.infer<typeof targetDeclarationSchema>;

export const checkResultSchema = z.object({
  name: z.string(),
  status: z.enum(['pass', 'warn', 'fail']),
  detail: z.string(),
});
export type CheckResult = z.infer<typeof checkResultSchema>;

export const latencyMsSchema = z.object({
  p50: z.number(),
  p90: z.number(),
  p99: z.number(),
  p999: z.number(),
  mean: z.number(),
  max: z.number(),
});
export type LatencyMs = z.infer<typeof latencyMsSchema>;
/** The same with p95, where a figure is judged at it (WebSocket round trips). */
export const latencyMsWithP95Schema = latencyMsSchema.extend({ p95: z.number() });

/** A target's (or a service's) resource use over a trial, from its stats() readings: the runtime's memory figure (the result's memoryLabel says which), RSS, CPU in percent of one core. */
export const resourceUseSchema = z.object({
  memoryBytesPeak: z.number().nullable(),
  memoryBytesMean: z.number().nullable(),
  rssBytesPeak: z.number().nullable(),
  cpuPct: z.number().nullable(),
});
export type ResourceUse = z.infer<typeof resourceUseSchema>;

/** An interval with the confidence it really has, and the method that made it. */
export const intervalSchema = z.object({
  lo: z.number(),
  hi: z.number(),
  /** Actual coverage probability (0..1): 0.9375 for [min, max] of 5 trials; 1 for an exact figure; 0 for none. */
  level: z.number().min(0).max(1),
  method: z.enum(['order-statistic', 'paired-order-statistic', 'mann-whitney-ratio', 'confidence-sequence', 'exact', 'none']),
});
export type IntervalData = z.infer<typeof intervalSchema>;

export const estimateSchema = z.object({
  median: z.number(),
  ci: intervalSchema,
  min: z.number(),
  max: z.number(),
  /** Coefficient of variation, a fraction (0.05 = 5%). */
  cv: z.number(),
  n: z.number().int(),
});
export type Estimate = z.infer<typeof estimateSchema>;

/**
 * Load shapes are data. `trials` is the least number of rounds (one trial per target per round): each
 * level of a sweep gets that many, and a scenario's claim rounds never stop before it. `claimRounds`
 * bounds the rounds that run on while a claim resting on the scenario is undecided.
 */
export const loadShapeSchema = z.object({
  connections: z.array(z.number().int().positive()).min(1),
  durationS: z.number().positive(),
  warmupS: z.number().nonnegative(),
  trials: z.number().int().positive(),
  /** Claim rounds: at most `max` rounds, and no new round once `budgetS` seconds have passed since every target had its least rounds (absent in older results: a fixed `trials`). */
  claimRounds: z.object({ max: z.number().int().positive(), budgetS: z.number().positive() }).optional(),
  /** Confidence of the claims' anytime-valid intervals (absent in older results). */
  confidence: z.number().gt(0).lt(1).optional(),
  pipelining: z.number().int().positive().default(1),
  /** Open loop: total requests per second; absent: closed loop. */
  rate: z.number().positive().optional(),
});
export type LoadShape = z.infer<typeof loadShapeSchema>;

/**
 * The run's load as results.json records it: the load shape, and the options the scenarios own under
 * their keys (see ScenarioOptions). The core names none of them: each is validated by the scenario
 * that declares it.
 */
export const runLoadSchema = loadShapeSchema.catchall(z.unknown());
export type RunLoad = z.infer<typeof runLoadSchema>;

/** The target's image, as the engine reports it (the image-size scenario, and the docker runtime). */
export const imageInfoSchema = z.object({
  tag: z.string(),
  id: z.string(),
  /** Uncompressed size, as `image inspect` reports it (Size). */
  imageBytes: z.number().nonnegative(),
  /** Bytes of the layers that come from the base image, and of the layers the Dockerfile adds. */
  baseBytes: z.number().nonnegative(),
  appBytes: z.number().nonnegative(),
  /**
   * As a registry stores it: the layers gzip-compressed (what `docker push` uploads), summed, split
   * the same way. Optional: results made before the harness measured it have none.
   */
  compressedBytes: z.number().nonnegative().optional(),
  baseCompressedBytes: z.number().nonnegative().optional(),
  appCompressedBytes: z.number().nonnegative().optional(),
  /** How the compressed size was computed, in words. */
  compressedMethod: z.string().optional(),
  base: z.object({
    ref: z.string(),
    /** official: pulled from a registry; local: built here from Debian because no registry was reachable. */
    origin: z.enum(['official', 'local']),
    bytes: z.number().nonnegative(),
    /** The base image's own compressed size (absent in older results). */
    compressedBytes: z.number().nonnegative().optional(),
  }),
});
export type ImageInfo = z.infer<typeof imageInfoSchema>;

export const measurementStatusSchema = z.enum(['ok', 'skipped', 'failed', 'invalid']);
export type MeasurementStatus = z.infer<typeof measurementStatusSchema>;

export const measurementSchema = z.object({
  target: z.string(),
  scenario: z.string(),
  runtime: z.string(),
  status: measurementStatusSchema,
  /** False while the scenario is still adding to it (a crash leaves it false). */
  complete: z.boolean(),
  error: z.string().optional(),
  /** The target's last log lines when it failed. */
  logTail: z.array(z.string()).optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  workers: z.number().int().positive().optional(),
  checks: z.array(checkResultSchema),
  /** What the scenario measured, in the shape of its result kind; absent when nothing was measured. */
  result: z.unknown().optional(),
});
export type Measurement = z.infer<typeof measurementSchema>;

export const targetInfoSchema = z.object({
  name: z.string(),
  title: z.string(),
  language: z.string(),
  framework: z.string(),
  server: z.string(),
  baseline: z.boolean(),
  versions: z.record(z.string(), z.string()),
  database: databaseDeclarationSchema.optional(),
  websocket: websocketDeclarationSchema.optional(),
  /** The target's own name without a version (`node` for `node@25`); absent in runs before versions. */
  family: z.string().optional(),
  /** Which version of the target this is: an offered release or a git revision of its folder. */
  version: z
    .object({
      key: z.string(),
      kind: z.enum(['offered', 'revision']),
      /** A revision's commit. */
      commit: z.string().optional(),
      /** What the offer says it is (target.json), or the revision's subject line. */
      about: z.string().optional(),
      /** True when a bare name runs this version on this run's runtime. */
      isDefault: z.boolean(),
    })
    .optional(),
  /** Other names of the same build in this run: `node` for `node@24` where 24 is the default, and
   * `node@24` for `node`. Claims name targets; an alias finds them. */
  aliases: z.array(z.string()).optional(),
  /** The host it ran on, by its name in environment.hosts (absent: this machine, the only host). */
  host: z.string().optional(),
});
export type TargetInfo = z.infer<typeof targetInfoSchema>;

/** A service (PostgreSQL, Redis) that the harness started for the run's targets. */
export const serviceInfoSchema = z.object({
  name: z.string(),
  /** local: a process on this machine; container: through the engine. */
  mode: z.enum(['process', 'container']),
  version: z.string(),
  cpus: z.array(z.number().int()),
  /** Every setting changed from the service's defaults, with the reason. */
  config: z.array(z.object({ setting: z.string(), value: z.string(), reason: z.string() })),
  /** Where it came from: the binary, or the image. */
  source: z.string(),
  startedAt: z.string(),
  stoppedAt: z.string().optional(),
});
export type ServiceInfo = z.infer<typeof serviceInfoSchema>;

/** One host of a run: what ran there, its engine, its machine, and its clock against this machine's. */
export const hostRecordSchema = z.object({
  /** 'this machine', or the engine's address as given. */
  name: z.string(),
  roles: z.array(z.enum(['target', 'service', 'loader'])),
  remote: z.boolean(),
  /** Where its containers were reached. */
  ip: z.string(),
  /** Reached over plain tcp:// (--insecure-engines). */
  insecure: z.boolean(),
  engine: z.object({ name: z.string(), version: z.string(), apiVersion: z.string() }),
  cpuModel: z.string(),
  cores: z.number().int(),
  memoryBytes: z.number(),
  kernel: z.string(),
  bootId: z.string().nullable(),
  /** Its clock minus this machine's (wall clocks), where measured: every timestamp in results.json is this machine's. */
  clock: z.object({ offsetMs: z.number(), rttMs: z.number(), method: z.string() }).nullable(),
});
export type HostRecord = z.infer<typeof hostRecordSchema>;

export const environmentSchema = z.object({
  hostname: z.string(),
  cpuModel: z.string(),
  cores: z.number().int(),
  memoryBytes: z.number(),
  /** Memory available (MemAvailable) when the run started; absent in older results. */
  memoryAvailableBytes: z.number().optional(),
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  harnessNode: z.string(),
  /** The HTTP load generator: its name, version and the runtime that runs it (e.g. bun 1.4.5). */
  loader: z.object({ name: z.string(), version: z.string(), runtime: z.string().optional() }),
  gitCommit: z.string().nullable(),
  gitDirty: z.boolean().nullable(),
  pinning: z.object({
    targetCpus: z.array(z.number().int()),
    loaderCpus: z.array(z.number().int()),
    /** CPUs of the services (PostgreSQL, Redis); on 2 cores they share the loader's. */
    serviceCpus: z.array(z.number().int()).default([]),
    /** The harness process itself (absent in schema 1: it was not pinned). */
    harnessCpus: z.array(z.number().int()).nullable().default(null),
    method: z.string(),
    /** What shared a CPU, in words, for the report. */
    shared: z.array(z.string()).default([]),
  }),
  /** The container engine behind the docker runtime (absent for local runs). */
  engine: z
    .object({ name: z.string(), version: z.string(), apiVersion: z.string(), socket: z.string() })
    .optional(),
  /** The hosts of a run spread over several engines (--target-host, --service-host, --loader-host); absent: all on this machine. */
  hosts: z.array(hostRecordSchema).optional(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const runStateSchema = z.enum(['running', 'done', 'interrupted', 'crashed', 'killed']);
export type RunState = z.infer<typeof runStateSchema>;

export const runPartSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  state: runStateSchema,
  command: z.string(),
  /** The scenarios the merged run takes from this part. */
  scenarios: z.array(z.string()),
  /** Scenarios this part measured only in part (it was interrupted in them) that another part measured whole, so left out. */
  dropped: z.array(z.string()).default([]),
});
export type RunPart = z.infer<typeof runPartSchema>;

/** How a scenario's claim rounds went: when they stopped and why, and the level each target was measured at. */
export const roundsRecordSchema = z.object({
  minRounds: z.number().int().nonnegative(),
  maxRounds: z.number().int().positive(),
  budgetS: z.number().positive(),
  confidence: z.number().gt(0).lt(1),
  /** Claim rounds that ran. */
  rounds: z.number().int().nonnegative(),
  /** Seconds from the first round to the end of the last. */
  elapsedS: z.number().nonnegative(),
  /**
   * decided: every claim resting on the scenario was decided; budget: no new round once the time
   * budget (counted from the end of the least rounds) was spent; max-rounds: the most rounds allowed; no-claims: no claim rests on the scenario, so the
   * least rounds ran; interrupted: Ctrl-C or a failure ended the rounds.
   */
  stoppedBy: z.enum(['decided', 'budget', 'max-rounds', 'no-claims', 'interrupted']),
  /** Claims still open when the rounds stopped. */
  open: z.array(z.string()).default([]),
  /** Each target's level for the claim rounds (HTTP), and where it was chosen: from the sweep before the claim rounds, or the profile's only level. */
  levels: z.record(z.string(), z.string()).optional(),
  levelsFrom: z.enum(['sweep', 'profile']).optional(),
});
export type RoundsRecord = z.infer<typeof roundsRecordSchema>;

export const runResultsSchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  /** Set when the file was written by an older harness and migrated on load. */
  migratedFrom: z.number().int().optional(),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** running | done | interrupted | crashed | killed (left 'running' by a harness that no longer exists) */
  state: runStateSchema,
  /** The harness process that wrote the file, so that a run left 'running' by a killed harness is recognised. */
  harness: z.object({ pid: z.number().int(), hostname: z.string() }).optional(),
  profile: z.string(),
  runtime: z.string(),
  command: z.string(),
  environment: environmentSchema,
  targets: z.record(z.string(), targetInfoSchema),
  services: z.array(serviceInfoSchema).default([]),
  /** The load the run was made with, the scenarios' options included (absent in older results). */
  load: runLoadSchema.optional(),
  measurements: z.array(measurementSchema),
  /** Per scenario, how its claim rounds went (absent in older results). */
  rounds: z.record(z.string(), roundsRecordSchema).optional(),
  /** Confidence of the claims' anytime-valid intervals in this run (absent in older results: 0.95). */
  confidence: z.number().gt(0).lt(1).optional(),
  /**
   * Set on a run merged by `bench merge` from runs (parts) of one commit, machine and settings, each
   * measuring some scenarios: a run too long for one sitting. Every scenario comes whole from one part.
   */
  parts: z.array(runPartSchema).optional(),
});
export type RunResults = z.infer<typeof runResultsSchema>;
