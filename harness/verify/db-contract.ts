// Contract checks for the database endpoints (/db, /queries, /updates, /fortunes), after
// TechEmpower's verifier: row shapes, N clamped to 1..500, the fortunes table read back against
// the database, updates that reach the database, and the number of queries each request ran,
// counted in PostgreSQL's own statistics. Each verify call opens its own connection with
// postgres.js and closes it; it never throws: what goes wrong becomes a 'fail' check.
import postgres, { type Sql } from 'postgres';
import type { CheckResult } from '../types.ts';
import { startWorldCounter, judgeReads, judgeWrites, type CountSource, type WorldCounter, type WorldCounts } from './db-stats.ts';
import { checkFortunesBody, type FortuneRow } from './fortunes-html.ts';
import { httpGet, type HttpSnapshot } from './http-get.ts';
import { checkJsonResponse } from './json-contract.ts';

export const WORLD_ROWS = 10_000;
export const MAX_QUERIES = 500;

export interface DbVerifyOptions {
  /** Requests made while the queries are counted (default: 5 for /db, 3 for /queries and /updates). */
  requests?: number;
  /** N of /queries and /updates in the counted requests (default 20). */
  queries?: number;
  /** Where the queries are counted from (default 'auto': pg_stat_statements if usable). */
  countSource?: 'auto' | CountSource;
  /** The longest the index-scan fallback waits for late counters, before and after the requests (default 12 s). */
  settleMs?: number;
  /** Per request (default 10 s; the 500-row requests get twice that). */
  timeoutMs?: number;
}

export interface WorldRow {
  id: number;
  randomNumber: number;
}

const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
const warn = (name: string, detail: string): CheckResult => ({ name, status: 'warn', detail });
const fail = (name: string, detail: string): CheckResult => ({ name, status: 'fail', detail });
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
const listed = (problems: string[]) => `${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; and ${problems.length - 3} more` : ''}`;

// ---------------------------------------------------------------------------------------------
// Pure checks

/** TechEmpower's clamping: a missing or non-integer N is 1, N is clamped to 1..500. */
export function expectedQueriesCount(raw: string | null | undefined): number {
  if (raw === null || raw === undefined || !/^\s*[+-]?\d+\s*$/.test(raw)) return 1;
  return Math.min(MAX_QUERIES, Math.max(1, Number(raw)));
}

/** The clamping cases every /queries and /updates target is asked (N itself is asked while counting). */
export const CLAMP_CASES: readonly { name: string; query: string; raw: string | null }[] = [
  { name: 'count:queries=0', query: '?queries=0', raw: '0' },
  { name: 'count:queries=foo', query: '?queries=foo', raw: 'foo' },
  { name: 'count:queries=', query: '?queries=', raw: '' },
  { name: 'count:no-parameter', query: '', raw: null },
  { name: 'count:queries=501', query: '?queries=501', raw: '501' },
];

const inRange = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= WORLD_ROWS;

/** What is wrong with one World row as answered: an empty list when it is {id, randomNumber}, both integers in 1..10000. */
export function worldRowProblems(value: unknown): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`expected an object {id, randomNumber}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  const row = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of ['id', 'randomNumber'] as const) {
    if (!(key in row)) {
      const other = Object.keys(row).find((k) => k.toLowerCase() === key.toLowerCase());
      problems.push(other ? `key "${other}" instead of "${key}"` : `no "${key}"`);
    } else if (!inRange(row[key])) {
      problems.push(`${key} ${JSON.stringify(row[key])} is not an integer in 1..${WORLD_ROWS}`);
    }
  }
  return problems;
}

export interface ParsedWorldBody {
  /** The valid rows (shape problems leave a row out). */
  rows: WorldRow[];
  /** Number of entries answered (the array's length, 1 for an object), or null when the body is not of the expected kind. */
  count: number | null;
  problems: string[];
  extraKeys: string[];
}

/** Parses a /db body (one object) or a /queries or /updates body (an array of rows). */
export function parseWorldBody(body: Buffer, shape: 'object' | 'array'): ParsedWorldBody {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return { rows: [], count: null, problems: [`not JSON: ${JSON.stringify(body.toString('utf8').slice(0, 60))}`], extraKeys: [] };
  }
  if (shape === 'array' && !Array.isArray(value)) return { rows: [], count: null, problems: [`expected an array of rows, got ${JSON.stringify(value)?.slice(0, 60)}`], extraKeys: [] };
  if (shape === 'object' && Array.isArray(value)) return { rows: [], count: null, problems: [`expected one object, got an array of ${value.length}`], extraKeys: [] };
  const items: unknown[] = shape === 'array' ? (value as unknown[]) : [value];
  const rows: WorldRow[] = [];
  const problems: string[] = [];
  const extraKeys = new Set<string>();
  items.forEach((item, i) => {
    const p = worldRowProblems(item);
    if (p.length > 0) problems.push(`${shape === 'array' ? `row ${i}: ` : ''}${p.join(', ')}`);
    else {
      const row = item as Record<string, unknown>;
      rows.push({ id: row.id as number, randomNumber: row.randomNumber as number });
      for (const k of Object.keys(row)) if (k !== 'id' && k !== 'randomNumber') extraKeys.add(k);
    }
  });
  return { rows, count: items.length, problems, extraKeys: [...extraKeys] };
}

/** row-shape over every response of one verify call. */
export function checkRowShape(parsed: readonly { label: string; body: ParsedWorldBody }[]): CheckResult {
  const bad = parsed.filter((p) => p.body.problems.length > 0);
  if (bad.length > 0) return fail('row-shape', `${bad[0]!.label}: ${listed(bad[0]!.body.problems)}${bad.length > 1 ? ` (and ${bad.length - 1} more responses)` : ''}`);
  const extra = [...new Set(parsed.flatMap((p) => p.body.extraKeys))];
  const rows = parsed.reduce((n, p) => n + p.body.rows.length, 0);
  if (extra.length > 0) return warn('row-shape', `extra keys besides id and randomNumber: ${extra.join(', ')}`);
  return pass('row-shape', `${rows} rows of {id, randomNumber}, integers in 1..${WORLD_ROWS}`);
}

/** count:<case>: as many rows as the clamped N. */
export function checkRowCount(name: string, raw: string | null, body: ParsedWorldBody | Error): CheckResult {
  const expected = expectedQueriesCount(raw);
  const asked = raw === null ? 'no parameter' : `queries=${JSON.stringify(raw)}`;
  if (body instanceof Error) return fail(name, `request failed: ${body.message}`);
  if (body.count === null) return fail(name, `${asked}: ${body.problems[0] ?? 'no rows'}`);
  if (body.count !== expected) return fail(name, `${asked}: expected ${expected} row${expected === 1 ? '' : 's'}, got ${body.count}`);
  return pass(name, `${asked}: ${expected} row${expected === 1 ? '' : 's'}`);
}

/** rows-match-database: each answered randomNumber is the one the database holds for that id. */
export function checkRowsMatch(rows: readonly WorldRow[], world: ReadonlyMap<number, number>): CheckResult {
  const wrong = rows.filter((r) => world.get(r.id) !== r.randomNumber);
  if (rows.length === 0) return fail('rows-match-database', 'no valid rows to compare');
  if (wrong.length > 0) {
    const w = wrong[0]!;
    return fail('rows-match-database', `${wrong.length} of ${rows.length} rows differ from the database: id ${w.id} answered randomNumber ${w.randomNumber}, the database holds ${world.get(w.id)}`);
  }
  return pass('rows-match-database', `all ${rows.length} rows as in the database`);
}

/**
 * updates-persisted: after the requests, the database holds the randomNumber returned for each
 * id. Requests are sequential, so the last request naming an id decides; within it, any of the
 * values given for a repeated id is accepted (which one a batched UPDATE keeps is the target's choice).
 */
export function checkUpdatesPersisted(responses: readonly (readonly WorldRow[])[], after: ReadonlyMap<number, number>): CheckResult {
  const name = 'updates-persisted';
  const last = new Map<number, Set<number>>();
  for (const rows of responses) {
    const mine = new Map<number, Set<number>>();
    for (const r of rows) mine.set(r.id, (mine.get(r.id) ?? new Set()).add(r.randomNumber));
    for (const [id, values] of mine) last.set(id, values);
  }
  if (last.size === 0) return fail(name, 'no valid rows to compare');
  const lost = [...last].filter(([id, values]) => !values.has(after.get(id) ?? NaN));
  if (lost.length > 0) {
    const [id, values] = lost[0]!;
    return fail(name, `${lost.length} of ${last.size} updated rows are not in the database: id ${id} was answered with randomNumber ${[...values].join(' or ')}, the database holds ${after.get(id)}`);
  }
  return pass(name, `the database holds the answered randomNumber of all ${last.size} rows`);
}

/** updates-changed: the answered numbers are new ones, not simply the rows as they were read. */
export function checkUpdatesChanged(responses: readonly (readonly WorldRow[])[], before: ReadonlyMap<number, number>): CheckResult {
  const name = 'updates-changed';
  // The first answer for each id only: a later request reads what an earlier one wrote.
  const first = new Map<number, number>();
  for (const rows of responses) for (const r of rows) if (!first.has(r.id)) first.set(r.id, r.randomNumber);
  if (first.size === 0) return fail(name, 'no valid rows to compare');
  const unchanged = [...first].filter(([id, n]) => before.get(id) === n).length;
  // A new random number equals the old one once in 10,000: only all-unchanged is a fault.
  if (unchanged === first.size) return fail(name, `all ${first.size} answered rows carry the randomNumber they had before the request: nothing was changed`);
  return pass(name, `${first.size - unchanged} of ${first.size} rows got a new randomNumber`);
}

const JSON_HEADER_CHECKS = ['status', 'content-type', 'server-header', 'content-length', 'date-header'];
const OTHER_HEADER_CHECKS = ['status', 'server-header', 'content-length', 'date-header'];

/**
 * status, content-type, server-header, content-length, date-header for a JSON answer; the same
 * without content-type for another kind. Taken from the /json contract's checks, so both agree.
 */
export function checkCommonHeaders(res: HttpSnapshot, body: 'application/json' | 'other', now = Date.now()): CheckResult[] {
  const names = body === 'application/json' ? JSON_HEADER_CHECKS : OTHER_HEADER_CHECKS;
  return checkJsonResponse(res, now).filter((c) => names.includes(c.name));
}

/** content-type for /fortunes: text/html with the charset given, and UTF-8. */
export function checkHtmlContentType(res: HttpSnapshot): CheckResult {
  const type = String(res.headers['content-type'] ?? '');
  if (/^text\/html\s*;\s*charset\s*=\s*"?utf-8"?\s*$/i.test(type)) return pass('content-type', type);
  return fail('content-type', type ? `expected text/html; charset=utf-8, got "${type}"` : 'Content-Type header missing');
}

/** Merges the same checks made on several responses into one each: the worst wins, its detail says which request. */
export function mergeChecks(groups: readonly { label: string; checks: readonly CheckResult[] }[]): CheckResult[] {
  const byName = new Map<string, { label: string; check: CheckResult }[]>();
  for (const g of groups) for (const check of g.checks) byName.set(check.name, [...(byName.get(check.name) ?? []), { label: g.label, check }]);
  return [...byName].map(([name, all]) => {
    const worst = all.find((x) => x.check.status === 'fail') ?? all.find((x) => x.check.status === 'warn');
    if (!worst) return pass(name, all.length > 1 ? `${all[0]!.check.detail} (and ${all.length - 1} more responses alike)` : all[0]!.check.detail);
    const same = all.filter((x) => x.check.status === worst.check.status).length;
    return { name, status: worst.check.status, detail: `${worst.label}: ${worst.check.detail}${same > 1 ? ` (and ${same - 1} more of ${all.length} responses)` : ''}` };
  });
}

// ---------------------------------------------------------------------------------------------
// The verify calls

interface Answer {
  label: string;
  res: HttpSnapshot | Error;
}

async function get(base: string, path: string, timeoutMs: number): Promise<Answer> {
  const label = `GET ${path}`;
  try {
    return { label, res: await httpGet(`${base}${path}`, timeoutMs) };
  } catch (error) {
    return { label, res: error instanceof Error ? error : new Error(String(error)) };
  }
}

function openDatabase(databaseUrl: string): Sql {
  return postgres(databaseUrl, { max: 1, connect_timeout: 10, idle_timeout: 0, onnotice: () => {}, connection: { application_name: 'bench-verify' } });
}

/** All of world as id → randomNumber: one sequential scan, which adds nothing to the primary key's index-scan counter. */
async function readWorld(sql: Sql): Promise<Map<number, number>> {
  const rows = await sql<{ id: number; randomnumber: number }[]>`SELECT id, randomnumber FROM world`;
  return new Map(rows.map((r) => [r.id, r.randomnumber]));
}

/** Header checks over every answer, and 'reachable' when some request failed. */
function headerChecks(answers: readonly Answer[], body: 'application/json' | 'other'): CheckResult[] {
  const failed = answers.filter((a) => a.res instanceof Error);
  const merged = mergeChecks(answers.flatMap((a) => (a.res instanceof Error ? [] : [{ label: a.label, checks: checkCommonHeaders(a.res, body) }])));
  if (failed.length === 0) return merged;
  return [fail('reachable', `${failed[0]!.label} failed: ${(failed[0]!.res as Error).message}${failed.length > 1 ? ` (and ${failed.length - 1} more requests)` : ''}`), ...merged];
}

/** The work shared by /db, /queries and /updates: counted requests, read-backs, clamping cases. */
async function verifyWorldEndpoint(endpoint: '/db' | '/queries' | '/updates', url: string, databaseUrl: string, options: DbVerifyOptions): Promise<CheckResult[]> {
  const base = url.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const requests = Math.max(1, options.requests ?? (endpoint === '/db' ? 5 : 3));
  const n = endpoint === '/db' ? 1 : expectedQueriesCount(String(options.queries ?? 20));
  const path = endpoint === '/db' ? '/db' : `${endpoint}?queries=${n}`;
  const shape = endpoint === '/db' ? 'object' : 'array';
  const checks: CheckResult[] = [];
  const sql = openDatabase(databaseUrl);
  try {
    let dbError: string | null = null;
    let before: Map<number, number> | null = null;
    let counter: WorldCounter | null = null;
    try {
      // Read before counting: the verifier's own statements stay out of the count.
      if (endpoint === '/updates') before = await readWorld(sql);
      counter = await startWorldCounter(sql, { source: options.countSource, settleMs: options.settleMs });
    } catch (error) {
      dbError = `cannot read the database at ${redact(databaseUrl)}: ${message(error)}`;
    }

    const counted: Answer[] = [];
    for (let i = 0; i < requests; i++) counted.push(await get(base, path, timeoutMs));
    if (counted.every((a) => a.res instanceof Error)) return [fail('reachable', `${path} failed: ${(counted[0]!.res as Error).message}`)];

    let counts: WorldCounts | null = null;
    let after: Map<number, number> | null = null;
    if (counter) {
      try {
        const least = Math.ceil(requests * n * 0.95);
        counts = await counter.finish({ reads: requests * n, rowsWritten: endpoint === '/updates' ? least : 0 });
        after = await readWorld(sql);
      } catch (error) {
        dbError = `cannot read the database at ${redact(databaseUrl)}: ${message(error)}`;
      }
    }

    const clamps: { name: string; raw: string | null; answer: Answer }[] = [];
    if (endpoint !== '/db') {
      for (const c of CLAMP_CASES) {
        clamps.push({ name: c.name, raw: c.raw, answer: await get(base, `${endpoint}${c.query}`, expectedQueriesCount(c.raw) > 100 ? timeoutMs * 2 : timeoutMs) });
      }
    }

    const all = [...counted, ...clamps.map((c) => c.answer)];
    checks.push(...headerChecks(all, 'application/json'));
    const parse = (a: Answer) => (a.res instanceof Error ? a.res : parseWorldBody(a.res.body, shape));
    const parsedCounted = counted.map((a) => ({ label: a.label, body: parse(a) }));
    const parsedAll = [...parsedCounted, ...clamps.map((c) => ({ label: c.answer.label, body: parse(c.answer) }))];
    checks.push(checkRowShape(parsedAll.flatMap((p) => (p.body instanceof Error ? [] : [{ label: p.label, body: p.body }]))));
    if (endpoint !== '/db') {
      // The counted requests are also the count:queries=N case.
      const wrong = parsedCounted.find((p) => p.body instanceof Error || p.body.count !== n) ?? parsedCounted[0]!;
      checks.push(checkRowCount(`count:queries=${n}`, String(n), wrong.body));
      for (const c of clamps) checks.push(checkRowCount(c.name, c.raw, parse(c.answer)));
    }

    const answered = parsedCounted.map((p) => (p.body instanceof Error ? [] : p.body.rows));
    if (dbError) checks.push(fail('database', dbError));
    if (after && endpoint !== '/updates') checks.push(checkRowsMatch(answered.flat(), after));
    if (after && before && endpoint === '/updates') {
      checks.push(checkUpdatesPersisted(answered, after));
      checks.push(checkUpdatesChanged(answered, before));
    }
    if (counts) {
      checks.push(judgeReads(counts, requests, n));
      if (endpoint === '/updates') checks.push(judgeWrites(counts, requests, n));
    }
    return checks;
  } catch (error) {
    return [...checks, fail('verifier', `the check itself failed: ${message(error)}`)];
  } finally {
    await sql.end({ timeout: 2 }).catch(() => undefined);
  }
}

/** The password never goes into a check's detail. */
function redact(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'DATABASE_URL';
  }
}

/** GET /db: one row, as in the database, read by one query per request. */
export function verifyDbEndpoint(url: string, databaseUrl: string, options: DbVerifyOptions = {}): Promise<CheckResult[]> {
  return verifyWorldEndpoint('/db', url, databaseUrl, options);
}

/** GET /queries?queries=N: N rows, N clamped, each row read by its own query. */
export function verifyQueriesEndpoint(url: string, databaseUrl: string, options: DbVerifyOptions = {}): Promise<CheckResult[]> {
  return verifyWorldEndpoint('/queries', url, databaseUrl, options);
}

/** GET /updates?queries=N: as /queries, and the returned numbers are written to the database. */
export function verifyUpdatesEndpoint(url: string, databaseUrl: string, options: DbVerifyOptions = {}): Promise<CheckResult[]> {
  return verifyWorldEndpoint('/updates', url, databaseUrl, options);
}

/** GET /fortunes: the HTML table of the database's fortunes plus the added one, sorted and escaped. */
export async function verifyFortunesEndpoint(url: string, databaseUrl: string, options: Pick<DbVerifyOptions, 'timeoutMs'> = {}): Promise<CheckResult[]> {
  const base = url.replace(/\/+$/, '');
  const sql = openDatabase(databaseUrl);
  try {
    let dbRows: FortuneRow[] | null = null;
    let dbError = '';
    try {
      dbRows = (await sql<{ id: number; message: string }[]>`SELECT id, message FROM fortune`).map((r) => ({ id: r.id, message: r.message }));
    } catch (error) {
      dbError = `cannot read the database at ${redact(databaseUrl)}: ${message(error)}`;
    }
    const answer = await get(base, '/fortunes', options.timeoutMs ?? 10_000);
    if (answer.res instanceof Error) return [fail('reachable', `GET /fortunes failed: ${answer.res.message}`)];
    const common = checkCommonHeaders(answer.res, 'other');
    const checks = [...common.filter((c) => c.name === 'status'), checkHtmlContentType(answer.res), ...common.filter((c) => c.name !== 'status')];
    if (dbRows) checks.push(...checkFortunesBody(answer.res.body, dbRows));
    else checks.push(fail('database', dbError));
    return checks;
  } catch (error) {
    return [fail('verifier', `the check itself failed: ${message(error)}`)];
  } finally {
    await sql.end({ timeout: 2 }).catch(() => undefined);
  }
}
