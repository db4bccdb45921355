// Profiles, the optional bench.config.ts, and CLI flags merged into one validated run plan input.
// Every error names the field and what it accepts.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { UserError } from './errors.ts';
import { earliestDecisionPairs } from './stats/confseq.ts';
import { formatLevel } from './stats/intervals.ts';
import type { LoadShape, ProfileName } from './types.ts';

type Profile = LoadShape & Required<Pick<LoadShape, 'claimRounds' | 'confidence'>>;

const PROFILE_SHAPES: Record<ProfileName, Profile> = {
  // The default run: every scenario on every target within the quick start's ten minutes on 2 cores,
  // preparation included. Every HTTP scenario at one level; short trials, so that the rounds a
  // claim needs (an anytime-valid 95% interval is bounded after 10 pairs at the earliest) fit.
  quick: {
    connections: [128],
    durationS: 0.5,
    warmupS: 0.5,
    trials: 3,
    claimRounds: { max: 16, budgetS: 60 },
    confidence: 0.95,
    pipelining: 1,
  },
  // Close to TechEmpower's levels, every scenario within an hour of load on 2 cores: a sweep over
  // 16..512 connections for the tables and charts, then claim rounds at each target's best level.
  full: {
    connections: [16, 32, 64, 128, 256, 512],
    durationS: 3,
    warmupS: 2,
    trials: 3,
    claimRounds: { max: 30, budgetS: 150 },
    confidence: 0.95,
    pipelining: 1,
  },
};

/**
 * A profile in words, every figure taken from its shape (help, `list`, README); `phrases` are the
 * scenarios' options in words (ScenarioOptions.describe), which the core cannot name.
 */
export function describeProfile(p: LoadShape, phrases: string[] = []): string {
  const levels = p.connections.length > 1 ? `a sweep over ${p.connections[0]}..${p.connections.at(-1)} connections (${p.trials} rounds per level), then claim rounds at each target's best level` : `every HTTP scenario at ${p.connections[0]} connections`;
  const claims = p.claimRounds
    ? `; claim rounds go on while a claim is undecided at ${formatLevel(p.confidence ?? 0.95)} (anytime-valid: bounded after ${earliestDecisionPairs(p.confidence ?? 0.95)} pairs at the earliest), up to ${p.claimRounds.max} rounds or ${p.claimRounds.budgetS} s per scenario after its least rounds`
    : '';
  return `${levels}; trials of ${p.durationS} s after a ${p.warmupS} s warmup, at least ${p.trials} rounds${claims}${phrases.map((x) => `; ${x}`).join('')}`;
}

const PROFILE_PURPOSE: Record<ProfileName, string> = { quick: 'a first look, in minutes', full: 'close to TechEmpower, within an hour of load' };

export const PROFILES: Record<ProfileName, Profile> = PROFILE_SHAPES;

/** A profile's one-line description, with the scenarios' options in words (see run/options.ts optionPhrases). */
export function profileDescription(profile: ProfileName, phrases: string[] = []): string {
  return `${PROFILE_PURPOSE[profile]}: ${describeProfile(PROFILES[profile], phrases)}`;
}


/** What bench.config.ts may set; the CLI flags override it. */
export const userConfigSchema = z.strictObject({
  /** Targets by name, each optionally @version (`node@25`, `django@HEAD~3`). */
  targets: z.array(z.string()).optional(),
  /** A matrix of versions: each target named here runs in each of its versions ({ node: ['24', '25'] }). */
  versions: z.record(z.string(), z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (Array.isArray(v) ? v : v.split(',')))).optional(),
  scenarios: z.array(z.string()).optional(),
  profile: z.enum(['quick', 'full']).optional(),
  /** A registered runtime or auto: checked against harness/runtime/registry.ts by the run (config names no runtime). */
  runtime: z.string().optional(),
  connections: z.array(z.number().int().positive().max(10000)).min(1).optional(),
  durationS: z.number().positive().optional(),
  warmupS: z.number().nonnegative().optional(),
  trials: z.number().int().positive().optional(),
  /** Claim rounds: at most this many per scenario, and no new one once `budgetS` seconds have passed since its least rounds. */
  maxRounds: z.number().int().positive().optional(),
  budgetS: z.number().positive().optional(),
  /** Confidence of the claims' anytime-valid intervals, e.g. 0.95. */
  confidence: z.number().gt(0).lt(1).optional(),
  /** The HTTP load generator (default harness). */
  /** A registered loader's name: checked against harness/load/index.ts by the run (config names no loader). */
  loader: z.string().optional(),
  /** A registered WebSocket loader's name, likewise. */
  wsLoader: z.string().optional(),
  /** Open loop: total requests per second of every HTTP trial (default: closed loop). */
  rate: z.number().positive().optional(),
  targetCpus: z.array(z.number().int().nonnegative()).min(1).optional(),
  loaderCpus: z.array(z.number().int().nonnegative()).min(1).optional(),
  serviceCpus: z.array(z.number().int().nonnegative()).min(1).optional(),
  /** Loader CPU use (percent of its CPUs) at or above which a trial is flagged loaderBound. */
  loaderBoundPct: z.number().positive().max(100).optional(),
  readyTimeoutS: z.number().positive().optional(),
  out: z.string().optional(),
  /** The engines that run the targets, the services and the loader (docker runtime): unix://, ssh:// or tcp:// addresses; absent: this machine. */
  hosts: z.strictObject({ target: z.string().optional(), service: z.string().optional(), loader: z.string().optional() }).optional(),
  /** Allows plain tcp:// engine addresses (no TLS); the report records it. */
  insecureEngines: z.boolean().optional(),
  /** The private key for ssh:// engines, and the known_hosts file their host keys must be in. */
  sshKey: z.string().optional(),
  sshKnownHosts: z.string().optional(),
});
/** bench.config.ts: the fields above, and the scenarios' options under their keys (validated by run/options.ts). */
export type UserConfig = z.infer<typeof userConfigSchema> & { options?: Record<string, unknown> };

/** Each issue as "<source> <field>: <message> (allowed: ...)"; `prefix` goes before the issue's path (an option's key). */
export function describeZodIssues(error: z.ZodError, source: string, prefix: PropertyKey[] = []): string {
  return error.issues
    .map((i) => {
      const field = [...prefix, ...i.path].map(String).join('.') || '(root)';
      const allowed = 'values' in i && Array.isArray(i.values) ? ` (allowed: ${i.values.join(', ')})` : '';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` ${i.keys.join(', ')}` : '';
      return `${source} ${field}: ${i.message}${keys}${allowed}`;
    })
    .join('; ');
}

/** Reads bench.config.ts; `optionKeys` are the scenarios' options it may set too (their values are checked when the options are resolved). */
export async function loadUserConfig(file: string, optionKeys: readonly string[] = []): Promise<UserConfig> {
  if (!fs.existsSync(file)) return {};
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  } catch (error) {
    throw new UserError(`Cannot load ${file}: ${(error as Error).message}.`, 'Fix the syntax error, or move the file away to run with the defaults.');
  }
  const schema = userConfigSchema.extend(Object.fromEntries(optionKeys.map((k) => [k, z.unknown().optional()])));
  const parsed = schema.safeParse(mod.default ?? {});
  if (!parsed.success) {
    throw new UserError(`Invalid configuration: ${describeZodIssues(parsed.error, file)}.`, `Allowed fields: ${Object.keys(schema.shape).join(', ')}.`);
  }
  const data = parsed.data as Record<string, unknown>;
  const options = Object.fromEntries(optionKeys.filter((k) => data[k] !== undefined).map((k) => [k, data[k]]));
  const core = Object.fromEntries(Object.entries(data).filter(([k]) => !optionKeys.includes(k))) as z.infer<typeof userConfigSchema>;
  return { ...core, ...(Object.keys(options).length && { options }) };
}

export function parseList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

export function parseConnections(text: string): number[] {
  const parts = parseList(text);
  if (parts.length === 0) throw new UserError('--connections is empty.', 'Give a comma-separated list of connection counts, e.g. --connections 16,64,256.');
  return parts.map((p) => {
    const n = Number(p);
    if (!/^\d+$/.test(p) || n < 1 || n > 10000) {
      throw new UserError(`--connections: "${p}" is not a whole number from 1 to 10000.`, 'Give a comma-separated list of connection counts, e.g. --connections 16,64,256.');
    }
    return n;
  });
}

/** "15", "15s", "1.5s", "500ms", "2m" → seconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const value = m ? Number(m[1]) * ({ ms: 0.001, s: 1, m: 60 } as const)[(m[2] ?? 's') as 'ms' | 's' | 'm'] : NaN;
  if (!m || !(value > 0)) throw new UserError(`${flag}: "${text}" is not a duration.`, `Give seconds, e.g. ${flag} 10 or ${flag} 10s (ms and m also work).`);
  return value;
}

/** "95%", "95", "0.95" → 0.95, for --confidence. */
export function parseConfidence(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(%?)$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  const value = m && (m[2] || n > 1) ? n / 100 : n;
  if (!m || !(value > 0 && value < 1)) throw new UserError(`--confidence: "${text}" is not a confidence level between 0 and 1 (or 0% and 100%).`, 'E.g. --confidence 95% or --confidence 0.99.');
  return value;
}

export function parsePositiveInt(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1) throw new UserError(`${flag}: "${text}" is not a whole number >= 1.`, `E.g. ${flag} 3.`);
  return n;
}

export function loadShapeFor(profile: ProfileName, overrides: UserConfig): LoadShape {
  const base = PROFILES[profile];
  return {
    connections: overrides.connections ?? base.connections,
    durationS: overrides.durationS ?? base.durationS,
    warmupS: overrides.warmupS ?? base.warmupS,
    trials: overrides.trials ?? base.trials,
    claimRounds: { max: overrides.maxRounds ?? base.claimRounds.max, budgetS: overrides.budgetS ?? base.claimRounds.budgetS },
    confidence: overrides.confidence ?? base.confidence,
    pipelining: base.pipelining,
    ...(overrides.rate && { rate: overrides.rate }),
  };
}
