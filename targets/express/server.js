// Express 5 as it is deployed: production mode, one process per CPU with cluster (a process
// manager such as pm2 in cluster mode does the same), the primary only supervises.
import cluster from 'node:cluster';
import express from 'express';

const workers = Number(process.env.WORKERS ?? 1);
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';

function serve() {
  const app = express();
  app.disable('x-powered-by');
  // Express sends no Server header of its own; the contract requires one.
  app.use((_req, res, next) => {
    res.set('Server', 'express');
    next();
  });
  app.get('/json', (_req, res) => {
    res.json({ message: 'Hello, World!' });
  });
  app.get('/health', (_req, res) => {
    res.type('text/plain').send('ok');
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
