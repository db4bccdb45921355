// node:http as Node.js services are written without a framework: one process per CPU with
// cluster (WORKERS of them), the primary only supervises. The database endpoints use postgres.js
// with one pool per worker process (DB_POOL_SIZE connections at most), created on the first
// database request so that /json and /health need no database.
//
// WebSockets: the `ws` library on the same node:http server and port (its `upgrade` event). /ws/echo
// sends each message back to its sender; /ws/broadcast relays each message to every client of
// /ws/broadcast, the sender included, exactly once. With one worker the worker's own client set is
// all there is. With several, every broadcast goes through a layer shared by the workers, and each
// worker delivers only what comes back from that layer to its own clients (so the sender's worker
// is not special and nobody gets a message twice):
//   - Redis pub/sub (node-redis) when REDIS_URL is set: each worker publishes to one channel and
//     subscribes to it, connected before it listens;
//   - otherwise Node's cluster IPC: the worker sends the message to the primary, which relays it to
//     every worker.
import cluster from 'node:cluster';
import http from 'node:http';
import postgres from 'postgres';
import { WebSocketServer } from 'ws';

const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const poolSize = Number(process.env.DB_POOL_SIZE ?? 10);

const SERVER = 'node';
const MAX_QUERIES = 500;
const WORLD_ROWS = 10000;

class NoDatabaseError extends Error {}

let sql = null;
function db() {
  if (sql) return sql;
  const url = process.env.DATABASE_URL;
  if (!url) throw new NoDatabaseError('DATABASE_URL is not set: this target was started without a database, so the database endpoints cannot answer.');
  // postgres.js prepares each statement once per connection (its default) and keeps the
  // connections open for the life of the process.
  sql = postgres(url, { max: poolSize });
  return sql;
}

const randomId = () => 1 + Math.floor(Math.random() * WORLD_ROWS);

/** TechEmpower's rule: missing, not an integer or below 1 → 1; above 500 → 500. */
function queryCount(url) {
  const q = url.indexOf('?');
  const raw = q < 0 ? null : new URLSearchParams(url.slice(q + 1)).get('queries');
  if (raw === null || !/^[+-]?\d+$/.test(raw.trim())) return 1;
  return Math.min(Math.max(Number(raw), 1), MAX_QUERIES);
}

async function randomWorld() {
  const [row] = await db()`SELECT id, randomnumber AS "randomNumber" FROM world WHERE id = ${randomId()}`;
  return row;
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
  const values = [...fresh].sort((a, b) => a[0] - b[0]);
  await db()`UPDATE world SET randomnumber = v.r::int FROM (VALUES ${db()(values)}) AS v (id, r) WHERE world.id = v.id::int`;
  return rows;
}

const escapes = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => escapes[c]);

async function fortunesPage() {
  const fortunes = [...(await db()`SELECT id, message FROM fortune`)];
  fortunes.push({ id: 0, message: 'Additional fortune added at request time.' });
  fortunes.sort((a, b) => (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
  return `<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>${fortunes
    .map((f) => `<tr><td>${f.id}</td><td>${escapeHtml(f.message)}</td></tr>`)
    .join('')}</table></body></html>`;
}

// Node sends Date itself; Server and Content-Length are set here.
function send(res, status, type, body) {
  res.writeHead(status, { Server: SERVER, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const sendJson = (res, value) => send(res, 200, 'application/json', JSON.stringify(value));

function fail(res, error) {
  if (!(error instanceof NoDatabaseError)) console.error(error);
  if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', error instanceof NoDatabaseError ? error.message : `database error: ${error.message}`);
}

// ---- WebSockets -------------------------------------------------------------------------------

const BROADCAST_CHANNEL = 'bench:ws:broadcast';

// noServer: the http server below hands upgrades over by path. ws's defaults otherwise (no
// permessage-deflate on the server, 100 MiB maxPayload); bufferutil/utf-8-validate are optional
// native add-ons that ws does without.
const echoServer = new WebSocketServer({ noServer: true });
const broadcastServer = new WebSocketServer({ noServer: true });

echoServer.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});

/** Sends one broadcast message to this worker's /ws/broadcast clients. */
function deliver(data) {
  for (const client of broadcastServer.clients) {
    if (client.readyState === client.OPEN) client.send(data, { binary: false });
  }
}

/** How a message from one client reaches every client: set up by setupBroadcast(). */
let publish = deliver;

broadcastServer.on('connection', (ws) => {
  ws.on('error', () => ws.terminate());
  // Text messages only (the contract); a binary frame is relayed as text like the rest.
  ws.on('message', (data) => publish(data));
});

async function setupBroadcast() {
  if (workers <= 1) return; // one worker: its own client set is every client.
  const url = process.env.REDIS_URL;
  if (url) {
    // Imported only here: loading node-redis takes longer than the rest of the start (~150 ms).
    const { createClient } = await import('redis');
    // Two connections: a subscribed Redis connection cannot publish. node-redis retries a lost
    // connection for ever; at start it gets 2 s (the harness starts Redis before the target), then
    // connect() fails and the worker stops.
    let connected = false;
    const reconnectStrategy = (retries, cause) => (connected ? Math.min(50 * retries, 1000) : retries < 10 ? 200 : cause);
    const pub = createClient({ url, socket: { reconnectStrategy } });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) client.on('error', (error) => console.error(`redis: ${error.message}`));
    await Promise.all([pub.connect(), sub.connect()]);
    connected = true;
    // bufferMode (third argument): the message arrives as the Buffer that was published.
    await sub.subscribe(BROADCAST_CHANNEL, deliver, true);
    publish = (data) => {
      pub.publish(BROADCAST_CHANNEL, data).catch((error) => console.error(`redis publish: ${error.message}`));
    };
  } else {
    // Cluster IPC through the primary (see the primary's 'message' handler below).
    process.on('message', (message) => {
      if (message?.broadcast !== undefined) deliver(message.broadcast);
    });
    publish = (data) => process.send({ broadcast: data.toString() });
  }
}

const UPGRADES = new Map([
  ['/ws/echo', echoServer],
  ['/ws/broadcast', broadcastServer],
]);

function upgrade(req, socket, head) {
  const url = req.url;
  const q = url.indexOf('?');
  const wss = UPGRADES.get(q < 0 ? url : url.slice(0, q));
  if (!wss) {
    socket.end('HTTP/1.1 404 Not Found\r\nServer: node\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
}

// ---- Server --------------------------------------------------------------------------------------

async function serve() {
  await setupBroadcast();
  http
    .createServer((req, res) => {
      const url = req.url;
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      if (path === '/json') {
        // A new object serialized per request, as TechEmpower's rules require.
        sendJson(res, { message: 'Hello, World!' });
      } else if (path === '/db') {
        randomWorld().then((row) => sendJson(res, row), (error) => fail(res, error));
      } else if (path === '/queries') {
        randomWorlds(queryCount(url)).then((rows) => sendJson(res, rows), (error) => fail(res, error));
      } else if (path === '/updates') {
        updateWorlds(queryCount(url)).then((rows) => sendJson(res, rows), (error) => fail(res, error));
      } else if (path === '/fortunes') {
        fortunesPage().then((html) => send(res, 200, 'text/html; charset=utf-8', html), (error) => fail(res, error));
      } else if (path === '/health') {
        send(res, 200, 'text/plain', 'ok');
      } else if (UPGRADES.has(path)) {
        res.writeHead(426, { Server: SERVER, Upgrade: 'websocket', 'Content-Type': 'text/plain', 'Content-Length': 28 });
        res.end('this endpoint is a WebSocket');
      } else {
        send(res, 404, 'text/plain', 'not found');
      }
    })
    .on('upgrade', upgrade)
    .listen(port, host);
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal ?? code})`);
    // All workers gone (e.g. none could reach Redis): fail loudly rather than idle without a server.
    if (Object.keys(cluster.workers).length === 0) process.exit(1);
  });
  if (!process.env.REDIS_URL) {
    // Broadcasts without Redis: relay each worker's message to every worker, the sender's included.
    cluster.on('message', (_worker, message) => {
      if (message?.broadcast === undefined) return;
      for (const worker of Object.values(cluster.workers)) worker?.send(message);
    });
  }
} else {
  serve().catch((error) => {
    // Without its broadcast layer (Redis unreachable) a worker would serve wrong answers: stop.
    console.error(`cannot start: ${error.message}`);
    process.exit(1);
  });
}

// Node gives SIGTERM no default action when it runs as PID 1 (in a container): exit at once, so a
// stop does not wait out the engine's timeout (open WebSockets and the Redis connections end with
// the process). The workers end with the primary's container.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
