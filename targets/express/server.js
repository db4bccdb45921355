// Express 5 as it is deployed: production mode, one process per CPU with cluster (a process
// manager such as pm2 in cluster mode does the same), the primary only supervises. The database
// endpoints use node-postgres (pg.Pool, one pool of DB_POOL_SIZE connections per worker process,
// created on the first database request so that /json and /health need no database) and render
// /fortunes with EJS through res.render (views/fortunes.ejs; Express caches the compiled
// template in production).
import cluster from 'node:cluster';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import pg from 'pg';

const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const poolSize = Number(process.env.DB_POOL_SIZE ?? 10);

const MAX_QUERIES = 500;
const WORLD_ROWS = 10000;

class NoDatabaseError extends Error {}

let pool = null;
function db() {
  if (pool) return pool;
  const connectionString = process.env.DATABASE_URL;
  if (!connectionString) throw new NoDatabaseError('DATABASE_URL is not set: this target was started without a database, so the database endpoints cannot answer.');
  // Connections stay open for the life of the process (no idle timeout), as a busy service's do.
  pool = new pg.Pool({ connectionString, max: poolSize, idleTimeoutMillis: 0 });
  // An idle connection that breaks must not take the process down; the pool replaces it.
  pool.on('error', (error) => console.error('idle database connection failed:', error.message));
  return pool;
}

const randomId = () => 1 + Math.floor(Math.random() * WORLD_ROWS);

/** TechEmpower's rule: missing, not an integer or below 1 → 1; above 500 → 500. */
function queryCount(raw) {
  if (typeof raw !== 'string' || !/^[+-]?\d+$/.test(raw.trim())) return 1;
  return Math.min(Math.max(Number(raw), 1), MAX_QUERIES);
}

async function randomWorld() {
  const { rows } = await db().query('SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = $1', [randomId()]);
  return rows[0];
}

/** N rows, each read by its own query; the queries run concurrently on the pool. */
function randomWorlds(n) {
  const reads = new Array(n);
  for (let i = 0; i < n; i++) reads[i] = randomWorld();
  return Promise.all(reads);
}

async function updateWorlds(n) {
  const rows = await randomWorlds(n);
  // One new number per distinct id (the same id can be drawn twice), written by one batched
  // UPDATE in id order, so that concurrent requests take the row locks in the same order.
  const fresh = new Map();
  for (const row of rows) fresh.set(row.id, randomId());
  for (const row of rows) row.randomNumber = fresh.get(row.id);
  const values = [...fresh].sort((a, b) => a[0] - b[0]).flat();
  const tuples = [];
  for (let i = 1; i < values.length; i += 2) tuples.push(`($${i}::int, $${i + 1}::int)`);
  await db().query(`UPDATE world SET randomnumber = v.r FROM (VALUES ${tuples.join(', ')}) AS v (id, r) WHERE world.id = v.id`, values);
  return rows;
}

async function fortunes() {
  const { rows } = await db().query('SELECT id, message FROM fortune');
  rows.push({ id: 0, message: 'Additional fortune added at request time.' });
  return rows.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}

function serve() {
  const app = express();
  app.disable('x-powered-by');
  app.set('views', path.join(path.dirname(fileURLToPath(import.meta.url)), 'views'));
  app.set('view engine', 'ejs');
  // Express sends no Server header of its own; the contract requires one.
  app.use((_req, res, next) => {
    res.set('Server', 'express');
    next();
  });
  app.get('/json', (_req, res) => {
    res.json({ message: 'Hello, World!' });
  });
  // Express 5 passes a rejected promise from a handler to the error handler below.
  app.get('/db', async (_req, res) => {
    res.json(await randomWorld());
  });
  app.get('/queries', async (req, res) => {
    res.json(await randomWorlds(queryCount(req.query.queries)));
  });
  app.get('/updates', async (req, res) => {
    res.json(await updateWorlds(queryCount(req.query.queries)));
  });
  app.get('/fortunes', async (_req, res) => {
    res.render('fortunes', { fortunes: await fortunes() });
  });
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
  });
  // Express's default handler hides the message in production; say why a database endpoint failed.
  app.use((error, _req, res, next) => {
    if (res.headersSent) return next(error);
    if (!(error instanceof NoDatabaseError)) console.error(error);
    res.status(500).type('text/plain').send(error instanceof NoDatabaseError ? error.message : `database error: ${error.message}`);
  });
  app.listen(port, host);
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal ?? code})`);
  });
} else {
  serve();
}

// Node gives SIGTERM no default action when it runs as PID 1 (in a container): exit at once, so a
// stop does not wait out the engine's timeout. The workers end with the primary's container.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
