// Redis as a service of the run (Django Channels' channel layer, Socket.IO's adapter): an empty,
// throwaway server started once per run by the runtime (a local process from the machine's own
// redis-server, or a container from Debian's package), configured identically in both
// (redis-config.ts). It is never the system's redis on 6379 that a package may have started:
// always the harness's own, on a free port, in a fresh folder.
import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.ts';
import type { ServiceDeclaration, ServiceEndpoint } from '../types.ts';
import { asUser, type ServerUser } from './embedded-postgres.ts';
import { exposedRedisSettings, REDIS_CONFIG, redisConf } from './redis-config.ts';
import { parseInfo, redisCommand } from './redis-client.ts';

export const REDIS_INSTALL = 'sudo apt-get install -y redis-server';

/** Where Debian (and most distributions) put redis-server, besides PATH. */
const EXTRA_DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin'];

/** The machine's redis-server, or null. BENCH_REDIS_SERVER names one binary instead (and only that one). */
export function findRedisServer(dirs: string[] = [...(process.env.PATH ?? '').split(path.delimiter), ...EXTRA_DIRS], chosen = process.env.BENCH_REDIS_SERVER): string | null {
  if (chosen) {
    try {
      fs.accessSync(chosen, fs.constants.X_OK);
      return fs.statSync(chosen).isFile() ? chosen : null;
    } catch {
      return null;
    }
  }
  for (const dir of dirs) {
    if (!dir) continue;
    const file = path.join(dir, 'redis-server');
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** The local redis-server and its version; a UserError saying how to install it when there is none. */
export async function localRedis(file: string | null = findRedisServer()): Promise<{ path: string; version: string }> {
  if (!file) {
    throw new UserError(
      process.env.BENCH_REDIS_SERVER ? `BENCH_REDIS_SERVER names ${process.env.BENCH_REDIS_SERVER}, which is not an executable redis-server.` : 'redis-server is not installed; the local runtime runs Redis (the WebSocket scenarios\' channel layer and adapter) from the machine\'s own package.',
      `${REDIS_INSTALL} (the harness starts its own server on a free port and never uses a system one), or use --runtime docker.`,
    );
  }
  // "Redis server v=7.0.15 sha=..."
  const r = await execa(file, ['--version'], { reject: false, all: true, stdin: 'ignore' });
  const version = /\bv=(\S+)/.exec(String(r.stdout))?.[1];
  if (r.exitCode !== 0 || !version) throw new UserError(`${file} --version failed: ${String(r.all).trim()}`, `Reinstall it: ${REDIS_INSTALL}`);
  return { path: file, version };
}

/**
 * Who runs the server when the harness is root: Debian's `redis` user, else `nobody`. Redis would
 * run as root, but a server every local user can reach without a password should not hold root's
 * rights (as PostgreSQL, which insists). null: the harness's own user.
 */
export async function redisUser(uid = process.getuid?.() ?? -1): Promise<ServerUser | null> {
  if (uid !== 0) return null;
  for (const name of ['redis', 'nobody']) {
    const r = await execa('getent', ['passwd', name], { reject: false });
    const fields = String(r.stdout).trim().split(':');
    if (r.exitCode === 0 && fields.length >= 4) return { name, uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  return null; // no such user: root it is, which Redis allows
}

export const redisService: ServiceDeclaration = {
  name: 'redis',
  description: 'Redis, empty and without persistence, for the channel layer (Django Channels) and the adapter (Socket.IO)',
  config: REDIS_CONFIG,

  async ready(endpoint) {
    try {
      return (await redisCommand(endpoint, ['PING'], 2000)) === 'PONG';
    } catch {
      return false; // refused, or no answer yet
    }
  },

  async serverVersion(endpoint: ServiceEndpoint) {
    const info = await redisCommand(endpoint, ['INFO', 'server'], 5000);
    const version = typeof info === 'string' ? parseInfo(info).redis_version : undefined;
    if (!version) throw new Error(`Redis at ${endpoint.host}:${endpoint.port} did not report redis_version: ${String(info)}`);
    return version;
  },

  exposedConfig: (net) => exposedRedisSettings(net),
  env: ({ host, port }) => ({ REDIS_URL: `redis://${host}:${port}/0` }),

  local: {
    async command({ port, dataDir }) {
      const redis = await localRedis();
      const user = await redisUser();
      const conf = path.join(dataDir, 'redis.conf');
      fs.writeFileSync(conf, redisConf(), { mode: 0o644 });
      // The folder is root's (made by the runtime); the server's user works in it.
      if (user) fs.chownSync(dataDir, user.uid, user.gid);
      // SIGTERM (the runtime's stop) is a clean, immediate shutdown: there is nothing to save.
      const argv = [redis.path, conf, '--port', String(port), '--dir', dataDir];
      return { argv: asUser(user, argv), version: redis.version, source: `${redis.path}${user ? `, run as user ${user.name}` : ''}` };
    },
  },

  docker: {
    dockerfile: 'docker/redis.Dockerfile',
    base: 'debian',
    // The image's start script writes REDIS_CONF to its redis.conf: the local runtime's text.
    env: (port, net) => ({ REDIS_PORT: String(port), REDIS_CONF: redisConf(net ? exposedRedisSettings(net) : undefined) }),
    // Replaced by what the running server reports (serverVersion).
    version: "Debian trixie's redis-server package",
  },
};
