// Profiles, the optional bench.config.ts, and CLI flags merged into one validated run plan input.
// Every error names the field and what it accepts.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { UserError } from './errors.ts';
import { LOADER_NAMES } from './load/names.ts';
import type { LoadShape, ProfileName } from './types.ts';

export const PROFILES: Record<ProfileName, LoadShape & { description: string }> = {
  quick: {
    // Short enough that the default run (json, four database scenarios, three WebSocket scenarios,
    // startup and memory on seven targets) fits in the quick start's ten minutes on 2 cores: every
    // HTTP scenario at one level, 128 connections.
    description: 'a first look, in minutes: every HTTP scenario at 128 connections (queries and updates at 20 queries), 4 interleaved trials of 1.5 s after a 1 s warmup (intervals at 87.5%); WebSocket ramps to 1,000 clients',
    connections: [128],
    durationS: 1.5,
    warmupS: 1,
    trials: 4,
    pipelining: 1,
    // One capacity ramp per target (so no interval: the report says so), to 1,000 clients at most.
    ws: { step: 250, ceiling: 1000, rttLimitMs: 250, ramps: 1, sampleMessages: 100, echoClients: 100, echoRatePerClient: 5, broadcastClients: 50, trialS: 1, messageBytes: 32 },
  },
  full: {
    description: 'close to TechEmpower: 15 s trials over 16..512 connections, 6 interleaved trials each after a 5 s warmup (intervals at 96.9%)',
    connections: [16, 32, 64, 128, 256, 512],
    durationS: 15,
    warmupS: 5,
    trials: 6,
    pipelining: 1,
    // Five ramps per target, each on a fresh target: [min, max] of the held clients at 93.75%.
    ws: { step: 5000, ceiling: 50000, rttLimitMs: 250, ramps: 5, sampleMessages: 200, echoClients: 1000, echoRatePerClient: 1, broadcastClients: 500, trialS: 10, messageBytes: 32 },
  },
};

export const RUNTIME_CHOICES = ['local', 'docker', 'auto'] as const;

/** What bench.config.ts may set; the CLI flags override it. */
export const userConfigSchema = z.strictObject({
  targets: z.array(z.string()).optional(),
  scenarios: z.array(z.string()).optional(),
  profile: z.enum(['quick', 'full']).optional(),
  runtime: z.enum(RUNTIME_CHOICES).optional(),
  connections: z.array(z.number().int().positive().max(10000)).min(1).optional(),
  durationS: z.number().positive().optional(),
  warmupS: z.number().nonnegative().optional(),
  trials: z.number().int().positive().optional(),
  /** The HTTP load generator (default harness). */
  loader: z.enum(LOADER_NAMES).optional(),
  /** Open loop: total requests per second of every HTTP trial (default: closed loop). */
  rate: z.number().positive().optional(),
  targetCpus: z.array(z.number().int().nonnegative()).min(1).optional(),
  loaderCpus: z.array(z.number().int().nonnegative()).min(1).optional(),
  serviceCpus: z.array(z.number().int().nonnegative()).min(1).optional(),
  /** Loader CPU use (percent of its CPUs) at or above which a trial is flagged loaderBound. */
  loaderBoundPct: z.number().positive().max(100).optional(),
  readyTimeoutS: z.number().positive().optional(),
  /** The memory scenario's request rate (open loop, the same for every target). */
  memoryRate: z.number().positive().optional(),
  /** ws-capacity: clients added per step, and the ceiling of the ramp. */
  wsStep: z.number().int().positive().optional(),
  wsCeiling: z.number().int().positive().optional(),
  out: z.string().optional(),
});
export type UserConfig = z.infer<typeof userConfigSchema>;

export function describeZodIssues(error: z.ZodError, source: string): string {
  return error.issues
    .map((i) => {
      const field = i.path.join('.') || '(root)';
      const allowed = 'values' in i && Array.isArray(i.values) ? ` (allowed: ${i.values.join(', ')})` : '';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` ${i.keys.join(', ')}` : '';
      return `${source} ${field}: ${i.message}${keys}${allowed}`;
    })
    .join('; ');
}

export async function loadUserConfig(file: string): Promise<UserConfig> {
  if (!fs.existsSync(file)) return {};
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path.resolve(file)).href)) as { default?: unknown };
  } catch (error) {
    throw new UserError(`Cannot load ${file}: ${(error as Error).message}.`, 'Fix the syntax error, or move the file away to run with the defaults.');
  }
  const parsed = userConfigSchema.safeParse(mod.default ?? {});
  if (!parsed.success) {
    throw new UserError(`Invalid configuration: ${describeZodIssues(parsed.error, file)}.`, `Allowed fields: ${Object.keys(userConfigSchema.shape).join(', ')}.`);
  }
  return parsed.data;
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
    pipelining: base.pipelining,
    ...(overrides.rate && { rate: overrides.rate }),
    ...(overrides.memoryRate && { memoryRate: overrides.memoryRate }),
    ...(base.ws && { ws: { ...base.ws, step: overrides.wsStep ?? base.ws.step, ceiling: overrides.wsCeiling ?? base.ws.ceiling } }),
  };
}
