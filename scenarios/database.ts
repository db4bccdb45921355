// What the database scenarios (db, queries, fortunes, updates) share: PostgreSQL as their service,
// their load levels per profile, and contract checks that are handed the database's address so they
// can count each request's queries in PostgreSQL's own statistics.
import { postgresService } from '../harness/services/postgres.ts';
import type { HttpLevel } from '../harness/http/schema.ts';
import type { CheckResult, LoadShape, ProfileName, RunningTarget, VerifyContext } from '../harness/types.ts';

export const DATABASE_SERVICES = [postgresService];

/** TechEmpower's query counts per request for the multiple-queries and updates tests. */
export const QUERY_COUNTS = [1, 5, 10, 20] as const;

/** db and fortunes: every connection level in full; the quick profile (a smoke run that must fit in
 * minutes with five database targets) measures the highest level only. */
export function connectionLevels(load: LoadShape, profile: ProfileName): HttpLevel[] {
  const levels = load.connections.map((connections) => ({ connections }));
  return profile === 'quick' ? levels.slice(-1) : levels;
}

/** queries and updates: at the highest connection level (TechEmpower runs them at its highest,
 * 512), 1, 5, 10 and 20 queries per request in full; the quick profile only 20, the headline figure. */
export function queryLevels(load: LoadShape, profile: ProfileName): HttpLevel[] {
  const connections = Math.max(...load.connections);
  const counts = profile === 'quick' ? QUERY_COUNTS.slice(-1) : QUERY_COUNTS;
  return counts.map((queries) => ({ connections, params: { queries } }));
}

/** Wraps a database contract check: it gets the target's URL and the database the run started. */
export function withDatabase(check: (url: string, databaseUrl: string) => Promise<CheckResult[]>) {
  return async (running: RunningTarget, ctx: VerifyContext): Promise<CheckResult[]> => {
    const databaseUrl = ctx.services.find((s) => s.service.name === postgresService.name)?.env.DATABASE_URL;
    if (!databaseUrl) return [{ name: 'database', status: 'fail', detail: `the ${postgresService.name} service was not started, so the contract cannot be checked` }];
    return check(running.url, databaseUrl);
  };
}
