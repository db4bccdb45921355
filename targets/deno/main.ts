// Deno.serve as Deno apps are written for `deno serve`: a default export with a fetch handler.
// `deno serve --parallel` runs one instance (isolate) per CPU (DENO_JOBS), sharing the port.
// The database endpoints use postgres.js from npm (package.json, installed in node_modules): each
// isolate evaluates this module and so holds its own pool of DB_POOL_SIZE connections, created on
// the first database request so that /json and /health need no database.
//
// WebSockets: Deno's own Deno.upgradeWebSocket in the same fetch handler. /ws/echo sends each
// message back to its sender; /ws/broadcast relays each message to every client of /ws/broadcast,
// the sender included, exactly once. Each isolate knows only its own clients, so with several
// isolates (WORKERS > 1) a broadcast crosses them:
//   - by Redis pub/sub (node-redis from npm) when REDIS_URL is set: every isolate publishes to one
//     channel and delivers only what comes back from it, the sender's isolate included; connected
//     before the isolate serves;
//   - otherwise by a BroadcastChannel, which Deno shares between the isolates of one process, so
//     between `deno serve --parallel` workers (checked with Deno 2.9.6 and 2.6.8): the sender's isolate
//     delivers to its own clients and posts to the channel, which reaches every other isolate
//     (a BroadcastChannel does not get its own messages).
// With one isolate its own client set is every client.
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

// ---- WebSockets -------------------------------------------------------------------------------

const BROADCAST_CHANNEL = 'bench:ws:broadcast';
const workers = Number(Deno.env.get('WORKERS') ?? Deno.env.get('DENO_JOBS') ?? 1);

/** Every open WebSocket of this isolate, closed on SIGTERM/SIGINT (they would keep it alive). */
const sockets = new Set<WebSocket>();
/** This isolate's /ws/broadcast clients. */
const listeners = new Set<WebSocket>();

/** Sends one broadcast message to this isolate's /ws/broadcast clients. */
function deliver(text: string): void {
  for (const socket of listeners) {
    if (socket.readyState === WebSocket.OPEN) socket.send(text);
  }
}

/** How a message from one client reaches every client (see the top of the file). */
let publish: (text: string) => void = deliver;
/** Releases what the broadcast layer holds open (it would keep the isolate alive after SIGTERM). */
let closeBroadcast = (): void => {};

if (workers > 1) {
  const redisUrl = Deno.env.get('REDIS_URL');
  if (redisUrl) {
    // Imported only here: loading node-redis takes longer than the rest of the start (~150 ms).
    const { createClient } = await import('redis');
    // Two connections: a subscribed Redis connection cannot publish. node-redis retries a lost
    // connection for ever; at start it gets 2 s (the harness starts Redis before the target), then
    // connect() fails, and with it the module, and the isolate does not serve.
    let connected = false;
    const reconnectStrategy = (retries: number, cause: Error) => (connected ? Math.min(50 * retries, 1000) : retries < 10 ? 200 : cause);
    const pub = createClient({ url: redisUrl, socket: { reconnectStrategy } });
    const sub = pub.duplicate();
    for (const client of [pub, sub]) client.on('error', (error: Error) => console.error(`redis: ${error.message}`));
    await Promise.all([pub.connect(), sub.connect()]);
    connected = true;
    await sub.subscribe(BROADCAST_CHANNEL, deliver);
    publish = (text) => {
      pub.publish(BROADCAST_CHANNEL, text).catch((error: Error) => console.error(`redis publish: ${error.message}`));
    };
    closeBroadcast = () => {
      pub.destroy();
      sub.destroy();
    };
  } else {
    const channel = new BroadcastChannel(BROADCAST_CHANNEL);
    channel.onmessage = (event: MessageEvent<string>) => deliver(event.data);
    publish = (text) => {
      deliver(text);
      channel.postMessage(text);
    };
    closeBroadcast = () => channel.close();
  }
}

// `deno serve` stops accepting on SIGTERM or SIGINT and exits once nothing is left to do: close the
// open WebSockets (1001, going away) and the broadcast layer, which would otherwise keep it alive.
// Older `deno serve` (Deno 2.6, a version of this target) does not stop on a signal at all: a
// signal listener replaces the default (terminate), so with ours it would serve on until SIGKILL
// (denoland/deno#30771, fixed in 2.7 by #32862). A fallback timer exits the process then, once the
// close frames are out; it is unref'd, so where `deno serve` stops by itself it never holds the
// isolate and never fires.
const EXIT_FALLBACK_MS = 500;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  Deno.addSignalListener(signal, () => {
    for (const socket of sockets) socket.close(1001, 'server shutting down');
    closeBroadcast();
    Deno.unrefTimer(setTimeout(() => Deno.exit(0), EXIT_FALLBACK_MS));
  });
}

const decoder = new TextDecoder();
const asText = (data: unknown): string => (typeof data === 'string' ? data : decoder.decode(data as ArrayBuffer));

function webSocket(req: Request, pathname: string): Response {
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
    return new Response('this endpoint is a WebSocket', { status: 426, headers: { server: SERVER, upgrade: 'websocket', 'content-type': 'text/plain' } });
  }
  const { socket, response } = Deno.upgradeWebSocket(req);
  socket.binaryType = 'arraybuffer';
  sockets.add(socket);
  if (pathname === '/ws/echo') {
    socket.onmessage = (event) => socket.send(event.data);
  } else {
    socket.onopen = () => listeners.add(socket);
    // Text messages only (the contract); a binary frame is relayed as text like the rest.
    socket.onmessage = (event) => publish(asText(event.data));
  }
  socket.onclose = () => {
    sockets.delete(socket);
    listeners.delete(socket);
  };
  socket.onerror = () => {}; // an error ends in close, handled above
  return response;
}

// ---- HTTP ----------------------------------------------------------------------------------------

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
    if (pathname === '/ws/echo' || pathname === '/ws/broadcast') return webSocket(req, pathname);
    return new Response('not found', { status: 404, headers: { server: SERVER, 'content-type': 'text/plain' } });
  },
} satisfies Deno.ServeDefaultExport;
