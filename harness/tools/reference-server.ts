// A reference server for the loader benchmark that is not one of the targets: nginx, one process
// pinned to one CPU, answering GET /json with a fixed body from its config (no file, no upstream),
// so that what limits a loader against it is the loader, not an application.
//
// nginx runs from a fresh temp folder (config, pid file, error log and every temp path inside it)
// as its own process group, registered with the reaper so that nothing survives a killed harness.
// It never touches a system nginx (/etc/nginx, /run/nginx.pid, port 80), installed or running.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError } from '../errors.ts';
import { freePort } from '../runtime/ports.ts';
import { killGroup } from '../runtime/local.ts';
import { registerDir, registerGroup, unregisterDir, unregisterGroup } from '../runtime/reaper.ts';
import { requireTaskset } from '../runtime/toolchain.ts';

const HOST = '127.0.0.1';
export const REFERENCE_BODY = '{"message":"Hello, World!"}';
const READY_TIMEOUT_MS = 10_000;

export interface ReferenceServer {
  /** The URL of GET /json (http://127.0.0.1:<port>/json), the one to load. */
  url: string;
  /** nginx's version, e.g. "1.22.1". */
  version: string;
  /** The nginx process; it leads its own process group. */
  pid: number;
  /** Idempotent: SIGTERM to the group, SIGKILL after a grace period, the temp folder removed. */
  stop(): Promise<void>;
}

/** The nginx executable: on PATH, or where distributions put it (/usr/sbin is not on every user's PATH). */
export function findNginx(): string | null {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/sbin', '/usr/local/sbin', '/usr/local/nginx/sbin', '/usr/bin']);
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, 'nginx');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** nginx's version (`nginx -v` prints "nginx version: nginx/1.22.1" on stderr). */
export function nginxVersion(nginx: string): string {
  const probe = spawnSync(nginx, ['-v'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] });
  return /nginx\/(\S+)/.exec(`${probe.stderr}\n${probe.stdout}`)?.[1] ?? 'unknown';
}

/** The whole config: one process (no master: one pid to pin and to stop, no switch to user nobody), everything inside `dir`. */
export function nginxConfig(o: { dir: string; port: number; errorLog: string }): string {
  const p = (name: string) => JSON.stringify(path.join(o.dir, name));
  return `# Written by harness/tools/reference-server.ts for the loader benchmark.
worker_processes 1;
daemon off;
master_process off;
pid ${p('nginx.pid')};
error_log ${JSON.stringify(o.errorLog)} warn;

events {
  worker_connections 16384;
  multi_accept on;
}

http {
  access_log off;
  server_tokens off;
  client_body_temp_path ${p('client_body')};
  proxy_temp_path ${p('proxy')};
  fastcgi_temp_path ${p('fastcgi')};
  uwsgi_temp_path ${p('uwsgi')};
  scgi_temp_path ${p('scgi')};
  # A loader keeps its connections for the whole run: never close them after N requests.
  keepalive_requests 100000000;
  keepalive_timeout 75s;

  server {
    listen ${HOST}:${o.port} backlog=4096;
    location = /json {
      default_type application/json;
      return 200 '${REFERENCE_BODY}';
    }
    location / {
      return 404;
    }
  }
}
`;
}

function tail(file: string, lines: number): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).slice(-lines);
  } catch {
    return [];
  }
}

/** Starts nginx pinned to `cpu`, answering GET /json; resolves once it answers 200. */
export async function startNginx(options: { cpu: number; logDir?: string }): Promise<ReferenceServer> {
  const nginx = findNginx();
  if (!nginx) {
    throw new UserError('nginx is not installed; the loader benchmark uses it as a reference server that is not one of the targets.', 'sudo apt-get install -y nginx-light');
  }
  await requireTaskset();
  const version = nginxVersion(nginx);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-'));
  registerDir(dir);
  let errorLog = path.join(dir, 'error.log');
  if (options.logDir) {
    fs.mkdirSync(options.logDir, { recursive: true });
    errorLog = path.join(path.resolve(options.logDir), 'nginx.log');
  }
  const port = await freePort(HOST);
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(conf, nginxConfig({ dir, port, errorLog }));

  // The shell raises the open-file limit to the hard limit (thousands of connections), then is
  // replaced by taskset, which is replaced by nginx: the group leader's pid is nginx's.
  // -e: the error log from the first moment, before the config is read (not /var/log/nginx).
  const argv = ['taskset', '-c', String(options.cpu), nginx, '-e', errorLog, '-c', conf, '-p', dir + '/'];
  const child = spawn('/bin/sh', ['-c', 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', 'sh', ...argv], {
    cwd: dir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...String(chunk).split('\n').filter(Boolean));
    if (output.length > 50) output.splice(0, output.length - 50);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    child.once('error', (e) => resolve({ code: null, signal: null, error: e.message }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exit: { code: number | null; signal: string | null; error?: string } | undefined;
  void exited.then((e) => (exit = e));

  const pgid = child.pid;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (pgid !== undefined) {
      await killGroup(pgid);
      unregisterGroup(pgid);
    }
    child.stdout.destroy();
    child.stderr.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
    unregisterDir(dir);
  };
  if (pgid === undefined) {
    await stop();
    throw new UserError(`Could not start nginx: ${(await exited).error ?? 'no pid'}.`, 'Check that nginx and taskset run: nginx -v; taskset -c 0 true.');
  }
  registerGroup(pgid);

  const url = `http://${HOST}:${port}/json`;
  const deadline = performance.now() + READY_TIMEOUT_MS;
  let lastError = '';
  while (performance.now() < deadline && !exit) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (res.status === 200 && body === REFERENCE_BODY) return { url, version, pid: pgid, stop };
      lastError = `HTTP ${res.status}`;
    } catch (error) {
      lastError = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    }
    await sleep(20);
  }
  const why = exit
    ? `exited during start (${exit.error ?? (exit.signal ? `signal ${exit.signal}` : `exit code ${exit.code}`)})`
    : `did not answer GET /json with 200 within ${READY_TIMEOUT_MS / 1000} s (last: ${lastError})`;
  const logTail = [...output, ...tail(errorLog, 20)].slice(-30);
  await stop();
  throw new UserError(`The reference server (nginx ${version} on ${HOST}:${port}, CPU ${options.cpu}) ${why}.`, `Try it by hand: nginx -t -c <config> (the config is nginxConfig() in harness/tools/reference-server.ts).`, logTail);
}
