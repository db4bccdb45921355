// The zod schemas that every part of the harness agrees on: target declarations (targets/*/target.json)
// and the versioned results file (results/<run-id>/results.json). Units are in the field names.
import { z } from 'zod';

export const RESULTS_SCHEMA_VERSION = 1;

export const endpointSchema = z.enum(['/health', '/json', '/db', '/queries', '/fortunes', '/ws/echo', '/ws/broadcast']);

/** targets/<name>/target.json: a declaration, no benchmark logic. */
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

export const resourceUseSchema = z.object({
  rssBytesPeak: z.number().nullable(),
  rssBytesMean: z.number().nullable(),
  /** CPU used by the target's whole process tree, in percent of one core. */
  cpuPct: z.number().nullable(),
});

export const trialSchema = z.object({
  connections: z.number().int().positive(),
  trial: z.number().int().positive(),
  durationS: z.number().positive(),
  requests: z.number().int().nonnegative(),
  rps: z.number().nonnegative(),
  latencyMs: latencyMsSchema,
  errors: z.number().int().nonnegative(),
  timeouts: z.number().int().nonnegative(),
  non2xx: z.number().int().nonnegative(),
  /** CPU used by the loader process, in percent of one core. */
  loaderCpuPct: z.number().nullable(),
  /** The loader was saturated: this trial measured the loader, not the server. */
  loaderBound: z.boolean(),
  target: resourceUseSchema,
});
export type Trial = z.infer<typeof trialSchema>;

export const estimateSchema = z.object({
  median: z.number(),
  ci95: z.tuple([z.number(), z.number()]),
  min: z.number(),
  max: z.number(),
  /** Coefficient of variation, a fraction (0.05 = 5%). */
  cv: z.number(),
  n: z.number().int(),
});
export type Estimate = z.infer<typeof estimateSchema>;

export const levelSummarySchema = z.object({
  connections: z.number().int().positive(),
  rps: estimateSchema,
  latencyMs: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), p999: z.number() }),
  rssBytesPeak: z.number().nullable(),
  targetCpuPct: z.number().nullable(),
  loaderBoundTrials: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  warnings: z.array(z.string()),
});
export type LevelSummary = z.infer<typeof levelSummarySchema>;

export const loadShapeSchema = z.object({
  connections: z.array(z.number().int().positive()).min(1),
  durationS: z.number().positive(),
  warmupS: z.number().nonnegative(),
  trials: z.number().int().positive(),
  pipelining: z.number().int().positive().default(1),
});
export type LoadShape = z.infer<typeof loadShapeSchema>;

/** Scenario `image-size`: the target's image, uncompressed as the engine reports it. */
export const imageInfoSchema = z.object({
  tag: z.string(),
  id: z.string(),
  /** Uncompressed size, as `image inspect` reports it (Size). */
  imageBytes: z.number().nonnegative(),
  /** Bytes of the layers that come from the base image, and of the layers the Dockerfile adds. */
  baseBytes: z.number().nonnegative(),
  appBytes: z.number().nonnegative(),
  base: z.object({
    ref: z.string(),
    /** official: pulled from a registry; local: built here from Debian because no registry was reachable. */
    origin: z.enum(['official', 'local']),
    bytes: z.number().nonnegative(),
  }),
});
export type ImageInfo = z.infer<typeof imageInfoSchema>;

/** Scenario `startup`: time from start (spawn, or container create+start) to the first 200 from /json. */
export const startupSchema = z.object({
  mode: z.enum(['process', 'container']),
  pollIntervalMs: z.number().positive(),
  warmupRuns: z.number().int().nonnegative(),
  samplesMs: z.array(z.number().nonnegative()),
  summary: estimateSchema.extend({ p95: z.number() }),
});
export type StartupResult = z.infer<typeof startupSchema>;

/** Scenario `memory`: resident memory at idle after start and at its peak under the json load. */
export const memorySchema = z.object({
  /** process-tree: RSS summed over the local process tree; container: the engine's memory usage. */
  source: z.enum(['process-tree', 'container']),
  workers: z.number().int().positive(),
  idleRssBytes: z.number().nonnegative().nullable(),
  peakRssBytes: z.number().nonnegative().nullable(),
  loadConnections: z.number().int().positive(),
  loadDurationS: z.number().positive(),
});
export type MemoryResult = z.infer<typeof memorySchema>;

export const measurementStatusSchema = z.enum(['ok', 'skipped', 'failed', 'invalid']);
export type MeasurementStatus = z.infer<typeof measurementStatusSchema>;

export const measurementSchema = z.object({
  target: z.string(),
  scenario: z.string(),
  runtime: z.string(),
  status: measurementStatusSchema,
  /** False while trials are still being added (a crash leaves it false). */
  complete: z.boolean(),
  error: z.string().optional(),
  /** The target's last log lines when it failed. */
  logTail: z.array(z.string()).optional(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  load: loadShapeSchema.optional(),
  workers: z.number().int().positive().optional(),
  checks: z.array(checkResultSchema),
  /** HTTP load trials (json, and later db) and their per-level summaries; empty for other scenarios. */
  trials: z.array(trialSchema),
  summary: z.array(levelSummarySchema),
  image: imageInfoSchema.optional(),
  startup: startupSchema.optional(),
  memory: memorySchema.optional(),
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
});
export type TargetInfo = z.infer<typeof targetInfoSchema>;

export const environmentSchema = z.object({
  hostname: z.string(),
  cpuModel: z.string(),
  cores: z.number().int(),
  memoryBytes: z.number(),
  os: z.string(),
  kernel: z.string(),
  arch: z.string(),
  harnessNode: z.string(),
  loader: z.object({ name: z.string(), version: z.string() }),
  gitCommit: z.string().nullable(),
  gitDirty: z.boolean().nullable(),
  pinning: z.object({
    targetCpus: z.array(z.number().int()),
    loaderCpus: z.array(z.number().int()),
    method: z.string(),
  }),
  /** The container engine behind the docker runtime (absent for local runs). */
  engine: z
    .object({ name: z.string(), version: z.string(), apiVersion: z.string(), socket: z.string() })
    .optional(),
});
export type Environment = z.infer<typeof environmentSchema>;

export const runResultsSchema = z.object({
  schemaVersion: z.literal(RESULTS_SCHEMA_VERSION),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  /** running | done | interrupted | crashed */
  state: z.enum(['running', 'done', 'interrupted', 'crashed']),
  profile: z.string(),
  runtime: z.string(),
  command: z.string(),
  environment: environmentSchema,
  targets: z.record(z.string(), targetInfoSchema),
  measurements: z.array(measurementSchema),
});
export type RunResults = z.infer<typeof runResultsSchema>;
