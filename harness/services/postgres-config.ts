// PostgreSQL's configuration for the benchmark: two lists (the server's settings, initdb's options),
// recorded in results.json, from which both runtimes build their arguments (the local process's
// argv; the container's PG_ARGS and PG_INITDB_ARGS), so the two cannot drift. Everything not listed
// keeps PostgreSQL's default.
import type { ServiceInfo } from '../schema.ts';

export type PostgresSetting = ServiceInfo['config'][number];

export interface InitdbOption {
  option: string;
  /** Absent for a flag. */
  value?: string;
  reason: string;
}

/** Server settings, passed as `-c setting=value`. */
export const SERVER_SETTINGS: PostgresSetting[] = [
  {
    setting: 'listen_addresses',
    value: '127.0.0.1',
    reason: 'loopback only: the targets and the harness run on this machine (containers with host networking), and the cluster trusts every loopback connection',
  },
  {
    setting: 'max_connections',
    value: '1000',
    reason: 'every target keeps a pool of DB_POOL_SIZE=10 connections per worker and all targets may be running at once, plus the contract checks; the default 100 would refuse connections',
  },
  {
    setting: 'shared_buffers',
    value: '256MB',
    reason: "as TechEmpower's PostgreSQL configuration; the data (about 1 MB) fits in any size, but initdb picks the default by probing the machine, so it is set to be the same everywhere",
  },
  {
    setting: 'synchronous_commit',
    value: 'off',
    reason: "as TechEmpower's configuration: a commit (the /updates writes) returns before its WAL reaches the disk, so the benchmark measures the frameworks, not the disk's flush latency; a crash could lose the last commits but never corrupts, and the data is thrown away after the run (fsync stays on)",
  },
  {
    setting: 'shared_preload_libraries',
    value: 'pg_stat_statements',
    reason: "the contract checks count each request's queries in PostgreSQL's own statistics, as TechEmpower's verifier does",
  },
  {
    setting: 'pg_stat_statements.track',
    value: 'all',
    reason: 'count statements run inside functions too, so no query can go uncounted',
  },
  {
    setting: 'jit',
    value: 'off',
    reason: "the embedded binaries of the local runtime are built without JIT; off in both runtimes so they plan alike (no benchmark query costs enough to be compiled anyway)",
  },
];

/** How each run's fresh cluster is made. */
export const INITDB_OPTIONS: InitdbOption[] = [
  { option: '--username', value: 'bench', reason: 'the superuser the targets connect as (DATABASE_URL)' },
  {
    option: '--auth',
    value: 'trust',
    reason: 'no password exchange on each new connection: the server listens on loopback only and is thrown away after the run (the password in DATABASE_URL is accepted and ignored)',
  },
  { option: '--encoding', value: 'UTF8', reason: 'the Fortune rows hold non-ASCII text' },
  { option: '--locale', value: 'C', reason: 'byte-order collation and character classes, the same on every host and in the container, with no OS locale needed' },
  { option: '--data-checksums', reason: "PostgreSQL 18's default, asked for so that PostgreSQL 17 (the container's) does the same" },
  { option: '--no-sync', reason: 'initdb does not flush the fresh cluster to disk, which only slows every start: the cluster is thrown away after the run' },
];

/** Both lists as recorded in results.json (ServiceInfo.config). */
export const POSTGRES_CONFIG: PostgresSetting[] = [
  ...SERVER_SETTINGS,
  ...INITDB_OPTIONS.map(({ option, value, reason }) => ({ setting: `initdb ${option}`, value: value ?? 'yes', reason })),
];

/** The settings where the targets run on another host: it listens on its host's address, and
 * trusts only the clients named (the targets' host and the harness's), one pg_hba line each. */
export function exposedSettings(net: { listen: string; clients: string[] }): PostgresSetting[] {
  return [
    ...SERVER_SETTINGS.map((s) =>
      s.setting === 'listen_addresses' ? { ...s, value: net.listen, reason: "the service host's address: the targets run on another host (the run's --target-host), and the harness reaches it from its own" } : s,
    ),
    ...net.clients.map((ip) => ({ setting: 'pg_hba.conf', value: `host all all ${ip}/32 trust`, reason: 'lets in the targets\' host and the harness (and no one else) without a password, as loopback is let in when all runs on one machine' })),
  ];
}

/** pg_hba.conf lines for the container's start script (PG_HBA, ';'-separated). */
export const hbaLines = (clients: string[]): string => clients.map((ip) => `host all all ${ip}/32 trust`).join(';');

function oneWord(what: string, text: string): string {
  // The container receives each list as one space-separated variable, split by its shell.
  if (text === '' || /[\s'"\\$`*?[\]]/.test(text)) throw new Error(`PostgreSQL ${what} ${JSON.stringify(text)} cannot be passed as one word`);
  return text;
}

/** `-c setting=value` for every server setting. */
export function postgresArgs(settings: PostgresSetting[] = SERVER_SETTINGS): string[] {
  return settings.filter((s) => s.setting !== 'pg_hba.conf').flatMap(({ setting, value }) => ['-c', oneWord('setting', `${setting}=${value}`)]);
}

/** initdb's arguments (besides -D). */
export function initdbArgs(options: InitdbOption[] = INITDB_OPTIONS): string[] {
  return options.map(({ option, value }) => oneWord('initdb option', value === undefined ? option : `${option}=${value}`));
}
