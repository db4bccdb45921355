// Socket.IO as Node.js services run it: a Socket.IO server attached to node:http, one process per
// CPU with cluster (WORKERS of them), the primary only supervises. The same http server answers
// /health and /json like the node target; Socket.IO speaks its own protocol at its default path
// (/socket.io/). The contract's WebSocket endpoints are two namespaces:
//   - /echo: every `message` event is emitted back to the socket that sent it;
//   - /broadcast: every `message` event is emitted to every socket of the namespace, the sender
//     included (nsp.emit), exactly once.
//
// Transports: WebSocket only (the server accepts no HTTP long-polling). Socket.IO behind cluster
// needs sticky sessions for long-polling, whose requests must all reach the process that holds
// the session; a WebSocket-only client sends one upgrade request and stays on its process, so
// none are needed here. Clients connect with `transports: ['websocket']`.
//
// Broadcasts across workers go through a Socket.IO adapter, as Socket.IO documents for several
// processes: with one worker the default in-memory adapter; with several, @socket.io/redis-adapter
// (Redis pub/sub, node-redis) when REDIS_URL is set, else @socket.io/cluster-adapter (Node's cluster
// IPC through the primary, which setupPrimary() relays).
import cluster from 'node:cluster';
import http from 'node:http';
import { Server } from 'socket.io';

const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const redisUrl = process.env.REDIS_URL;

const SERVER = 'node-socketio';

// Node sends Date itself; Server and Content-Length are set here.
function send(res, status, type, body) {
  res.writeHead(status, { Server: SERVER, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** The adapter that carries broadcasts between the workers, or undefined for Socket.IO's default. */
async function adapter() {
  if (workers <= 1) return undefined; // one worker: the in-memory adapter sees every socket.
  // The adapters and node-redis are imported only when used: loading them takes as long as the
  // rest of the start (node-redis alone ~150 ms).
  if (!redisUrl) return (await import('@socket.io/cluster-adapter')).createAdapter();
  const [{ createAdapter }, { createClient }] = await Promise.all([import('@socket.io/redis-adapter'), import('redis')]);
  // Two connections: a subscribed Redis connection cannot publish. node-redis retries a lost
  // connection for ever; at start it gets 2 s (the harness starts Redis before the target), then
  // connect() fails and the worker stops.
  let connected = false;
  const reconnectStrategy = (retries, cause) => (connected ? Math.min(50 * retries, 1000) : retries < 10 ? 200 : cause);
  const pub = createClient({ url: redisUrl, socket: { reconnectStrategy } });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on('error', (error) => console.error(`redis: ${error.message}`));
  await Promise.all([pub.connect(), sub.connect()]);
  connected = true;
  return createAdapter(pub, sub);
}

async function serve() {
  const server = http.createServer((req, res) => {
    const url = req.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (path === '/json') {
      // A new object serialized per request, as TechEmpower's rules require.
      send(res, 200, 'application/json', JSON.stringify({ message: 'Hello, World!' }));
    } else if (path === '/health') {
      send(res, 200, 'text/plain', 'ok');
    } else {
      send(res, 404, 'text/plain', 'not found');
    }
  });

  // serveClient: false, as in production, where the client bundle comes from the app's own build.
  // Socket.IO's defaults otherwise (no per-message deflate, 1 MB maxHttpBufferSize, 25 s pings).
  const io = new Server(server, { transports: ['websocket'], serveClient: false, adapter: await adapter() });

  io.of('/echo').on('connection', (socket) => {
    socket.on('message', (...args) => socket.emit('message', ...args));
  });

  const broadcast = io.of('/broadcast');
  broadcast.on('connection', (socket) => {
    socket.on('message', (...args) => broadcast.emit('message', ...args));
  });

  server.listen(port, host);
}

if (workers > 1 && cluster.isPrimary) {
  // Relays the cluster adapter's messages between workers (it only listens to the workers' IPC).
  if (!redisUrl) (await import('@socket.io/cluster-adapter')).setupPrimary();
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal ?? code})`);
    // All workers gone (e.g. none could reach Redis): fail loudly rather than idle without a server.
    if (Object.keys(cluster.workers).length === 0) process.exit(1);
  });
} else {
  serve().catch((error) => {
    // Without its adapter (Redis unreachable) a worker would broadcast to its own sockets only: stop.
    console.error(`cannot start: ${error.message}`);
    process.exit(1);
  });
}

// Node gives SIGTERM no default action when it runs as PID 1 (in a container): exit at once, so a
// stop does not wait out the engine's timeout (open sockets and the Redis connections end with the
// process). The workers end with the primary's container.
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
