// node:http as Node.js services are written without a framework: one process per CPU with
// cluster (WORKERS of them), the primary only supervises.
import cluster from 'node:cluster';
import http from 'node:http';

const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

function serve() {
  http
    .createServer((req, res) => {
      if (req.url === '/json') {
        // A new object serialized per request, as TechEmpower's rules require.
        const body = JSON.stringify({ message: 'Hello, World!' });
        // Node sends Date itself; Server and Content-Length are set here.
        res.writeHead(200, { Server: 'node', 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
        res.end(body);
      } else if (req.url === '/health') {
        res.writeHead(200, { Server: 'node', 'Content-Type': 'text/plain', 'Content-Length': 2 });
        res.end('ok');
      } else {
        res.writeHead(404, { Server: 'node', 'Content-Type': 'text/plain', 'Content-Length': 9 });
        res.end('not found');
      }
    })
    .listen(port, host);
}

if (workers > 1 && cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    console.error(`worker ${worker.process.pid} exited (${signal ?? code})`);
  });
} else {
  serve();
}
