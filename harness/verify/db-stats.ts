// Counts the statements a target runs on `world` while it answers the verifier's requests, from
// PostgreSQL's own statistics, as TechEmpower's verifier does: pg_stat_statements where it is
// installed, else the primary key's index-scan counter (and n_tup_upd for the writes).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Sql } from 'postgres';
import type { CheckResult } from '../types.ts';

export type CountSource = 'pg_stat_statements' | 'index-scans';

export interface WorldCounts {
  source: CountSource;
  /** Why the index-scan fallback was used (empty with pg_stat_statements). */
  fallbackReason: string;
  /** SELECT statements on world (index scans of its primary key under the fallback). */
  reads: number;
  /** Rows those SELECTs returned (pg_stat_statements only). */
  readRows: number | null;
  /** UPDATE/INSERT statements on world (pg_stat_statements only). */
  writes: number | null;
  /** Rows the writes changed (n_tup_upd under the fallback). */
  rowsWritten: number;
  /** The read statements' texts, most called first, for the details. */
  readStatements: string[];
}

export interface StatementStat {
  query: string;
  calls: number;
  rows: number;
}

/** Where `world` is read or written: FROM/JOIN/UPDATE/INTO world, quoted or schema-qualified. */
const WORLD_TABLE = /\b(?:from|join|update|into)\s+(?:"?[a-z_][\w$]*"?\s*\.\s*)?"?world"?(?![\w$])/i;

/** Whether a statement touches world, and as a read or a write (by its text; null: not world's). */
export function classifyWorldStatement(text: string): 'read' | 'write' | 'other' | null {
  // Comments first: an ORM's sqlcommenter tag must not decide what the statement is.
  const sql = text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/--[^\n]*/g, ' ').trim();
  if (!WORLD_TABLE.test(sql)) return null;
  if (/^\(?\s*select\b/i.test(sql)) return 'read';
  if (/^(update|insert)\b/i.test(sql)) return 'write';
  if (/^with\b/i.test(sql)) return /\b(?:update|insert\s+into)\s+(?:"?[a-z_][\w$]*"?\s*\.\s*)?"?world"?(?![\w$])/i.test(sql) ? 'write' : 'read';
  return 'other';
}

/** Sums pg_stat_statements rows (already the window's deltas) into reads and writes on world. */
export function tallyStatements(stats: readonly StatementStat[]): Omit<WorldCounts, 'source' | 'fallbackReason'> {
  let reads = 0;
  let readRows = 0;
  let writes = 0;
  let rowsWritten = 0;
  const readTexts: StatementStat[] = [];
  for (const s of stats) {
    const kind = classifyWorldStatement(s.query);
    if (kind === 'read') {
      reads += s.calls;
      readRows += s.rows;
      readTexts.push(s);
    } else if (kind === 'write') {
      writes += s.calls;
      rowsWritten += s.rows;
    }
  }
  readTexts.sort((a, b) => b.calls - a.calls);
  return { reads, readRows, writes, rowsWritten, readStatements: readTexts.map((s) => s.query.replace(/\s+/g, ' ').trim()) };
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
const plural = (n: number, one: string, many = `${one}s`) => `${fmt(n)} ${n === 1 ? one : many}`;

export function describeSource(c: Pick<WorldCounts, 'source' | 'fallbackReason'>, what: 'reads' | 'writes'): string {
  if (c.source === 'pg_stat_statements') return 'counted by pg_stat_statements';
  const counter = what === 'reads' ? "index scans of world's primary key (pg_stat_user_indexes, which may include scans made just before)" : "world's n_tup_upd (pg_stat_user_tables)";
  return `counted by ${counter}, because ${c.fallbackReason}`;
}

/**
 * query-count: every row is read by its own query (TechEmpower's rule: no IN/ANY list). Fewer reads
 * than rows fails; more than 5% over warns (TechEmpower's margins).
 */
export function judgeReads(c: WorldCounts, requests: number, rowsPerRequest: number): CheckResult {
  const name = 'query-count';
  const expected = requests * rowsPerRequest;
  const perRequest = c.reads / requests;
  const source = describeSource(c, 'reads');
  const rows = c.readRows === null ? '' : ` returning ${plural(c.readRows, 'row')}`;
  const sample = c.readStatements[0] ? `; e.g. ${JSON.stringify(c.readStatements[0].slice(0, 120))}` : '';
  if (c.reads < expected) {
    return {
      name,
      status: 'fail',
      detail: `ran ${plural(perRequest, 'query', 'queries')} per request for ${plural(rowsPerRequest, 'row')}: ${plural(c.reads, 'SELECT')} on world${rows} for ${plural(requests, 'request')}, expected ${expected}, one query per row, no IN/ANY list (${source})${sample}`,
    };
  }
  // Index scans also count the UPDATEs' own and those flushed late from earlier requests: no upper bound there.
  const upperBound = c.source === 'index-scans' ? Infinity : expected * 1.05;
  if (c.reads > upperBound) {
    return { name, status: 'warn', detail: `ran ${plural(perRequest, 'query', 'queries')} per request for ${plural(rowsPerRequest, 'row')}: ${c.reads} SELECTs on world for ${plural(requests, 'request')}, more than the ${expected} expected (${source})` };
  }
  return { name, status: 'pass', detail: `${plural(c.reads, c.source === 'index-scans' ? 'index scan' : 'SELECT')} on world${rows} for ${plural(requests, 'request')} of ${plural(rowsPerRequest, 'row')} (${source})` };
}

/** update-count: the rows were written back; batching is allowed, so rows written count, not statements. */
export function judgeWrites(c: WorldCounts, requests: number, rowsPerRequest: number): CheckResult {
  const name = 'update-count';
  const expected = requests * rowsPerRequest;
  // Random ids repeat now and then and a batched UPDATE writes a repeated row once: 5% slack.
  const least = Math.ceil(expected * 0.95);
  const statements = c.writes === null ? '' : `${plural(c.writes, 'UPDATE')} on world `;
  const what = `${statements}${c.writes === null ? 'world\'s n_tup_upd rose by ' : 'updated '}${plural(c.rowsWritten, 'row')} for ${plural(requests, 'request')} of ${plural(rowsPerRequest, 'row')}`;
  if (c.rowsWritten < least) return { name, status: 'fail', detail: `${what}, expected at least ${least} (${describeSource(c, 'writes')})` };
  return { name, status: 'pass', detail: `${what} (${describeSource(c, 'writes')})` };
}

export interface CountOptions {
  /** 'auto' (default): pg_stat_statements if usable, else index scans. */
  source?: 'auto' | CountSource;
  /** The longest the fallback waits for backends to flush their counters, before and after the requests (PostgreSQL 15+: up to 10 s). */
  settleMs?: number;
}

export interface WorldCounter {
  source: CountSource;
  /** Reads the counts since start; the fallback polls until `expect` is reached, nothing can be pending any more, or settleMs passed. */
  finish(expect: { reads: number; rowsWritten: number }): Promise<WorldCounts>;
}

const num = (v: unknown) => Number(v ?? 0);

/** Why pg_stat_statements cannot count here, or null when it can. */
async function statementsUnusable(sql: Sql): Promise<string | null> {
  const [ext] = await sql`SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements'`;
  if (!ext) return 'pg_stat_statements is not installed in this database';
  const [track] = await sql<{ track: string | null }[]>`SELECT current_setting('pg_stat_statements.track', true) AS track`;
  if (track?.track === 'none') return 'pg_stat_statements.track is none';
  try {
    await sql`SELECT 1 FROM pg_stat_statements LIMIT 1`;
  } catch (error) {
    return `pg_stat_statements cannot be read (${(error as Error).message})`;
  }
  return null;
}

async function statementsSnapshot(sql: Sql): Promise<Map<string, StatementStat>> {
  // SELECT *: the toplevel column exists from PostgreSQL 14 on only.
  const rows = await sql<Record<string, unknown>[]>`SELECT * FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())`;
  const snapshot = new Map<string, StatementStat>();
  for (const r of rows) {
    if (r.toplevel === false) continue; // with track=all, a statement nested in a function is counted twice otherwise
    snapshot.set(`${String(r.userid)}:${String(r.queryid)}`, { query: String(r.query ?? ''), calls: num(r.calls), rows: num(r.rows) });
  }
  return snapshot;
}

async function indexSnapshot(sql: Sql): Promise<{ scans: number; updated: number } | null> {
  const [row] = await sql<{ scans: string; updated: string }[]>`
    SELECT COALESCE(s.idx_scan, 0)::text AS scans, COALESCE(t.n_tup_upd, 0)::text AS updated
    FROM pg_index i
    JOIN pg_stat_user_indexes s ON s.indexrelid = i.indexrelid
    JOIN pg_stat_user_tables t ON t.relid = i.indrelid
    WHERE i.indrelid = to_regclass('world') AND i.indisprimary`;
  return row ? { scans: num(row.scans), updated: num(row.updated) } : null;
}

/** Starts counting world's statements on the verifier's own connection. Throws when the database cannot be read. */
export async function startWorldCounter(sql: Sql, options: CountOptions = {}): Promise<WorldCounter> {
  const wanted = options.source ?? 'auto';
  let fallbackReason = wanted === 'index-scans' ? 'the verifier was asked to use them' : '';
  if (wanted !== 'index-scans') {
    const unusable = await statementsUnusable(sql);
    if (unusable === null) {
      // Reset as TechEmpower does; the before/after difference still counts right if the reset is refused.
      await sql`SELECT pg_stat_statements_reset()`.catch(() => undefined);
      const before = await statementsSnapshot(sql);
      return {
        source: 'pg_stat_statements',
        async finish() {
          // A statement is recorded when it completes, before the target sees its result: no wait needed.
          const after = await statementsSnapshot(sql);
          const deltas = [...after].map(([key, s]) => {
            const b = before.get(key);
            return { query: s.query, calls: s.calls - (b?.calls ?? 0), rows: s.rows - (b?.rows ?? 0) };
          });
          return { source: 'pg_stat_statements', fallbackReason: '', ...tallyStatements(deltas.filter((d) => d.calls > 0)) };
        },
      };
    }
    if (wanted === 'pg_stat_statements') throw new Error(unusable);
    fallbackReason = unusable;
  }
  // Counters another backend has not flushed yet would land in the window: wait until none can be pending.
  const settleMs = options.settleMs ?? 12_000;
  await waitUntilFlushed(sql, Date.now() + settleMs);
  const before = await indexSnapshot(sql);
  if (!before) throw new Error('table world has no primary key index to count scans on');
  return {
    source: 'index-scans',
    async finish(expect) {
      const deadline = Date.now() + settleMs;
      let now = before;
      for (;;) {
        now = (await indexSnapshot(sql)) ?? now;
        const done = now.scans - before.scans >= expect.reads && now.updated - before.updated >= expect.rowsWritten;
        if (done || Date.now() >= deadline || (await quietMs(sql)) >= FLUSHED_AFTER_IDLE_MS) break;
        await sleep(250);
      }
      // One more read: the last backend may have flushed between the read and the quiet test.
      now = (await indexSnapshot(sql)) ?? now;
      return {
        source: 'index-scans',
        fallbackReason,
        reads: now.scans - before.scans,
        readRows: null,
        writes: null,
        rowsWritten: now.updated - before.updated,
        readStatements: [],
      };
    },
  };
}

/**
 * PostgreSQL 15+ backends flush their counters at most once a second; one that goes idle less
 * than a second after its last flush waits PGSTAT_IDLE_INTERVAL (10 s). So once every other
 * backend of the database has been idle for longer than that, nothing is pending.
 */
const FLUSHED_AFTER_IDLE_MS = 10_500;

/** How long every other client backend of this database has been idle (0 while one is busy). */
async function quietMs(sql: Sql): Promise<number> {
  const [row] = await sql<{ busy: boolean; quiet_ms: number | null }[]>`
    SELECT bool_or(state IS DISTINCT FROM 'idle') AS busy,
           (EXTRACT(EPOCH FROM clock_timestamp() - max(state_change)) * 1000)::float8 AS quiet_ms
    FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'`;
  if (!row || row.quiet_ms === null) return Infinity;
  return row.busy ? 0 : row.quiet_ms;
}

async function waitUntilFlushed(sql: Sql, deadline: number): Promise<void> {
  for (;;) {
    const quiet = await quietMs(sql);
    if (quiet >= FLUSHED_AFTER_IDLE_MS || Date.now() >= deadline) return;
    await sleep(Math.min(FLUSHED_AFTER_IDLE_MS - quiet + 50, Math.max(0, deadline - Date.now()), 1000));
  }
}
