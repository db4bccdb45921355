// The result kind shared by HTTP load scenarios (json, and the database endpoints to come): one
// trial per target per round per load level, each time-stamped, with the loader's and the target's
// resource use. Only raw data is stored; summaries are computed from it.
import { z } from 'zod';
import { latencyMsSchema, resourceUseSchema } from '../schema.ts';

/** A load level: connections, and the endpoint's parameters (e.g. queries=20) where it has any. */
export const httpLevelSchema = z.object({
  connections: z.number().int().positive(),
  params: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
});
export type HttpLevel = z.infer<typeof httpLevelSchema>;

export const httpTrialSchema = z.object({
  level: httpLevelSchema,
  /** 1-based round: in round r every target gets its r-th trial of the phase, in a rotating order. */
  round: z.number().int().positive(),
  /**
   * sweep: a round of the level sweep, every target at the same level, for the tables and charts;
   * claim: a claim round, each target at its claim level, chosen before the claim rounds (from the
   * sweep, or the profile's one level); claims pair claim rounds only. Absent in older results.
   */
  phase: z.enum(['sweep', 'claim']).optional(),
  /** Position within the round (0 = first). */
  order: z.number().int().nonnegative(),
  /** Absent in results migrated from schema 1 (they were not recorded). */
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  durationS: z.number().positive(),
  requests: z.number().int().nonnegative(),
  rps: z.number().nonnegative(),
  latencyMs: latencyMsSchema,
  /** Connection errors and malformed responses; timeouts are counted once, in `timeouts`. */
  errors: z.number().int().nonnegative(),
  timeouts: z.number().int().nonnegative(),
  non2xx: z.number().int().nonnegative(),
  /** Responses by status class, where the loader counts them. */
  statusClasses: z.object({ '1xx': z.number(), '2xx': z.number(), '3xx': z.number(), '4xx': z.number(), '5xx': z.number() }).optional(),
  /** The busiest loader CPU's use, in percent of that CPU (schema 1: autocannon's process, percent of one core). */
  loaderCpuPct: z.number().nullable(),
  /** Each loader CPU's use, in percent, where the loader tells them apart. */
  loaderCpuPerCpu: z.array(z.number()).optional(),
  /** The loader was saturated: this trial measured the loader, not the server. */
  loaderBound: z.boolean(),
  /** Latencies in microseconds, an HDR histogram encoded by hdr-histogram-js (compressed base64): histograms merge exactly and any percentile can be recomputed. */
  histogramUs: z.string().optional(),
  /** Open loop: the rate of requests actually sent. */
  achievedRate: z.number().optional(),
  /** CPU used by each service during the trial (a database), in percent of one core. */
  services: z.array(z.object({ name: z.string(), cpuPct: z.number().nullable() })).optional(),
  /** How busy each loader CPU was during the trial, whatever ran on it (loader, harness, a service sharing it), from /proc/stat. */
  loaderCpusBusyPct: z.array(z.number().nullable()).optional(),
  /** A CPU shared by the loader and a service was saturated: the figure may be limited by that core, not the target. */
  sharedCpuSaturated: z.boolean().optional(),
  /** The target's resource use during the trial (result.memoryLabel says what its memory figure is). */
  target: resourceUseSchema,
});
export type HttpTrial = z.infer<typeof httpTrialSchema>;

export const httpResultSchema = z.object({
  /** Path and query template, e.g. /json or /queries?queries={queries}. */
  endpoint: z.string(),
  levels: z.array(httpLevelSchema),
  durationS: z.number().positive(),
  warmupS: z.number().nonnegative(),
  rounds: z.number().int().positive(),
  pipelining: z.number().int().positive(),
  /** interleaved: round-robin across targets; sequential: one target after another (schema 1). */
  schedule: z.enum(['interleaved', 'sequential']),
  /** closed: each connection sends its next request when the previous response arrives (TechEmpower); open: a fixed request rate, latency from each request's intended send time (wrk2). */
  mode: z.enum(['closed', 'open']).default('closed'),
  /** Open loop: the total request rate asked for. */
  rate: z.number().positive().optional(),
  /** The loader that made the trials, e.g. "harness 1 on bun 1.4.5" (absent in schema 1: autocannon). */
  loader: z.string().optional(),
  /** Exactly what target.memoryBytes* are. */
  memoryLabel: z.string(),
  workers: z.number().int().positive(),
  trials: z.array(httpTrialSchema),
});
export type HttpResult = z.infer<typeof httpResultSchema>;

/** "128" or "128 conn, queries=20": a level's name in tables and series keys. */
export function levelLabel(level: HttpLevel): string {
  const params = Object.entries(level.params ?? {}).map(([k, v]) => `${k}=${v}`);
  return params.length ? `${level.connections} conn, ${params.join(', ')}` : String(level.connections);
}

export const sameLevel = (a: HttpLevel, b: HttpLevel): boolean => levelLabel(a) === levelLabel(b);

/** The URL path of a level: {name} placeholders of the endpoint replaced by the level's params. */
export function levelPath(endpoint: string, level: HttpLevel): string {
  return endpoint.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(level.params?.[name] ?? '')));
}
