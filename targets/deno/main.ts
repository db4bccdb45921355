// Deno.serve as Deno apps are written for `deno serve`: a default export with a fetch handler.
// `deno serve --parallel` runs one instance (isolate) per CPU (DENO_JOBS), sharing the port.
// The database endpoints use postgres.js from npm (package.json, installed in node_modules): each
// isolate evaluates this module and so holds its own pool of DB_POOL_SIZE connections, created on
// the first database request so that /json and /health need no database.
import postgres from 'postgres';

const SERVER = 'deno';
const MAX_QUERIES = 500;
const WORLD_ROWS = 10000;

interface World {
  id: number;
  randomNumber: number;
}

interface Fortune {
  id: number;
  message: string;
}

class NoDatabaseError extends Error {}

let sql: postgres.Sql | null = null;
function db(): postgres.Sql {
  if (sql) return sql;
  const url = Deno.env.get('DATABASE_URL');
  if (!url) throw new NoDatabaseError('DATABASE_URL is not set: this target was started without a database, so the database endpoints cannot answer.');
  // postgres.js prepares each statement once per connection (its default) and keeps the
  // connections open for the life of the isolate.
  sql = postgres(url, { max: Number(Deno.env.get('DB_POOL_SIZE') ?? 10) });
  // `deno serve` stops accepting on SIGTERM or SIGINT and exits once nothing is left to do; the
  // pool's open connections would keep the isolate alive, so close them then.
  const pool = sql;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    Deno.addSignalListener(signal, () => void pool.end({ timeout: 0 }));
  }
  return sql;
}

const randomId = () => 1 + Math.floor(Math.random() * WORLD_ROWS);

/** TechEmpower's rule: missing, not an integer or below 1 → 1; above 500 → 500. */
function queryCount(url: URL): number {
  const raw = url.searchParams.get('queries');
  if (raw === null || !/^[+-]?\d+$/.test(raw.trim())) return 1;
  return Math.min(Math.max(Number(raw), 1), MAX_QUERIES);
}

async function randomWorld(): Promise<World> {
  const [row] = await db()<World[]>`SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = ${randomId()}`;
  return row!;
}

/** N rows, each read by its own query; the queries run concurrently on the pool. */
function randomWorlds(n: number): Promise<World[]> {
  const reads = new Array<Promise<World>>(n);
  for (let i = 0; i < n; i++) reads[i] = randomWorld();
  return Promise.all(reads);
}

async function updateWorlds(n: number): Promise<World[]> {
  const rows = await randomWorlds(n);
  // One new number per distinct id (the same id can be drawn twice), written by one batched
  // UPDATE in id order, so that concurrent requests take the row locks in the same order.
  const fresh = new Map<number, number>();
  for (const row of rows) fresh.set(row.id, randomId());
  for (const row of rows) row.randomNumber = fresh.get(row.id)!;
  const values = [...fresh].sort((a, b) => a[0] - b[0]);
  await db()`UPDATE world SET randomnumber = v.r::int FROM (VALUES ${db()(values)}) AS v (id, r) WHERE world.id = v.id::int`;
  return rows;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!);

async function fortunesPage(): Promise<string> {
  const fortunes: Fortune[] = [...(await db()<Fortune[]>`SELECT id, message FROM fortune`)];
  fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
  fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return `<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${fortunes
    .map((f) => `<tr><td>${f.id}</td><td>${escapeHtml(f.message)}</td></tr>`)
    .join('')}</table></body></html>`;
}

// Deno adds Date and Content-Length; the Server header is ours.
const json = (value: unknown) => Response.json(value, { headers: { server: SERVER } });

function failure(error: unknown): Response {
  if (!(error instanceof NoDatabaseError)) console.error(error);
  const message = error instanceof NoDatabaseError ? error.message : `database error: ${(error as Error).message}`;
  return new Response(message, { status: 500, headers: { server: SERVER, 'content-type': 'text/plain; charset=utf-8' } });
}

async function database(pathname: string, url: URL): Promise<Response> {
  try {
    switch (pathname) {
      case '/db':
        return json(await randomWorld());
      case '/queries':
        return json(await randomWorlds(queryCount(url)));
      case '/updates':
        return json(await updateWorlds(queryCount(url)));
      default:
        return new Response(await fortunesPage(), { headers: { server: SERVER, 'content-type': 'text/html; charset=utf-8' } });
    }
  } catch (error) {
    return failure(error);
  }
}

export default {
  fetch(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    const { pathname } = url;
    if (pathname === '/json') {
      // A new object serialized per request, as TechEmpower's rules require.
      return json({ message: 'Hello, World!' });
    }
    if (pathname === '/db' || pathname === '/queries' || pathname === '/updates' || pathname === '/fortunes') return database(pathname, url);
    if (pathname === '/health') return new Response('ok', { headers: { server: SERVER, 'content-type': 'text/plain' } });
    return new Response('not found', { status: 404, headers: { server: SERVER, 'content-type': 'text/plain' } });
  },
} satisfies Deno.ServeDefaultExport;
